"""Engine loops reused across runs (engine/runner.py): one run per loop at a time, a run's
leftovers cancelled at its end, a crashing run does not break the loop for the next one."""
from __future__ import annotations

import asyncio
import threading
import time

import pytest

import jupyter_flow
from jupyter_flow.engine import runner

ONE_STEP = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {{generateName: {name}-}}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {{image: busybox, command: {command}}}
"""
CHAIN = ONE_STEP.format(name="reuse", command="[echo, hi]")
SLEEPY = ONE_STEP.format(name="sleepy", command='[sleep, "30"]')


class FakeCtl:
    """What the runner uses of a Controller: ``run()``, ``done``, ``phase``, ``message``."""

    def __init__(self, body):
        self.body = body
        self.done = threading.Event()
        self.phase = "Pending"
        self.message = ""
        self.thread: threading.Thread | None = None

    async def run(self):
        self.thread = threading.current_thread()
        try:
            await self.body(self)
            self.phase = "Succeeded"
        finally:
            self.done.set()


def _run(body) -> FakeCtl:
    ctl = FakeCtl(body)
    runner.run_in_thread(ctl)
    assert ctl.done.wait(10)
    return ctl


def _settle():
    time.sleep(0.05)   # the loop goes back to the pool just after the run's ``done``


def test_sequential_runs_reuse_the_engine_thread(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_FLOW_HOME", str(tmp_path))
    first = jupyter_flow.submit(CHAIN, wait=True)
    _settle()
    threads = {t for t in threading.enumerate() if t.name == "jupyter-flow-engine"}
    second = jupyter_flow.submit(CHAIN, wait=True)
    _settle()
    assert first.phase == second.phase == "Succeeded"
    assert second.to_dict()["status"]["nodes"][second.name]["outputs"]["result"] == "hi"
    assert {t for t in threading.enumerate() if t.name == "jupyter-flow-engine"} == threads
    assert all(t.daemon for t in threads)


def test_concurrent_runs_have_loops_of_their_own_and_stop_independently(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_FLOW_HOME", str(tmp_path))
    a = jupyter_flow.submit(SLEEPY)
    b = jupyter_flow.submit(SLEEPY)
    assert a._ctl is not None and b._ctl is not None
    deadline = time.monotonic() + 10
    while (a._ctl.loop is None or b._ctl.loop is None) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert a._ctl.loop is not b._ctl.loop
    a.stop()
    assert a.wait(10) == "Failed"
    assert b.phase == "Running"
    b.terminate()
    assert b.wait(10) == "Failed"


def test_leftover_tasks_are_cancelled_at_the_end_of_the_run():
    seen = {}

    async def body(ctl):
        async def forever():
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                seen["cancelled"] = True
                raise
        seen["task"] = asyncio.ensure_future(forever())
        await asyncio.sleep(0)

    _run(body)
    deadline = time.monotonic() + 5
    while "cancelled" not in seen and time.monotonic() < deadline:
        time.sleep(0.01)
    assert seen.get("cancelled") and seen["task"].cancelled()


def test_a_run_that_breaks_out_does_not_break_the_loop(capsys):
    async def crash(ctl):
        async def bad():
            raise SystemExit(3)   # escapes the loop's run_forever, as from asyncio.run
        asyncio.ensure_future(bad())
        await asyncio.sleep(0.01)

    first = _run(crash)
    _settle()

    async def ok(ctl):
        await asyncio.sleep(0)

    second = _run(ok)
    assert second.phase == "Succeeded"
    assert second.thread is first.thread and second.thread.is_alive()


def test_a_run_that_never_sets_done_is_ended_as_error():
    class Broken(FakeCtl):
        async def run(self):
            raise RuntimeError("before the controller's own finally")

    ctl = Broken(None)
    runner.run_in_thread(ctl)
    assert ctl.done.wait(10)
    assert ctl.phase == "Error" and "unexpectedly" in ctl.message


@pytest.mark.parametrize("n", [runner.MAX_IDLE + 2])
def test_the_idle_pool_is_bounded(n):
    gate = threading.Event()

    async def hold(ctl):
        while not gate.is_set():
            await asyncio.sleep(0.005)

    ctls = [FakeCtl(hold) for _ in range(n)]
    for c in ctls:
        runner.run_in_thread(c)
    gate.set()
    for c in ctls:
        assert c.done.wait(10)
    _settle()
    assert len(runner._idle) <= runner.MAX_IDLE


def test_a_forked_child_forgets_the_parents_idle_loops():
    async def ok(ctl):
        await asyncio.sleep(0)

    _run(ok)
    _settle()
    assert runner._idle
    import os
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:   # the child: its copy of the pool must be empty (those threads are not here)
        os.write(w, b"empty" if not runner._idle else b"kept")
        os._exit(0)
    os.close(w)
    os.waitpid(pid, 0)
    assert os.read(r, 16) == b"empty"
    os.close(r)


def test_hold_keeps_loops_for_parallel_runs_and_unhold_closes_them():
    """A sweep (experiments/scheduler.py) holds parallelism - MAX_IDLE more idle loops, so the
    threads of ended runs serve the next ones instead of being closed and made again."""
    gate = threading.Event()

    async def wait_gate(ctl):
        while not gate.is_set():
            await asyncio.sleep(0.005)

    n = runner.MAX_IDLE + 2
    runner.hold(2)
    try:
        ctls = [FakeCtl(wait_gate) for _ in range(n)]
        threads = {runner.run_in_thread(c) for c in ctls}
        gate.set()
        for c in ctls:
            assert c.done.wait(10)
        _settle()
        assert len(runner._idle) == n
        again = [FakeCtl(None) for _ in range(n)]
        reused = {runner.run_in_thread(c) for c in again}
        for c in again:
            assert c.done.wait(10)
        assert reused <= threads   # no new thread was started for them
    finally:
        runner.unhold(2)
    _settle()
    assert len(runner._idle) <= runner.MAX_IDLE
