"""One epoll per event loop for the descriptors of running steps.

A step is watched through three descriptors (its pidfd, its stdout and its stderr pipe). Through
``loop.add_reader``/``remove_reader`` each costs asyncio's selector bookkeeping (a key object, a
transport check, a register and an unregister in the loop's epoll: ~15 us apiece, a tenth of the
engine's time between two steps of a chain). Here the loop watches one epoll of ours; a step's
descriptors are added to it and removed from it with one system call each, and when the loop
finds it readable, ``dispatch`` calls the handler of every ready descriptor. A step's exit and
its pipes' end of file usually arrive in the same round.

Where ``select.epoll`` does not exist (not Linux) the loop's own readers are used.
"""
from __future__ import annotations

import asyncio
import select
import weakref
from typing import Callable


class Poller:
    """``add(fd, handler)`` until ``remove(fd)``: ``handler()`` runs on the loop each time ``fd``
    is readable (level-triggered, as ``loop.add_reader``)."""

    __slots__ = ("loop", "_ep", "_handlers", "__weakref__")
    ATTR = "_jupyter_flow_poller"   # where a loop keeps its poller (a loop and its poller go together)

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self._handlers: dict[int, Callable[[], None]] = {}
        self._ep = select.epoll() if hasattr(select, "epoll") else None
        if self._ep is not None:
            loop.add_reader(self._ep.fileno(), self.dispatch)
            weakref.finalize(self, self._ep.close)

    def add(self, fd: int, handler: Callable[[], None]) -> None:
        if self._ep is None:
            self.loop.add_reader(fd, handler)
            return
        try:
            self._ep.register(fd, select.EPOLLIN)
        except FileExistsError:   # a closed descriptor's number, reused before its remove()
            self._ep.modify(fd, select.EPOLLIN)
        self._handlers[fd] = handler

    def remove(self, fd: int) -> None:
        """Stop watching ``fd`` (before it is closed); a descriptor not watched is ignored."""
        if self._ep is None:
            self.loop.remove_reader(fd)
            return
        if self._handlers.pop(fd, None) is not None:
            try:
                self._ep.unregister(fd)
            except OSError:   # closed already: epoll forgot it then
                pass

    def dispatch(self) -> None:
        for fd, _ in self._ep.poll(0):
            handler = self._handlers.get(fd)
            if handler is not None:
                handler()


def poller(loop: asyncio.AbstractEventLoop | None = None) -> Poller:
    """The running loop's poller, made on first use."""
    loop = loop or asyncio.get_running_loop()
    found = getattr(loop, Poller.ATTR, None)
    if found is None:
        found = Poller(loop)
        setattr(loop, Poller.ATTR, found)
    return found
