"""``jupyter-flow submit FILE --sweep k=v1,v2 ...``: real CLI processes, a real store."""
from __future__ import annotations

import time

from jupyter_flow.experiments.grid import LABEL

from tests.test_cli import cli
from tests.test_experiment import train


def test_submit_sweep_wait_prints_the_experiment_and_its_runs(tmp_path, store):
    wf = tmp_path / "train.yaml"
    wf.write_text(train("0.1"))
    out = cli("submit", str(wf), "--sweep", "lr=0.1,0.01", "--sweep", "depth=3,5", "--parallelism", "3",
              "--experiment", "cli-grid", "-l", "team=ml", "--wait").stdout
    assert "Experiment:          cli-grid" in out and "4, at most 3 at once" in out
    runs = store.list_runs(experiment="cli-grid", oldest_first=True)
    assert len(runs) == 4 and all(r.phase == "Succeeded" for r in runs)
    assert all(r.workflow["metadata"]["labels"] == {"team": "ml", LABEL: "cli-grid"} for r in runs)
    for r in runs:
        assert r.name in out
    assert "lr=0.01 depth=5" in out and "Experiment cli-grid Succeeded" in out
    listed = cli("list", "-l", f"{LABEL}=cli-grid", "-o", "name").stdout.split()
    assert sorted(listed) == sorted(r.name for r in runs)


def test_submit_sweep_detached_outlives_the_command_and_stops_from_another_process(tmp_path, store):
    wf = tmp_path / "train.yaml"
    wf.write_text(train("30"))
    names = cli("submit", str(wf), "--sweep", "depth=1,2,3", "--parallelism", "1", "-o", "name").stdout.split()
    assert len(names) == 3
    deadline = time.time() + 30
    while store.get_run(names[0], with_nodes=False).phase != "Running":
        assert time.time() < deadline, "the detached sweep never started its first run"
        time.sleep(0.1)
    cli("stop", *names)   # the running one stops; the others are asked before their turn
    deadline = time.time() + 30
    while any(store.get_run(n, with_nodes=False).phase not in ("Failed", "Error", "Succeeded") for n in names):
        assert time.time() < deadline
        time.sleep(0.1)
    recs = [store.get_run(n, with_nodes=False) for n in names]
    assert [r.phase for r in recs] == ["Failed"] * 3
    assert recs[0].started_at is not None and all(r.started_at is None for r in recs[1:])


def test_submit_sweep_refuses_bad_input_and_creates_nothing(tmp_path, store):
    wf = tmp_path / "train.yaml"
    wf.write_text(train())
    bad = cli("submit", str(wf), "--sweep", "lrr=1,2", check=False)
    assert bad.returncode == 1 and "--sweep: grid['lrr']: 'lrr' is not a parameter of the workflow" in bad.stderr
    bad = cli("submit", str(wf), "--sweep", "lr", check=False)
    assert bad.returncode == 1 and "expected NAME=V1,V2" in bad.stderr
    bad = cli("submit", str(wf), "--sweep", "lr=1", "--name", "x", check=False)
    assert bad.returncode == 1 and "--name cannot be used with a sweep" in bad.stderr
    bad = cli("submit", str(wf), "--sweep", "lr=1", "--experiment", "a/b", check=False)
    assert bad.returncode == 1 and "not a valid experiment name" in bad.stderr
    bad = cli("submit", str(wf), "--parallelism", "3", check=False)
    assert bad.returncode == 1 and "--parallelism and --experiment go with --sweep" in bad.stderr
    assert store.list_runs() == []
