"""The SQLite store: one writer, many readers, control requests between processes."""
from __future__ import annotations

import multiprocessing
import sqlite3

from jupyter_flow.store.db import Store


def _wf(name: str) -> dict:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": name}, "spec": {}}


def test_create_save_and_read_back(tmp_path):
    store = Store(tmp_path)
    store.create_run("wf-1", _wf("wf-1"), uid="u1")
    assert store.exists("wf-1") and not store.exists("nope")
    node = {"id": "wf-1", "name": "wf-1", "displayName": "wf-1", "type": "Pod", "phase": "Running",
            "startedAt": "2026-01-01T00:00:00Z"}
    store.save("wf-1", run_fields={"phase": "Running", "status": {"phase": "Running", "progress": "0/1"}},
               nodes=[node], events=[(1.0, "node", "wf-1", {"phase": "Running"})])
    rec = store.get_run("wf-1")
    assert rec.phase == "Running" and rec.status["progress"] == "0/1"
    assert rec.nodes == {"wf-1": node}
    assert rec.workflow["metadata"]["name"] == "wf-1"
    assert [e["kind"] for e in store.events("wf-1")] == ["node"]
    assert store.log_path("wf-1", "n1").parent == tmp_path / "runs" / "wf-1" / "logs"


def test_list_latest_and_delete(tmp_path):
    store = Store(tmp_path)
    for i in range(3):
        store.create_run(f"wf-{i}", _wf(f"wf-{i}"), uid=str(i))
    store.save("wf-1", run_fields={"phase": "Failed"})
    assert [r.name for r in store.list_runs()] == ["wf-2", "wf-1", "wf-0"]
    assert [r.name for r in store.list_runs(phase="Failed")] == ["wf-1"]
    assert store.latest() == "wf-2"
    assert not store.run_dir("wf-2").exists()   # made by the first file a run writes
    (store.run_dir("wf-2") / "logs").mkdir(parents=True)
    (store.run_dir("wf-2") / "logs" / "x.log").write_text("log")
    store.delete_run("wf-2")
    assert not store.exists("wf-2") and not store.run_dir("wf-2").exists()
    assert store.latest() == "wf-1"


def test_control_requests_are_taken_once(tmp_path):
    a, b = Store(tmp_path), Store(tmp_path)    # two processes' connections
    a.create_run("wf", _wf("wf"), uid="u")
    assert b.take_requests("wf") == []
    b.request("wf", "resume", {"node": "approve"})
    b.request("wf", "stop")
    assert a.take_requests("wf") == [("resume", {"node": "approve"}), ("stop", {})]
    assert a.take_requests("wf") == []


def test_requests_are_answered_and_an_older_store_gains_the_column(tmp_path):
    import sqlite3
    old = tmp_path / "old"
    old.mkdir()
    with sqlite3.connect(old / "runs.db") as conn:   # the requests table as stores before answers made it
        conn.execute("CREATE TABLE requests (seq INTEGER PRIMARY KEY AUTOINCREMENT, run TEXT NOT NULL, "
                     "action TEXT NOT NULL, payload TEXT NOT NULL DEFAULT '{}', created_at REAL NOT NULL, "
                     "taken_at REAL)")
        conn.execute("INSERT INTO requests(run, action, created_at) VALUES ('wf', 'stop', 1)")
    engine, cli = Store(old), Store(old)
    seq = cli.request("wf", "resume")
    assert cli.request_answer(seq) is None                       # not handled yet
    taken = engine.take_requests("wf", numbered=True)
    assert [(a, p) for _, a, p in taken] == [("stop", {}), ("resume", {})] and taken[-1][0] == seq
    engine.answer_requests({taken[0][0]: "", seq: "raw output parameter 'x' has not been set"})
    assert cli.request_answer(seq) == "raw output parameter 'x' has not been set"
    assert cli.request_answer(taken[0][0]) == ""


def test_templates_and_memo(tmp_path):
    store = Store(tmp_path)
    store.put_template("WorkflowTemplate", "t1", {"spec": {"templates": []}})
    assert store.get_template("WorkflowTemplate", "t1") == {"spec": {"templates": []}}
    assert store.get_template("ClusterWorkflowTemplate", "t1") is None
    assert [(k, n) for k, n, _ in store.list_templates()] == [("WorkflowTemplate", "t1")]
    assert store.delete_template("WorkflowTemplate", "t1") and not store.delete_template("WorkflowTemplate", "t1")
    store.memo_put("cache", "key", {"outputs": {"result": "x"}})
    data, created = store.memo_get("cache", "key")
    assert data == {"outputs": {"result": "x"}} and created > 0


def _writer(home: str, run: str, count: int) -> None:
    store = Store(home)
    store.create_run(run, _wf(run), uid=run)
    for i in range(count):
        store.save(run, run_fields={"phase": "Running"},
                   nodes=[{"id": f"{run}-{i}", "name": f"{run}-{i}", "phase": "Succeeded"}])


def test_concurrent_writers_never_surface_locked_errors(tmp_path):
    procs = [multiprocessing.get_context("spawn").Process(target=_writer, args=(str(tmp_path), f"wf{i}", 100))
             for i in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    store = Store(tmp_path)
    assert sorted(r.name for r in store.list_runs()) == ["wf0", "wf1", "wf2", "wf3"]
    assert all(len(store.get_nodes(f"wf{i}")) == 100 for i in range(4))
    conn = sqlite3.connect(tmp_path / "runs.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_new_store_opened_while_another_process_writes_it_waits_instead_of_failing(tmp_path, monkeypatch):
    """The cause of the flaky test above: on a new (rollback-mode) runs.db, ``PRAGMA journal_mode=WAL``
    upgrades a read lock, and SQLite refuses that upgrade at once ("database is locked", no busy
    handler) while another connection holds the write lock: processes creating a store together
    failed now and then. Made deterministic: the other writer holds the lock until the store has
    been refused once, then commits."""
    import jupyter_flow.store.schema as schema   # where the connection is opened (_set_wal, _pause)
    other = sqlite3.connect(tmp_path / "runs.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")                  # another process's write in progress
    other.execute("CREATE TABLE theirs (x)")
    pauses = []

    def pause(seconds):
        pauses.append(seconds)
        if other.in_transaction:
            other.execute("COMMIT")                   # the other process finishes its write

    monkeypatch.setattr(schema, "_pause", pause, raising=False)
    store = Store(tmp_path)
    assert pauses, "the first try was expected to be refused while the other write held the lock"
    store.create_run("wf", _wf("wf"), uid="u")
    assert store.exists("wf")
    assert sqlite3.connect(tmp_path / "runs.db").execute("PRAGMA journal_mode").fetchone()[0] == "wal"
