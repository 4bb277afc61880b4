"""Retention over real stores and real runs: ``spec.ttlStrategy`` and ``spec.podGC`` as Argo's
controller applies them (locally a pod is its sandbox roots under ``runs/<run>/nodes/``; logs and
artifacts stay), and ``keep: {runs, days}`` of ``config.yaml``. A run that has not finished is never
touched; hostile values delete nothing they should not."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from jupyter_flow import api
from jupyter_flow.store import retention

STEPS = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: ret-}
spec:
  entrypoint: main
  %s
  templates:
  - name: main
    steps:
    - - {name: good, template: ok}
      - {name: bad, template: fail, continueOn: {failed: true}}
  - name: ok
    metadata: {labels: {keep-me: "no"}}
    container: {image: busybox, command: [sh, -c, "echo ok > /tmp/out.txt; echo ok"]}
    outputs: {artifacts: [{name: out, path: /tmp/out.txt}]}
  - name: fail
    container: {image: busybox, command: [sh, -c, "echo bad > /tmp/bad.txt; echo bad; exit 1"]}
"""


def run(store, spec: str = "") -> api.Run:
    r = api.submit(STEPS % spec, wait=True, store=store)
    assert r.phase in ("Succeeded", "Failed"), r.phase
    return r


def pods(r: api.Run) -> dict[str, str]:
    return {n["displayName"]: n["id"] for n in r.nodes.values() if n["type"] == "Pod"}


def row(store, name: str, phase: str, spec: dict, finished: float | None, *, owner: int | None = None) -> None:
    """A run row as an engine (or an older version) left it, with no engine behind it."""
    store._write(lambda c: c.execute(
        "INSERT INTO runs(name, namespace, uid, phase, created_at, finished_at, workflow, owner_pid, updated_at)"
        " VALUES (?,?,?,?,?,?,?,?,?)",
        (name, "default", "u", phase, (finished or time.time()) - 5, finished,
         __import__("json").dumps({"metadata": {"name": name}, "spec": spec}), owner, time.time())))


def test_ttl_after_success_deletes_the_run_at_the_next_sweep_not_under_its_waiter(store):
    r = run(store, "ttlStrategy: {secondsAfterCompletion: 3600, secondsAfterFailure: 0}")
    assert r.phase == "Succeeded" and store.exists(r.name)   # its own engine leaves it to the next sweep
    assert retention.sweep(store).ttl == []                   # Succeeded: secondsAfterCompletion (1 h) applies
    finished = store.get_run(r.name, with_nodes=False).finished_at
    assert retention.sweep(store, now=finished + 3601).ttl == [r.name]
    assert not store.exists(r.name) and not store.run_dir(r.name).exists()


def test_ttl_zero_after_failure_and_success_precedence(store):
    failed = api.submit(STEPS.replace("continueOn: {failed: true}", "") % "ttlStrategy: {secondsAfterFailure: 0,"
                        " secondsAfterSuccess: 3600}", wait=True, store=store)
    assert failed.phase == "Failed" and store.exists(failed.name)
    assert retention.sweep(store).ttl == [failed.name]


@pytest.mark.parametrize("ttl, deleted", [
    (-5, True), (0, True), ("0", True), (10**30, False), (1e300, False), ("abc", False), (True, False),
    (1.5, False), ({"x": 1}, False), (None, False),
])
def test_hostile_ttl_values(store, ttl, deleted):
    row(store, "r", "Succeeded", {"ttlStrategy": {"secondsAfterSuccess": ttl}}, time.time() - 10)
    got = retention.sweep(store, now=time.time() + 10**9).ttl   # 31 years later
    assert (got == ["r"]) is deleted and store.exists("r") is not deleted


def test_unfinished_runs_are_never_deleted(store):
    row(store, "running", "Running", {"ttlStrategy": {"secondsAfterCompletion": 0}}, time.time() - 100,
        owner=os.getpid())
    row(store, "pending", "Pending", {"ttlStrategy": {"secondsAfterCompletion": 0}}, None)
    swept = retention.sweep(store, now=time.time() + 10**6, keep=(0, 0.0))
    assert swept.ttl == [] and swept.kept_out == []
    assert store.exists("running") and store.exists("pending")


def test_a_run_named_like_a_path_is_deleted_inside_the_home_only(store, tmp_path):
    victim = store.home / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("x")
    for name in ("..", "../victim", "/etc"):   # rows an older version could hold
        row(store, name, "Failed", {"ttlStrategy": {"secondsAfterFailure": 0}}, time.time() - 1)
        store.run_dir(name).mkdir(parents=True, exist_ok=True)
    assert sorted(retention.sweep(store).ttl) == ["..", "../victim", "/etc"]
    assert (victim / "keep.txt").read_text() == "x" and (store.home / "runs.db").exists()
    assert os.path.isdir("/etc") and (store.home / "runs").is_dir()


def test_pod_gc_on_pod_success_removes_succeeded_sandboxes_and_keeps_logs_and_artifacts(store):
    r = run(store, "podGC: {strategy: OnPodSuccess}")
    ids = pods(r)
    nodes = store.run_dir(r.name) / "nodes"
    assert not (nodes / ids["good"]).exists()           # collected when its engine ended the run
    assert (nodes / ids["bad"]).is_dir()                # failed: OnPodSuccess keeps it
    assert r.logs("good").strip() == "ok" and r.logs("bad").strip() == "bad"
    assert (store.artifact_dir(r.name) / ids["good"] / "out").exists()
    assert r.nodes[ids["good"]]["phase"] == "Succeeded"   # the node itself stays


def test_pod_gc_on_workflow_success_keeps_a_failed_runs_pods(store):
    r = api.submit(STEPS.replace("continueOn: {failed: true}", "") % "podGC: {strategy: OnWorkflowSuccess}",
                   wait=True, store=store)
    assert r.phase == "Failed"
    nodes = store.run_dir(r.name) / "nodes"
    assert all((nodes / i).is_dir() for i in pods(r).values())
    assert retention.sweep(store, now=time.time() + 10**6).pods == {}


def test_pod_gc_delay_and_label_selector(store):
    r = run(store, "podGC: {strategy: OnPodCompletion, deleteDelayDuration: 1h,"
                   " labelSelector: {matchExpressions: [{key: keep-me, operator: DoesNotExist}]}}")
    ids = pods(r)
    nodes = store.run_dir(r.name) / "nodes"
    assert all((nodes / i).is_dir() for i in ids.values())   # the delay runs
    assert retention.sweep(store).pods == {}
    finished = store.get_run(r.name, with_nodes=False).finished_at
    assert retention.sweep(store, now=finished + 3601).pods == {r.name: [ids["bad"]]}
    assert (nodes / ids["good"]).is_dir()                     # labelled keep-me: not selected
    assert retention.sweep(store, now=finished + 7200).pods == {}   # collected once


@pytest.mark.parametrize("gc", [{"strategy": "Sometimes"}, {"strategy": "OnPodCompletion", "deleteDelayDuration": "soon"},
                                {"strategy": "OnPodCompletion", "labelSelector": "x"}, "OnPodCompletion"])
def test_bad_pod_gc_deletes_nothing(store, gc):
    row(store, "r", "Succeeded", {"podGC": gc}, time.time() - 10)
    store.save("r", nodes=[{"id": "r-1", "type": "Pod", "phase": "Succeeded"},
                           {"id": "../../escape", "type": "Pod", "phase": "Succeeded"}])
    (store.run_dir("r") / "nodes" / "r-1").mkdir(parents=True)
    retention.sweep(store, now=time.time() + 10**6)
    assert (store.run_dir("r") / "nodes" / "r-1").is_dir()


def test_pod_gc_of_a_hostile_node_id_stays_inside_the_runs_nodes(store):
    row(store, "r", "Succeeded", {"podGC": {"strategy": "OnPodCompletion"}}, time.time() - 10)
    outside = store.run_dir("r") / "logs"
    outside.mkdir(parents=True)
    (outside / "keep.log").write_text("x")
    (store.run_dir("r") / "nodes").mkdir()
    store.save("r", nodes=[{"id": "../logs", "type": "Pod", "phase": "Succeeded"},
                           {"id": "/tmp", "type": "Pod", "phase": "Succeeded"}])
    retention.sweep(store)
    assert (outside / "keep.log").read_text() == "x" and os.path.isdir("/tmp")


def test_keep_runs_and_days_from_config(store, flow_home):
    now = time.time()
    for i in range(5):
        row(store, f"old-{i}", "Succeeded", {}, now - 86400 * (10 - i))
    row(store, "live", "Running", {}, None, owner=os.getpid())
    (flow_home / "config.yaml").write_text("keep: {runs: 3, days: 7.5}\n")
    swept = retention.sweep(store, now=now)
    # beyond the newest 3: old-0, old-1; finished over 7.5 days ago: old-0, old-1, old-2
    assert sorted(swept.kept_out) == ["old-0", "old-1", "old-2"]
    assert sorted(r.name for r in store.list_runs()) == ["live", "old-3", "old-4"]


@pytest.mark.parametrize("text", ["keep: {runs: -1}", "keep: {runs: x}", "keep: {runs: true}", "keep: 3",
                                  "keep: {days: .nan}", "keep: {runs: 1.5}"])
def test_bad_keep_deletes_nothing_and_says_why(store, flow_home, text, capsys):
    for i in range(3):
        row(store, f"r{i}", "Succeeded", {}, time.time() - 86400 * 400)
    (flow_home / "config.yaml").write_text(text + "\n")
    assert retention.sweep(store).kept_out == []
    assert len(store.list_runs()) == 3 and "keep" in capsys.readouterr().err


def test_sweep_queries_use_the_partial_indexes(store):
    """Only the runs that declare a ttlStrategy / podGC are visited (10,000 runs without: no JSON read)."""
    retention.ensure_schema(store)
    for index, key in (("runs_ttl", "ttlStrategy"), ("runs_podgc", "podGC")):
        plan = " ".join(str(r) for r in store._read(
            f"EXPLAIN QUERY PLAN SELECT name FROM runs INDEXED BY {index} WHERE json_type(workflow, '$.spec.{key}')"
            " IS NOT NULL AND phase IN ('Succeeded','Failed','Error')"))
        assert f"USING INDEX {index}" in plan or f"USING COVERING INDEX {index}" in plan, plan


def test_go_durations():
    assert [retention.go_duration(t) for t in ("0", "30s", "1h30m", "500ms", "1.5h", "-2m")] == \
        [0.0, 30.0, 5400.0, 0.5, 5400.0, -120.0]
    for bad in ("", "1d", "h", "1 h", "1h-", "soon"):
        with pytest.raises(ValueError):
            retention.go_duration(bad)


def test_list_sweeps_first(store, flow_home):
    row(store, "gone", "Succeeded", {"ttlStrategy": {"secondsAfterSuccess": 1}}, time.time() - 5)
    row(store, "stays", "Succeeded", {"ttlStrategy": {"secondsAfterSuccess": 3600}}, time.time() - 5)
    out = subprocess.run([sys.executable, "-m", "jupyter_flow.cli", "list", "-o", "name"], capture_output=True,
                         text=True, timeout=60, env=dict(os.environ, JUPYTER_FLOW_HOME=str(flow_home)))
    assert out.stdout.split() == ["stays"], out.stderr
