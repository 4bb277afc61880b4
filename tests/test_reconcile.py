"""A reader that finds a run's engine gone marks it Error, but never over the end that engine wrote
between the reader's read of the row and its look at the process (a real store, a real dead pid)."""
from __future__ import annotations

import subprocess
import sys

from jupyter_flow import api


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_an_orphan_is_marked_error(store):
    store.create_run("r", {"metadata": {"name": "r"}}, uid="u", owner_pid=dead_pid())
    store.save("r", run_fields={"phase": "Running"}, nodes=[{"id": "r", "type": "Pod", "phase": "Running"}])
    assert api.reconcile_orphan(store, store.get_run("r", with_nodes=False))
    rec = store.get_run("r")
    assert (rec.phase, rec.message, rec.nodes["r"]["phase"]) == ("Error", "engine exited", "Error")


def test_the_end_an_engine_wrote_after_the_read_is_kept(store):
    pid = dead_pid()
    store.create_run("r", {"metadata": {"name": "r"}}, uid="u", owner_pid=pid)
    store.save("r", run_fields={"phase": "Running"}, nodes=[{"id": "r", "type": "Pod", "phase": "Running"}])
    stale = store.get_run("r", with_nodes=False)       # the reader's read: Running, owned by pid
    store.save("r", run_fields={"phase": "Succeeded", "status": {"phase": "Succeeded"}},
               nodes=[{"id": "r", "type": "Pod", "phase": "Succeeded"}])   # the engine's end, then it exits
    assert not api.reconcile_orphan(store, stale)
    rec = store.get_run("r")
    assert (rec.phase, rec.message, rec.nodes["r"]["phase"]) == ("Succeeded", "", "Succeeded")
