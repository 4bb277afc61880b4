"""Engine threads, kept and reused: each run in this process gets an event loop of its own, on a
thread of its own, but the thread and its loop outlive the run and serve the next one.

Starting a thread and ``asyncio.run`` (a new loop, its selector and self-pipe, then closing them)
cost ~0.5 ms a run, which a notebook re-running a small workflow pays every time. A loop still
runs one run at a time, as ``asyncio.run`` did: a step that blocks the loop (an artifact download,
a SQLite write waiting for another process's lock) delays only its own run, never another one.
When the run ends, what ``asyncio.run`` did at its end is done here: the tasks the run left behind
are cancelled; the loop then goes back to the idle pool (at most ``MAX_IDLE`` are kept, the others
are closed with their thread).

A run cannot break its loop for the next one: an exception that escapes a task (``SystemExit``,
``KeyboardInterrupt``) is reported and the loop goes on; a run that ended without setting its
``done`` event (an engine bug before its own ``finally``) is marked Error and ``done`` set, so
no caller waits forever. The threads are daemons (they do not keep the interpreter alive), and a
forked child forgets the parent's idle loops (their threads do not exist in the child).
"""
from __future__ import annotations

import asyncio
import contextvars
import os
import sys
import threading
import traceback
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .controller import Controller

MAX_IDLE = 2

_idle: list["EngineLoop"] = []
_lock = threading.Lock()
_held = 0   # idle loops kept beyond MAX_IDLE for callers that run several runs at once (``hold``)


class EngineLoop:
    """An event loop running forever on a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._main, name="jupyter-flow-engine", daemon=True)
        self.thread.start()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        while not self.loop.is_closed():
            try:
                self.loop.run_forever()
            except BaseException:   # SystemExit/KeyboardInterrupt out of a task: the loop survives
                traceback.print_exc()
                continue
            break
        if not self.loop.is_closed():
            self.loop.close()

    def submit(self, ctl: "Controller") -> None:
        """Start ``ctl.run()`` on this loop, in an empty context (as on a new thread: nothing of
        the caller's context variables, e.g. a notebook's output routing, leaks into the run)."""
        self.loop.call_soon_threadsafe(self._start, ctl, context=contextvars.Context())

    def _start(self, ctl: "Controller") -> None:
        self.loop.create_task(self._run(ctl))

    async def _run(self, ctl: "Controller") -> None:
        try:
            await ctl.run()
        except BaseException:   # ctl.run() ends every run itself; this is the net under it
            traceback.print_exc()
        finally:
            await self._cancel_leftovers()
            if not ctl.done.is_set():
                ctl.phase, ctl.message = "Error", ctl.message or "engine error: the run ended unexpectedly"
                ctl.done.set()
            self._release()

    async def _cancel_leftovers(self) -> None:
        """What ``asyncio.run`` does after its main task: cancel what else runs on the loop (only
        this run's tasks: a loop serves one run at a time) and let them finish their cleanup."""
        me = asyncio.current_task()
        left = [t for t in asyncio.all_tasks(self.loop) if t is not me and not t.done()]
        for t in left:
            t.cancel()
        if left:
            await asyncio.gather(*left, return_exceptions=True)
            for t in left:
                if not t.cancelled() and t.exception() is not None:
                    self.loop.call_exception_handler({"message": "unhandled exception in a run's task "
                                                      "cancelled at its end", "exception": t.exception(),
                                                      "task": t})

    def _release(self) -> None:
        with _lock:
            if len(_idle) < MAX_IDLE + _held:
                _idle.append(self)
                return
        self.loop.stop()   # _main closes it, and the thread ends


def hold(n: int) -> None:
    """Keep ``n`` more idle loops until ``unhold(n)``: a sweep runs ``parallelism`` runs at once,
    one after another, and would otherwise start and close a thread and a loop for most of them
    (MAX_IDLE suits a notebook's one or two runs at a time)."""
    global _held
    with _lock:
        _held += max(0, int(n))


def unhold(n: int) -> None:
    """Undo ``hold(n)``; idle loops over the limit are closed."""
    global _held
    with _lock:
        _held = max(0, _held - max(0, int(n)))
        extra = _idle[MAX_IDLE + _held:]
        del _idle[MAX_IDLE + _held:]
    for worker in extra:
        worker.loop.call_soon_threadsafe(worker.loop.stop)


def run_in_thread(ctl: "Controller") -> threading.Thread:
    """Run ``ctl`` on an idle engine loop (a new one if none is idle); returns that loop's thread."""
    with _lock:
        worker = _idle.pop() if _idle else None
    if worker is None:
        worker = EngineLoop()
    worker.submit(ctl)
    return worker.thread


def _forget_after_fork() -> None:
    global _lock, _held
    _lock = threading.Lock()
    _held = 0
    _idle.clear()


if hasattr(os, "register_at_fork") and sys.platform != "win32":
    os.register_at_fork(after_in_child=_forget_after_fork)
