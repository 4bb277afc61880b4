"""Magics and the widget in a real kernel (nbclient), as a notebook user runs them."""
from __future__ import annotations

import json
import re

import pytest

from .conftest import execute, notebook, text_of, widget_models

pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

# one worker runs the whole session under --dist loadgroup (the file lock below covers plain --dist load)
pytestmark = [pytest.mark.xdist_group("notebook-kernel-session")]

ECHO = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: echo-
spec:
  entrypoint: main
  arguments:
    parameters:
    - name: message
      value: default
  templates:
  - name: main
    container:
      image: busybox
      command: [echo, "{{workflow.parameters.message}}"]"""

BAD_FIELD = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: bad-
spec:
  entrypoint: main
  templates:
  - name: main
    contaner:
      image: busybox"""

SLOW = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: slow-
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: a, template: nap}
    - - {name: b, template: nap}
  - name: nap
    script:
      image: python:3.11
      command: [python]
      source: |
        import time; time.sleep(0.3); print("napped")"""

FAILING = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: failing-
spec:
  entrypoint: main
  templates:
  - name: main
    container:
      image: busybox
      command: [sh, -c, "exit 3"]"""

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def plain(text: str) -> str:
    return ANSI.sub("", text)


CELLS = [
    "%load_ext jupyter_flow",                                                      # 0
    'msg = "hi <b>there</b>"',                                                     # 1
    '%%workflow -p "message=$msg" --wait\n' + ECHO,                                # 2
    "r = _\nprint(r.phase)\nprint(r.logs(), end='')",                              # 3
    "%%workflow\n" + BAD_FIELD,                                                    # 4
    "%%workflow\nkind: Workflow\nspec: [\n",                                       # 5
    "%%workflow --lint\n" + ECHO,                                                  # 6
    "%flow list",                                                                  # 7
    "%flow logs {r.name}",                                                         # 8
    "from jupyter_flow.notebook import run_widget\nimport json\n"
    "print(json.dumps(run_widget(r).graph.state()))",                              # 9
    "display(r)\ndisplay(r)",                                                      # 10
    "%%workflow\n" + SLOW,                                                         # 11
    "live = _\n%flow wait {live.name}\nimport time\ntime.sleep(0.5)\n"
    "w = run_widget(live)\n"
    "print(json.dumps({'classes': sorted(s['classes'] for s in w.graph.state().values()),"
    " 'flushes': w.flushes, 'events': w.events, 'header': w.header.value}))",      # 12
    "%flow get {live.name}",                                                       # 13
    "%flow frobnicate x",                                                          # 14
    "import os\nos.environ['JUPYTER_FLOW_WIDGET'] = '0'\nr",                       # 15
    "%%workflow --check\n" + FAILING,                                              # 16
    "import jupyter_flow\nprint(jupyter_flow.get('@latest').phase)",               # 17
    "%%workflow -p nonsense\n" + ECHO,                                             # 18
    "%%workflow --name fixed-name --wait -p message=named\n" + ECHO,               # 19
    "print(_.name, _.phase, _.logs().strip())",                                    # 20
    "%%workflow --backend no-such-backend\n" + ECHO,                               # 21
]


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """One kernel runs the whole user session below; tests look at its cells.

    Under xdist the module's tests may land on both workers: the first one to get here runs
    the notebook, the other reads the result (a file lock in the run's shared temp dir).
    """
    import fcntl
    import os

    import nbformat

    from .conftest import ROOT
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    done = base / "jf-kernel-session.ipynb"
    with open(base / "jf-kernel-session.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done.exists():
            return nbformat.read(done, as_version=4)
        home = base / "jf-kernel-home"
        home.mkdir(exist_ok=True)
        env = {"JUPYTER_FLOW_HOME": str(home),
               "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            nb = execute(notebook(*CELLS), allow_errors=True, timeout=90)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        nbformat.write(nb, done)
        return nb


def test_workflow_cell_returns_the_run_as_a_widget_with_a_text_fallback(session):
    out = [o for o in session.cells[2].outputs if o.output_type == "execute_result"]
    assert len(out) == 1, session.cells[2].outputs
    data = out[0]["data"]
    assert "application/vnd.jupyter.widget-view+json" in data
    assert data["text/plain"].startswith("Name:") and "Succeeded" in data["text/plain"]
    # `$msg` was expanded on the magic line; `_` holds the Run
    phase, log = text_of(session.cells[3]).split("\n", 1)
    assert phase == "Succeeded" and log.endswith(": hi <b>there</b>\n")


def test_widget_state_reached_the_frontend(session):
    models = widget_models(session)
    view = [o for o in session.cells[2].outputs if o.output_type == "execute_result"][0]["data"]
    box = models[view["application/vnd.jupyter.widget-view+json"]["model_id"]]
    assert box["model_name"] == "VBoxModel"
    # the DAG is one model (the lab extension's DagModel): every node with its classes and position
    dags = [m["state"] for m in models.values() if m["model_name"] == "DagModel"]
    assert dags and all(d["_model_module"] == "jupyter-flow" and d["cy_style"] for d in dags)
    done = [d for d in dags if "Pod Succeeded" in [n["classes"] for n in d["graph"]["nodes"]]]
    assert done
    nodes = done[0]["graph"]["nodes"]
    assert all({"x", "y"} <= set(n["position"]) for n in nodes)     # laid out in the kernel
    assert {e["data"]["source"] for e in done[0]["graph"]["edges"]} <= {n["data"]["id"] for n in nodes}
    assert not [m for m in models.values() if m["model_name"] in ("NodeModel", "EdgeModel")]
    headers = [m["state"]["value"] for m in models.values()
               if m["model_name"] == "HTMLModel" and "echo-" in m["state"].get("value", "")]
    assert headers and "Succeeded" in headers[0]


def test_lint_error_is_short_and_points_at_the_cell_line(session):
    errors = [o for o in session.cells[4].outputs if o.output_type == "error"]
    assert len(errors) == 1
    text = plain("\n".join(errors[0]["traceback"]))
    assert "Traceback" not in text and "---->" not in text
    # line 10 of the cell as the editor shows it (the %%workflow line is line 1)
    assert '<cell>:10:5: spec.templates[0].contaner: unknown field "contaner", did you mean container?' in text
    assert "   10 |     contaner:" in text
    assert errors[0]["ename"] == "FlowMagicError"


def test_yaml_syntax_error_is_short_too(session):
    text = plain(text_of(session.cells[5]))
    assert "<cell>:" in text and "YAML" in text and "Traceback" not in text


def test_lint_only_and_flow_commands(session):
    assert "no problems" in text_of(session.cells[6])
    listing = text_of(session.cells[7])
    assert listing.startswith("NAME") and "Succeeded" in listing
    assert text_of(session.cells[8]).strip().endswith("hi <b>there</b>")
    assert "unknown command 'frobnicate'" in plain(text_of(session.cells[14]))


def test_widget_graph_in_the_kernel(session):
    state = json.loads(text_of(session.cells[9]))
    assert sorted(s["classes"] for s in state.values()) == ["Pod Succeeded"]
    (node,) = state.values()
    assert node["data"]["label"].startswith("echo-")


def test_redisplay_shows_the_same_live_widget(session):
    ids = [o["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
           for o in session.cells[10].outputs if o.output_type == "display_data"]
    first = [o for o in session.cells[2].outputs if o.output_type == "execute_result"][0]
    assert len(ids) == 2 and ids[0] == ids[1] == first["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]


def test_live_run_keeps_updating_after_its_cell_finished(session):
    shown = [o for o in session.cells[11].outputs if o.output_type == "execute_result"][0]["data"]
    assert "application/vnd.jupyter.widget-view+json" in shown
    assert "Succeeded" not in shown["text/plain"].split("Status:")[1].splitlines()[0]
    result = json.loads(text_of(session.cells[12]).strip().splitlines()[-1])
    assert result["classes"] == ["Pod Succeeded", "Pod Succeeded", "StepGroup Succeeded",
                                 "StepGroup Succeeded", "Steps Succeeded"]
    assert result["flushes"] >= 2 and result["events"] > 5
    assert "Succeeded" in result["header"] and "2/2" in result["header"]
    # %flow get returns the run: displayed as the (same) widget
    got = [o for o in session.cells[13].outputs if o.output_type == "execute_result"][0]["data"]
    assert got["application/vnd.jupyter.widget-view+json"] == shown["application/vnd.jupyter.widget-view+json"]


def test_text_only_when_widgets_are_turned_off(session):
    (out,) = [o for o in session.cells[15].outputs if o.output_type == "execute_result"]
    assert list(out["data"]) == ["text/plain"] and out["data"]["text/plain"].startswith("Name:")


def test_check_fails_the_cell_when_the_run_fails(session):
    cell = session.cells[16]
    errors = [o for o in cell.outputs if o.output_type == "error"]
    assert len(errors) == 1 and "Traceback" not in plain("\n".join(errors[0]["traceback"]))
    assert re.search(r"workflow failing-\w+ Failed", plain("\n".join(errors[0]["traceback"])))
    shown = [o for o in cell.outputs if o.output_type == "display_data"]
    assert shown and "Failed" in shown[0]["data"]["text/plain"]        # the run is still shown
    assert text_of(session.cells[17]).strip() == "Failed"


def test_bad_magic_arguments_are_a_short_usage_error(session):
    text = plain(text_of(session.cells[18]))
    assert "-p expects NAME=VALUE" in text and "usage: %%workflow" in text and "Traceback" not in text


def test_name_and_backend_options(session):
    assert text_of(session.cells[20]).strip() == "fixed-name Succeeded fixed-name: named"
    text = plain(text_of(session.cells[21]))
    assert "no-such-backend" in text and "Traceback" not in text
    assert [o["ename"] for o in session.cells[21].outputs if o.output_type == "error"] == ["FlowMagicError"]
