"""The store's writer thread: the order, waiting and error reporting the engine relies on when it
hands a round of node changes or a step's log over instead of writing it on its loop."""
from __future__ import annotations

import os
import threading
import time

import pytest

from jupyter_flow.store import Store
from jupyter_flow.store import writer as W


def test_writes_land_in_the_order_given_and_sync_waits_for_every_one():
    w = W.Writer()
    gate = threading.Event()
    seen: list[int] = []
    w.submit(gate.wait)   # the thread is busy: what follows queues behind it
    for i in range(200):
        w.submit(seen.append, i)
    assert seen == []
    gate.set()
    w.sync()
    assert seen == list(range(200))


def test_a_failed_write_is_raised_by_the_next_sync_and_only_once(capsys):
    w = W.Writer()

    def disk_full():
        raise OSError(28, "No space left on device")
    w.submit(disk_full)
    done: list[bool] = []
    w.submit(done.append, True)   # later writes still run
    with pytest.raises(OSError, match="No space left"):
        w.sync()
    assert done == [True]
    w.sync()
    assert "No space left" in capsys.readouterr().err   # and it was reported when it happened


def test_the_thread_ends_when_idle_and_the_next_write_starts_one(monkeypatch):
    monkeypatch.setattr(W, "IDLE_EXIT", 0.05)
    w = W.Writer()
    w.submit(lambda: None)
    w.sync()
    first = w._thread
    assert first is not None
    first.join(5)
    assert not first.is_alive() and w._thread is None
    seen: list[int] = []
    w.submit(seen.append, 1)
    w.sync()
    assert seen == [1]


def test_a_store_write_is_in_the_database_after_sync_and_a_file_makes_its_directories(tmp_path):
    store = Store(tmp_path)
    store.create_run("wf", {"metadata": {"name": "wf"}}, uid="u")
    assert not store.run_dir("wf").exists()   # made by the first file the run writes
    store.save_later("wf", run_fields={"phase": "Running"}, nodes=[{"id": "wf-1", "phase": "Running"}],
                     events=[(time.time(), "node", "wf-1", {"phase": "Running"})])
    log = store.log_path("wf", "wf-1")
    store.write_file_later(log, b"hello\n")
    store.write_file_later(log, b"again\n")
    store.sync()
    assert store.get_run("wf").phase == "Running"
    assert list(store.get_nodes("wf")) == ["wf-1"]
    assert log.read_bytes() == b"hello\nagain\n"


def test_a_forked_child_starts_with_no_pending_writes():
    w = W.Writer()
    gate = threading.Event()
    w.submit(gate.wait)   # pending in the parent when it forks
    pid = os.fork()
    if pid == 0:   # the child: sync() must not wait for the parent's thread, and writes work
        code = 1
        try:
            w.sync()
            seen: list[int] = []
            w.submit(seen.append, 1)
            w.sync()
            code = 0 if seen == [1] else 2
        finally:
            os._exit(code)
    try:
        deadline = time.monotonic() + 20
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, 9)
                pytest.fail("the forked child hung in sync()")
            time.sleep(0.01)
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        gate.set()
        w.sync()
