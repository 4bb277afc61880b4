"""Children of a big fan-out under workflow ``parallelism``, started one after another.

Argo creates a node only once the workflow's parallelism lets it run (operator.go
``checkParallelism`` runs before the node exists): the 100,000 items of a ``withSequence`` at
``parallelism: 8`` are 8 nodes at first, not 100,000 Pending ones. The engine used to start every
child of a group at once (``asyncio.gather``), so each waited for its pod slot as a Task with its
node and a stack of coroutine frames: ~6 KB a child, 0.6 GB for 100,000, all for children that
could not run yet.

``gather_admitted`` starts child ``i + 1`` once child ``i`` is *admitted*: it holds the run's pod
slot (``admitted()``, called by ``pods._Slots``) or has ended. The slot is a FIFO semaphore, so
children get their slots in the same order as before; a child that would never take a slot (a
steps/DAG/suspend template) is not gated at all (the caller decides, see ``steps``). A finished
child's Task is dropped at once: what stays per child is its node and its result.
"""
from __future__ import annotations

import asyncio
from contextvars import ContextVar
from typing import Awaitable, Callable, Sequence

GATE_FROM = 32   # smaller groups start all at once (their Pending nodes cost nothing worth a loop turn each)

_admit: ContextVar["asyncio.Future | None"] = ContextVar("jupyter_flow_admit", default=None)


def admitted() -> None:
    """The step running in this task holds its pod slot: its gated group may start the next child."""
    fut = _admit.get()
    if fut is not None and not fut.done():
        fut.set_result(None)


async def gather_admitted(fn: Callable[..., Awaitable], items: Sequence[tuple]) -> list:
    """``asyncio.gather(*(fn(*args) for args in items))``, but child ``i + 1`` starts only once
    child ``i`` is admitted or done. Results in ``items`` order; the first exception raised by a
    child is raised (the children already started go on, as with ``gather``)."""
    loop = asyncio.get_running_loop()
    results: list = [None] * len(items)
    running: set[asyncio.Task] = set()
    failed: list[BaseException] = []

    async def child(i: int, args: tuple, gate: asyncio.Future) -> None:
        _admit.set(gate)   # this task's own context (a Task runs in a copy of its creator's)
        try:
            results[i] = await fn(*args)
        finally:
            if not gate.done():
                gate.set_result(None)

    def done(task: asyncio.Task) -> None:
        running.discard(task)
        if not task.cancelled() and task.exception() is not None and not failed:
            failed.append(task.exception())

    try:
        for i, args in enumerate(items):
            gate = loop.create_future()
            task = loop.create_task(child(i, args, gate))
            running.add(task)
            task.add_done_callback(done)
            await gate
            if failed:
                raise failed[0]
        while running:
            await asyncio.wait(set(running), return_when=asyncio.FIRST_EXCEPTION)
            if failed:
                raise failed[0]
    except asyncio.CancelledError:
        for task in running:
            task.cancel()
        raise
    return results
