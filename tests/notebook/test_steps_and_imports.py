"""papermill_template's Argo shape, and that `import jupyter_flow` stays light."""
from __future__ import annotations

import json
import subprocess
import sys

from jupyter_flow.notebook import papermill_template

from .conftest import EXAMPLES, ROOT


def test_papermill_template_is_a_plain_argo_container_template():
    t = papermill_template("squares", EXAMPLES / "notebooks" / "squares.ipynb", {"n": 3, "label": None},
                           image="jupyter/base:1")
    assert t["name"] == "squares"
    c = t["container"]
    assert c["image"] == "jupyter/base:1" and c["command"] == ["python", "-m", "papermill"]
    nb_path, out_path = c["args"][:2]
    assert nb_path == "/tmp/inputs/squares.ipynb" and out_path == "/tmp/executed.ipynb"
    assert c["args"][c["args"].index("n") - 1:c["args"].index("n") + 2] == ["-p", "n", "{{inputs.parameters.n}}"]
    params = {p["name"]: p for p in t["inputs"]["parameters"]}
    assert params["n"] == {"name": "n", "value": "3"} and params["label"] == {"name": "label"}
    (art,) = t["inputs"]["artifacts"]
    assert art["path"] == nb_path
    embedded = json.loads(art["raw"]["data"])       # outputs stripped: no stale results travel
    assert all(not c.get("outputs") for c in embedded["cells"] if c["cell_type"] == "code")
    assert t["outputs"]["artifacts"] == [{"name": "notebook", "path": "/tmp/executed.ipynb"}]


def test_papermill_template_validates_inside_a_workflow():
    import jupyter_flow
    wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "nb-"},
          "spec": {"entrypoint": "squares",
                   "templates": [papermill_template("squares", EXAMPLES / "notebooks" / "squares.ipynb",
                                                    {"n": 3}, embed=False)]}}
    assert [e for e in jupyter_flow.lint(wf) if e.severity == "error"] == []


def test_import_jupyter_flow_does_not_load_notebook_stacks():
    code = ("import sys, jupyter_flow, jupyter_flow.notebook, jupyter_flow.notebook.magics\n"
            "heavy = [m for m in ('ipywidgets', 'ipycytoscape', 'papermill', 'hera', 'nbclient') if m in sys.modules]\n"
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"
