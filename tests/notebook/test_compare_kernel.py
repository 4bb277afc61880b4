"""``jupyter_flow.compare(a, b)`` in a real kernel (nbclient): the widget (tabs of escaped HTML and
an Output holding Vega-Lite display data), its HTML fallback, and a plot on its own."""
from __future__ import annotations

import pytest

from .conftest import execute, notebook, text_of, widget_models

pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

pytestmark = [pytest.mark.xdist_group("notebook-kernel-session")]

HOSTILE = "<img src=x onerror=alert(1)>"
DOC = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "cmp-"},
       "spec": {"entrypoint": "main", "arguments": {"parameters": [{"name": "who", "value": "a"}]},
                "templates": [{"name": "main", "inputs": {"parameters": [{"name": "who"}]},
                               "container": {"image": "busybox", "command": ["echo"],
                                             "args": ["hi {{inputs.parameters.who}}"]}}]}}
VEGALITE = "application/vnd.vegalite.v5+json"


def test_compare_widget_in_a_kernel(kernel_env):
    nb = execute(notebook(
        "import jupyter_flow\n"
        f"a = jupyter_flow.submit({DOC!r}, parameters={{'who': 'ada'}}, wait=True)\n"
        f"b = jupyter_flow.submit({DOC!r}, parameters={{'who': {HOSTILE!r}}}, wait=True)\n"
        "cmp = jupyter_flow.compare(a, b)\ncmp",
        "cmp.plot('durations')",
    ))
    [result] = [o for o in nb.cells[0].outputs if o.get("output_type") == "execute_result"]
    data = result["data"]
    assert data["text/plain"] == "<Comparison of 2 runs: 1 parameters and 1 nodes differ>"
    assert "<img src=x" not in data["text/html"] and "&lt;img src=x onerror=alert(1)&gt;" in data["text/html"]
    models = widget_models(nb)
    tab = models[data["application/vnd.jupyter.widget-view+json"]["model_id"]]["state"]
    assert "jf-compare-widget" in tab["_dom_classes"]
    assert tab["titles"] == ["Parameters", "Nodes", "Artifacts", "Metrics", "Plots"]
    children = [models[c.removeprefix("IPY_MODEL_")]["state"] for c in tab["children"]]
    params = children[0]["value"]
    assert "ada" in params and "&lt;img src=x onerror=alert(1)&gt;" in params and "<img" not in params
    assert all("<img src=x" not in c.get("value", "") for c in children[:4])
    plots = children[4]["outputs"]
    assert [VEGALITE in o["data"] for o in plots] == [True]
    assert plots[0]["data"][VEGALITE]["title"] == "duration per node"
    [plot] = [o for o in nb.cells[1].outputs if o.get("output_type") == "execute_result"]
    assert plot["data"][VEGALITE]["$schema"].endswith("/vega-lite/v5.json"), text_of(nb.cells[1])
