"""``%%workflow --sweep`` and the experiment widget in a real kernel (nbclient), as a user runs them."""
from __future__ import annotations

import json

import pytest

from .conftest import execute, notebook, text_of, widget_models

pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

pytestmark = [pytest.mark.xdist_group("notebook-kernel-session")]

TRAIN = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: train-
spec:
  entrypoint: main
  arguments:
    parameters:
    - name: lr
      value: "0.1"
    - name: tag
      value: x
  templates:
  - name: main
    container:
      image: busybox
      command: [sh, -c, "echo {{workflow.parameters.lr}}; sleep 0.2"]"""

HOSTILE = "<img src=x onerror=alert(1)>"

CELLS = [
    "%load_ext jupyter_flow",                                                                      # 0
    f"%%workflow --sweep lr=0.1,0.01 --sweep 'tag=a,{HOSTILE}' --parallelism 2 --experiment nb-exp\n"
    + TRAIN,                                                                                       # 1
    "exp = _\nprint(exp.wait(60), exp.progress)",                                                  # 2
    "from jupyter_flow.notebook.experiment_widget import widget_for\nimport json, time\n"
    "w = widget_for(exp)\ndeadline = time.time() + 10\n"
    "while w.bar.value < 4 and time.time() < deadline:\n    time.sleep(0.1)\n"
    "print(json.dumps({'bar': [w.bar.value, w.bar.max], 'table': w.table.value, 'header': w.header.value,"
    " 'options': [list(o) for o in w.picker.options], 'refreshes': w.refreshes}))",               # 3
    "w.picker.value = exp.runs.names[2]\n"
    "from jupyter_flow.notebook.widget import RunWidget\n"
    "[box] = w.detail.children\n"
    "print(json.dumps({'opened': w.opened, 'is_run_widget': 'jf-run-widget' in box._dom_classes,"
    " 'dag_nodes': len(json.loads(json.dumps(box.children[2].children[0].graph))['nodes'])}))",   # 4
    "print(exp.to_frame()[['name', 'phase', 'param.lr', 'param.tag']].to_json(orient='records'))", # 5
    "%%workflow --sweep nope=1,2\n" + TRAIN,                                                       # 6
    "%%workflow --sweep lr=1 --name fixed\n" + TRAIN,                                              # 7
    "%%workflow --sweep lr=1 --check --experiment nb-fail\n" + TRAIN.replace("sleep 0.2", "exit 3"),  # 8
    "%%workflow --parallelism 3\n" + TRAIN,                                                        # 9
]


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    import os
    from .conftest import ROOT
    home = tmp_path_factory.mktemp("jf-exp-kernel-home")
    env = {"JUPYTER_FLOW_HOME": str(home), "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return execute(notebook(*CELLS), allow_errors=True, timeout=120)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_sweep_magic_returns_the_experiment_and_shows_its_widget(session):
    cell = session.cells[1]
    [result] = [o for o in cell.outputs if o.get("output_type") == "execute_result"]
    assert "<Experiment nb-exp" in result["data"]["text/plain"]
    view = result["data"]["application/vnd.jupyter.widget-view+json"]
    models = widget_models(session)
    assert "jf-experiment-widget" in models[view["model_id"]]["state"]["_dom_classes"]
    assert text_of(session.cells[2]).strip() == "Succeeded (4, 4)"


def test_widget_table_is_escaped_and_complete(session):
    state = json.loads(text_of(session.cells[3]))
    assert state["bar"] == [4, 4]
    table = state["table"]
    assert "<img" not in table and "&lt;img src=x onerror=alert(1)&gt;" in table
    assert table.count("<tr>") == 5 and table.count("Succeeded") == 4       # header + one row a run
    assert "nb-exp" in state["header"] and "4/4 runs" in state["header"]
    assert [o[0].split("  ")[1] for o in state["options"]] == ["Succeeded"] * 4
    # the widget model the page gets holds the escaped table too
    tables = [m["state"]["value"] for m in widget_models(session).values()
              if "jf-experiment-table" in m["state"].get("_dom_classes", ())]
    assert tables and all("<img" not in t for t in tables)


def test_clicking_a_run_shows_its_dag(session):
    state = json.loads(text_of(session.cells[4]))
    assert state["is_run_widget"] and state["dag_nodes"] == 1 and state["opened"].startswith("train-")


def test_frame_in_the_kernel(session):
    rows = json.loads(text_of(session.cells[5]))
    assert [(r["param.lr"], r["param.tag"]) for r in rows] == [(0.1, "a"), (0.1, HOSTILE), (0.01, "a"),
                                                               (0.01, HOSTILE)]


def test_sweep_magic_errors(session):
    bad = text_of(session.cells[6])
    assert "--sweep: grid['nope']: 'nope' is not a parameter of the workflow" in bad
    assert "Traceback" not in bad
    assert "--name cannot be used with --sweep" in text_of(session.cells[7])
    failed = text_of(session.cells[8])
    assert "experiment nb-fail Failed" in failed and "Traceback" not in failed
    assert "--parallelism and --experiment go with --sweep" in text_of(session.cells[9])
