"""Retention (store/retention.py: ttlStrategy, podGC, keep) deletes runs and sandboxes: links in a
run's directory never take it outside ``runs/``. Real store, real files outside the home."""
from __future__ import annotations

import json
import os
import time

import pytest

from jupyter_flow.store import open_store, retention


@pytest.fixture
def store(tmp_path):
    return open_store(tmp_path / "home")


@pytest.fixture
def victim(tmp_path):
    """The user's own files, outside the home."""
    d = tmp_path / "project"
    (d / "r-1").mkdir(parents=True)
    (d / "r-1" / "thesis.tex").write_text("years of work")
    (d / "notes.txt").write_text("keep")
    return d


def _row(store, name: str, spec: dict, phase: str = "Succeeded") -> None:
    store._write(lambda c: c.execute(
        "INSERT INTO runs(name, namespace, uid, phase, created_at, finished_at, workflow, updated_at)"
        " VALUES (?,?,?,?,?,?,?,?)",
        (name, "default", "u", phase, time.time() - 20, time.time() - 10,
         json.dumps({"metadata": {"name": name}, "spec": spec}), time.time())))
    store.save(name, nodes=[{"id": "r-1", "type": "Pod", "phase": "Succeeded", "templateName": "t"}])


def _intact(victim) -> None:
    assert (victim / "r-1" / "thesis.tex").read_text() == "years of work"
    assert (victim / "notes.txt").read_text() == "keep"


def test_pod_gc_never_follows_a_nodes_folder_that_is_a_link(store, victim):
    """``runs/<run>/nodes`` replaced by a link to the user's project: the pod root ``nodes/r-1``
    resolves to ``project/r-1``, and the old check (inside ``nodes/``, resolved) let rmtree take it."""
    _row(store, "r", {"podGC": {"strategy": "OnPodCompletion"}})
    run = store.run_dir("r")
    run.mkdir(parents=True)
    (run / "nodes").symlink_to(victim)
    retention.sweep(store, now=time.time() + 10)
    _intact(victim)


def test_pod_gc_unlinks_a_pod_root_that_is_a_link_and_keeps_links_inside_one(store, victim):
    _row(store, "r", {"podGC": {"strategy": "OnPodCompletion"}})
    _row(store, "s", {"podGC": {"strategy": "OnPodCompletion"}})
    nodes_r = store.run_dir("r") / "nodes"
    nodes_r.mkdir(parents=True)
    (nodes_r / "r-1").symlink_to(victim / "r-1")           # the pod root itself is a link
    pod_s = store.run_dir("s") / "nodes" / "r-1"
    (pod_s / "home").mkdir(parents=True)
    (pod_s / "home" / "user").symlink_to(victim)           # links a step left inside its root
    (pod_s / "file").symlink_to(victim / "notes.txt")
    swept = retention.sweep(store, now=time.time() + 10)
    assert swept.pods == {"r": ["r-1"], "s": ["r-1"]}
    assert not os.path.lexists(nodes_r / "r-1") and not os.path.lexists(pod_s)
    _intact(victim)


def test_ttl_and_keep_unlink_a_run_folder_that_is_a_link(store, victim):
    _row(store, "r", {"ttlStrategy": {"secondsAfterCompletion": 0}})
    _row(store, "old", {}, phase="Failed")
    store.run_dir("r").parent.mkdir(parents=True, exist_ok=True)
    store.run_dir("r").symlink_to(victim)
    store.run_dir("old").symlink_to(victim / "r-1")
    swept = retention.sweep(store, keep=(0, None))
    assert swept.ttl == ["r"] and swept.kept_out == ["old"]
    assert not os.path.lexists(store.run_dir("r")) and not os.path.lexists(store.run_dir("old"))
    _intact(victim)


def test_a_running_run_keeps_its_pods_and_its_row_whatever_its_ttl(store, victim):
    _row(store, "live", {"ttlStrategy": {"secondsAfterCompletion": 0}, "podGC": {"strategy": "OnPodCompletion"}},
         phase="Running")
    pod = store.run_dir("live") / "nodes" / "r-1"
    pod.mkdir(parents=True)
    swept = retention.sweep(store, now=time.time() + 10**7, keep=(0, 0.0))
    assert swept.ttl == [] and swept.kept_out == [] and swept.pods == {}
    assert pod.is_dir() and store.exists("live")


def test_a_run_deleted_in_the_background_never_takes_a_new_run_of_its_name(store):
    """A sweep (every minute in the servers) deletes run ``r`` by TTL while the user submits ``r``
    again. The name is free the moment the delete's transaction commits; the old code removed
    ``runs/r`` by name after that, so the new run's directory went with it. Now, at COMMIT, the old
    directory is already out of ``runs/r`` (seen by SQLite's statement trace, no timing involved)."""
    _row(store, "r", {"ttlStrategy": {"secondsAfterCompletion": 0}})
    old = store.run_dir("r")
    (old / "nodes").mkdir(parents=True)
    (old / "nodes" / "old.txt").write_text("old")
    at_commit: list[bool] = []
    deleting: list[bool] = []

    def trace(sql: str) -> None:
        if sql.startswith("DELETE FROM runs WHERE"):
            deleting.append(True)
        elif sql.strip().upper() == "COMMIT" and deleting and not at_commit:
            at_commit.append(os.path.lexists(old))    # the commit that frees the name
    store._conn.set_trace_callback(trace)
    try:
        assert retention.sweep(store).ttl == ["r"]
    finally:
        store._conn.set_trace_callback(None)
    assert at_commit == [False]
    assert not os.path.lexists(old) and not list(old.parent.glob(".deleting-*"))   # nothing left behind


def test_a_delete_that_does_not_happen_leaves_the_directory_where_it_was(store):
    _row(store, "r", {}, phase="Running")
    (store.run_dir("r") / "nodes").mkdir(parents=True)
    assert store.delete_run("r", if_phase=("Succeeded",)) is False
    assert (store.run_dir("r") / "nodes").is_dir()
    assert store.delete_run("r") is True and not store.run_dir("r").exists()


def test_a_keep_beyond_sqlites_integers_keeps_everything(store, tmp_path):
    """``keep: {runs: 100000000000000000000}`` is a whole number of 0 or more, so config accepts it;
    bound into SQL it raised OverflowError and every sweep failed at ``keep``."""
    _row(store, "r", {})
    swept = retention.sweep(store, keep=(10**20, None))
    assert swept.kept_out == [] and store.exists("r")
