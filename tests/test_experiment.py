"""Sweeps (``jupyter_flow.sweep``) and runs as a table (``runs().to_frame()``): real runs, real store."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import jupyter_flow as jf
from jupyter_flow.errors import JupyterFlowError, SpecError
from jupyter_flow.experiments.grid import LABEL, check_name, expand, new_experiment_name, parse_sweep_args

ROOT = Path(__file__).resolve().parent.parent

TRAIN = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: train-
spec:
  entrypoint: main
  arguments:
    parameters:
    - name: lr
      value: "0.5"
    - name: depth
  templates:
  - name: main
    outputs:
      parameters:
      - name: score
        valueFrom: {path: /tmp/score}
    container:
      image: busybox
      command: [sh, -c, "sleep {{workflow.parameters.nap}}; echo {{workflow.parameters.lr}} > /tmp/score"]
"""


def train(nap: str = "0.3") -> str:
    """TRAIN with a ``nap`` parameter (how long each run sleeps)."""
    return TRAIN.replace("    - name: depth\n", f"    - name: depth\n    - name: nap\n      value: \"{nap}\"\n")


# -- the grid -------------------------------------------------------------------------------------

def test_cartesian_grid_in_order_with_values_as_argo_strings():
    points = expand({"lr": [0.1, 0.01], "depth": [3, 5], "flag": [True]}, ["lr", "depth", "flag"])
    assert points == [{"lr": "0.1", "depth": "3", "flag": "true"}, {"lr": "0.1", "depth": "5", "flag": "true"},
                      {"lr": "0.01", "depth": "3", "flag": "true"}, {"lr": "0.01", "depth": "5", "flag": "true"}]


def test_list_grid_keeps_each_point_and_json_encodes_structures():
    points = expand([{"lr": "a"}, {"lr": 1, "depth": {"k": [1, 2]}}], ["lr", "depth"])
    assert points == [{"lr": "a"}, {"lr": "1", "depth": '{"k":[1,2]}'}]


@pytest.mark.parametrize("grid, path, words", [
    ({"lrr": [1]}, "grid['lrr']", "not a parameter of the workflow"),
    ({"lr": []}, "grid['lr']", "empty list"),
    ({"lr": "0.1"}, "grid['lr']", "a string is one value"),
    ({}, "grid", "empty grid"),
    ([], "grid", "empty list"),
    (["lr=1"], "grid[0]", "expected a dict"),
    ([{"lr": None}], "grid[0]['lr']", "got NoneType"),
    ([{"lr": float("nan")}], "grid[0]['lr']", "got float"),
    (42, "grid", "expected a dict of value lists"),
    ({"lr": list(range(101)), "depth": list(range(100))}, "grid", "10,100 points"),
])
def test_grid_errors_name_the_entry(grid, path, words):
    with pytest.raises(SpecError) as err:
        expand(grid, ["lr", "depth"])
    [e] = err.value.errors
    assert e.path == path and words in e.message and e.file == "<sweep>"


def test_every_grid_problem_is_reported_once():
    with pytest.raises(SpecError) as err:
        expand([{"x": 1}, {"x": 2}, {"lr": None}], ["lr"])
    assert len(err.value.errors) == 2   # the unknown key once, not per point


def test_experiment_names_are_label_values():
    assert check_name("exp-1.a_b") == "exp-1.a_b"
    for bad in ("", "-x", "x-", "a/b", "a b", "x" * 64, "é", 3):
        with pytest.raises(SpecError):
            check_name(bad)
    long = new_experiment_name({"metadata": {"generateName": "a" * 80 + "-"}})
    assert len(long) <= 63 and check_name(long)
    assert new_experiment_name({"metadata": {"name": "my wf!"}}).startswith("my-wf-")


def test_sweep_flag_parsing():
    assert parse_sweep_args(["lr=0.1,0.01", "depth=3"]) == {"lr": ["0.1", "0.01"], "depth": ["3"]}
    with pytest.raises(SpecError, match="expected NAME=V1,V2"):
        parse_sweep_args(["lr"])
    with pytest.raises(SpecError, match="given twice"):
        parse_sweep_args(["lr=1", "lr=2"])


def test_bad_grid_creates_nothing(store):
    with pytest.raises(SpecError, match="'depht' is not a parameter of the workflow"):
        jf.sweep(train(), {"depht": [3, 5]})
    with pytest.raises(SpecError, match="parallelism"):
        jf.sweep(train(), {"depth": [3]}, parallelism=0)
    with pytest.raises(SpecError, match="not a valid experiment name"):
        jf.sweep(train(), {"depth": [3]}, name="no spaces")
    assert len(jf.runs()) == 0


# -- a real sweep -------------------------------------------------------------------------------------

def test_sweep_runs_every_point_at_most_parallelism_at_once(store):
    e = jf.sweep(train("0.3"), {"lr": [0.1, 0.01], "depth": [3, 5]}, parallelism=2, name="grid-1")
    seen = []
    assert e.name == "grid-1"
    assert e.wait(60) == "Succeeded" and e.phase == "Succeeded" and e.progress == (4, 4)
    runs = e.runs
    assert len(runs) == 4
    recs = [store.get_run(n, with_nodes=False) for n in runs.names]
    # grid order, every run a normal workflow with its point's parameters and the experiment label
    params = [{p["name"]: p.get("value") for p in r.workflow["spec"]["arguments"]["parameters"]} for r in recs]
    assert [(p["lr"], p["depth"]) for p in params] == [("0.1", "3"), ("0.1", "5"), ("0.01", "3"), ("0.01", "5")]
    assert all(r.workflow["metadata"]["labels"][LABEL] == "grid-1" for r in recs)
    assert all(r.name.startswith("train-") and r.phase == "Succeeded" for r in recs)
    # at most two ran at once: count the runs in progress at each start
    spans = sorted((r.started_at, r.finished_at) for r in recs)
    for start, _ in spans:
        seen.append(sum(1 for s, f in spans if s <= start < f))
    assert max(seen) <= 2
    # the same runs through runs(): by experiment, by label dict, by selector
    assert set(jf.runs(experiment="grid-1").names) == set(runs.names)
    assert set(jf.runs(labels={LABEL: "grid-1"}).names) == set(runs.names)
    assert set(jf.runs(labels=f"{LABEL}=grid-1,!nope").names) == set(runs.names)
    assert jf.runs(labels=f"{LABEL}!=grid-1") == []
    assert len(jf.runs(phase="Succeeded", since=60)) == 4 and len(jf.runs(phase=["Failed", "Error"])) == 0
    with pytest.raises(JupyterFlowError, match="already exists"):
        jf.sweep(train(), {"depth": [3]}, name="grid-1")
    assert jf.experiment("grid-1").phase == "Succeeded"


def test_scheduler_never_holds_more_than_parallelism(store):
    from jupyter_flow.experiments import core
    from jupyter_flow.experiments.scheduler import Scheduler
    live, peak = [0], [0]
    real_init = Scheduler.__init__

    def counting_init(self, *a, **k):
        real_init(self, *a, **k)

        def count(_name, what):
            if what == "started":
                live[0] += 1
                peak[0] = max(peak[0], len(self.running))
            elif what == "ended" and _name:
                live[0] -= 1
        self.listeners.append(count)
    Scheduler.__init__ = counting_init
    try:
        e = core.sweep(train("0.05"), [{"depth": str(i)} for i in range(6)], parallelism=3)
        assert e.wait(60) == "Succeeded"
    finally:
        Scheduler.__init__ = real_init
    assert peak[0] <= 3 and live[0] == 0


def test_stop_ends_running_runs_and_starts_no_more(store):
    e = jf.sweep(train("30"), {"depth": [1, 2, 3]}, parallelism=1)
    first = e.runs[0]
    deadline = time.time() + 20
    while first.phase != "Running":
        assert time.time() < deadline
        time.sleep(0.05)
    t = time.time()
    e.stop()
    assert e.wait(20) == "Failed" and time.time() - t < 15
    recs = [store.get_run(n, with_nodes=False) for n in e.runs.names]
    assert recs[0].phase == "Failed" and recs[0].started_at is not None
    for r in recs[1:]:   # never started
        assert r.phase == "Failed" and r.started_at is None and "Stopped with strategy 'Stop'" in r.message


def test_a_dead_sweep_process_leaves_no_run_pending(store, flow_home):
    """A kernel restart: the scheduler and its runs die together, readers mark them Error."""
    code = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        import jupyter_flow as jf
        e = jf.sweep({train("30")!r}, {{"depth": [1, 2, 3]}}, parallelism=1, name="doomed")
        while e.runs[0].phase != "Running":
            time.sleep(0.05)
        print("running", flush=True)
        time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, JUPYTER_FLOW_HOME=str(flow_home)), start_new_session=True)
    try:
        assert proc.stdout.readline().strip() == "running"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    e = jf.experiment("doomed")
    assert e.phase == "Error" and e.wait(5) == "Error"
    assert [store.get_run(n, with_nodes=False).message for n in e.runs.names] == ["engine exited"] * 3


# -- runs as a table -------------------------------------------------------------------------------------

def test_to_frame_columns(store):
    pd = pytest.importorskip("pandas")
    e = jf.sweep(train("0"), {"lr": [0.1, 0.01], "depth": ["3", "deep"]}, parallelism=2, wait=True)
    df = e.to_frame()
    assert list(df.columns[:4]) == ["name", "phase", "started", "duration"]
    assert {"param.lr", "param.depth", "param.nap"} <= set(df.columns)
    assert list(df["name"]) == e.runs.names and set(df["phase"]) == {"Succeeded"}
    assert pd.api.types.is_numeric_dtype(df["param.lr"]) and list(df["param.lr"]) == [0.1, 0.1, 0.01, 0.01]
    assert not pd.api.types.is_numeric_dtype(df["param.depth"])     # "deep" is no number
    assert str(df["started"].dt.tz) == "UTC" and (df["duration"] >= 0).all()
    assert not any(c.startswith("output.") for c in df.columns)
    out = e.to_frame(outputs=True)
    assert list(out[f"output.{e.runs.names[0]}.score"].iloc[:1]) == [0.1]
    everything = jf.runs().to_frame()
    assert len(everything) == 4 and set(everything["name"]) == set(df["name"])


def test_metric_columns_take_the_last_value_per_name():
    from jupyter_flow.runset import metric_columns
    assert metric_columns([{"name": "loss", "labels": {}, "value": 0.9, "node": "a"},
                           {"name": "acc", "labels": {"split": "val"}, "value": 0.7, "node": "a"},
                           {"name": "loss", "labels": {}, "value": 0.2, "node": "b"}, {"value": 3}]) == \
        {"metric.loss": 0.2, "metric.acc": 0.7}
    assert metric_columns(None) == {}


def test_to_frame_without_pandas_says_how_to_get_it(store, monkeypatch):
    jf.sweep(train("0"), {"depth": [1]}, wait=True)
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(JupyterFlowError, match=r"jupyter-flow\[experiments\]"):
        jf.runs().to_frame()
    assert len(jf.runs().rows()) == 1   # the rows themselves need no pandas


def test_import_stays_light():
    out = subprocess.run([sys.executable, "-c", "import sys, jupyter_flow; jupyter_flow.runs; jupyter_flow.sweep;"
                          "print(sorted(m for m in sys.modules if m.startswith(('pandas', 'jupyter_flow.'))))"],
                         capture_output=True, text=True, check=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert out.stdout.strip() == "[]"


def test_runs_filters_reject_bad_values(store):
    with pytest.raises(JupyterFlowError, match="since="):
        jf.runs(since="yesterday-ish")
    with pytest.raises(JupyterFlowError, match="labels="):
        jf.runs(labels="a=b=c")
