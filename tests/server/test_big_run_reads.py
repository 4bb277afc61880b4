"""The REST summary of one run and one pod's Argo log stream read no other node of a big run
(a real store filled as the engine writes it; every other node row made undecodable)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks.bigread import fill_big  # noqa: E402


def corrupt_nodes(store, run: str, keep: tuple[str, ...] = ()) -> None:
    marks = ",".join("?" * len(keep)) or "''"
    store._write(lambda c: c.execute(f"UPDATE nodes SET data='{{not json' WHERE run=? AND id NOT IN ({marks})",
                                     (run, *keep)))


def test_run_summary_reads_no_node(flow_home, store):
    from jupyter_flow.server.manager import FlowManager, ManagerError
    fill_big(store, "big", 1_000)
    corrupt_nodes(store, "big")
    mgr = FlowManager(flow_home)
    got = mgr.run_summary("big")
    assert (got["name"], got["phase"], got["progress"], got["entrypoint"]) == ("big", "Succeeded", "1000/1000", "main")
    assert got["labels"] == {"bench": "bigread"} and got["createdAt"]
    with pytest.raises(ManagerError) as err:
        mgr.run_summary("nope")
    assert err.value.status == 404
    with pytest.raises(ManagerError) as err:
        mgr.run_summary("../x")
    assert err.value.status == 400
    with pytest.raises(ValueError):
        mgr.get_run("big")   # the whole run does read them


def test_run_summary_counts_progress_without_a_stored_one(flow_home, store):
    from jupyter_flow.server.manager import FlowManager
    store.create_run("p", {"metadata": {"name": "p"}, "spec": {"entrypoint": "e"}}, uid="u")
    store.save("p", nodes=[{"id": "p", "type": "Steps", "phase": "Running"},
                           {"id": "p-1", "type": "Pod", "phase": "Succeeded"},
                           {"id": "p-2", "type": "Pod", "phase": "Pending"}])
    assert FlowManager(flow_home).run_summary("p")["progress"] == "1/2"


def test_argo_pod_log_stream_reads_only_that_pod(flow_home, store):
    from jupyter_flow.argoserver.streams import LogStream
    from jupyter_flow.argoserver.workflows import WorkflowOps
    rows = fill_big(store, "big", 500)
    pod = rows[300]
    log = store.log_path("big", pod["id"])
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("a\nb\n")
    corrupt_nodes(store, "big", (pod["id"],))
    ops = WorkflowOps(flow_home)
    for name in (pod["id"], "big-t-298"):   # its id, its (v2) pod name
        stream = LogStream(ops, "default", "big", pod_name=name)
        assert stream.poll() == [{"result": {"content": "a", "podName": "big-t-298"}},
                                 {"result": {"content": "b", "podName": "big-t-298"}}]
        assert stream.done


async def test_rest_summary_of_one_run(jp_fetch, store):
    import json
    fill_big(store, "big", 400)
    corrupt_nodes(store, "big")
    r = await jp_fetch("jupyter-flow", "api", "runs", "big", params={"summary": "1"}, raise_error=False)
    data = json.loads(r.body)
    assert r.code == 200 and data["name"] == "big" and data["progress"] == "400/400", data
    r = await jp_fetch("jupyter-flow", "api", "runs", "nope", params={"summary": "1"}, raise_error=False)
    assert r.code == 404
