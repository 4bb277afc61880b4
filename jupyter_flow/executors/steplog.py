"""A running step's output: its stdout kept for ``outputs.result`` and both streams in its log.

The pipes are drained as they become readable (never by a polling sleep). A step's output is kept
in memory for its first ``SPOOL_FOR`` seconds: a step over by then hands it to
``StepSpec.write_later`` with its exit (no file made between two steps); one that runs on gets
its log file then, and everything from there on is appended as it comes. The timer that ends the
spooling is set by the first output: a step that prints nothing costs none.
"""
from __future__ import annotations

import asyncio
import os
from typing import Callable

from ..store.writer import open_append
from .base import RESULT_LIMIT, StepSpec
from .poller import Poller

SPOOL_FOR = 0.02   # seconds a step's output is kept in memory before its log file is made
SPOOL_LIMIT = 256 * 1024   # and at most this much of it


class StepOutput:
    """The output of one step, from its start to its exit.

    ``log_fd``: a log already open (the step's stderr writes to it directly); without one the log
    file is opened on the first byte there is to write, and closed by :meth:`close`.
    ``on_log_error()`` is called once if the log cannot be written (disk full, quota): the step
    is to be killed, its output is still drained, and :attr:`error` says why.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, spec: StepSpec, log_fd: int | None,
                 on_log_error: Callable[[], None]):
        self.loop = loop
        self.spec = spec
        self.tail = bytearray()
        self.error: str | None = None
        self.log_fd = log_fd
        self.owns_log = log_fd is None   # then it is opened on the first write, and closed here
        self._on_log_error = on_log_error
        self.spooled = bytearray()
        self.spooling = spec.write_later is not None
        self.spool_until = loop.time() + SPOOL_FOR
        self.spool_timer: asyncio.TimerHandle | None = None

    def to_log(self, chunk: bytes) -> None:
        if self.error is not None:
            return
        if self.spooling and self.spool_timer is None:
            if self.loop.time() < self.spool_until:
                self.spool_timer = self.loop.call_at(self.spool_until, self.stop_spooling)
            else:   # the first output comes after SPOOL_FOR: straight to the file
                self.spooling = False
        if self.spooling and self.log_fd is None and len(self.spooled) + len(chunk) <= SPOOL_LIMIT:
            self.spooled.extend(chunk)
            return
        try:
            if self.log_fd is None:
                self.log_fd = open_append(self.spec.log_path)
                if self.spooled:
                    os.write(self.log_fd, self.spooled)
                    self.spooled.clear()
            if chunk:
                os.write(self.log_fd, chunk)
        except OSError as exc:   # disk full, quota: fail the step, keep draining its output
            self.error = f"cannot write the step's log {self.spec.log_path}: {exc.strerror or exc}"
            self._on_log_error()

    def stop_spooling(self) -> None:
        self.spooling = False
        if self.spooled:
            self.to_log(b"")

    def drain(self, src: int, keep: bool) -> bool:
        """Copy what ``src`` holds now to the log (and the stdout tail if ``keep``); False once it
        reached end of file or failed."""
        while True:
            try:
                chunk = os.read(src, 65536)
            except BlockingIOError:
                return True
            except OSError:
                return False
            if not chunk:
                return False
            if self.spec.log_path is not None:
                self.to_log(chunk)
            if keep:
                self.tail.extend(chunk)
                if len(self.tail) > 2 * RESULT_LIMIT:
                    del self.tail[:-RESULT_LIMIT]

    def follow(self, watch: Poller, src: int, keep: bool) -> None:
        """Drain ``src`` each time it is readable, until its end of file."""
        os.set_blocking(src, False)

        def on_readable():
            if not self.drain(src, keep):
                watch.remove(src)
        watch.add(src, on_readable)

    def hand_over(self) -> None:
        """The step exited and its pipes are drained: what is still spooled goes to ``write_later``."""
        if self.spooled and self.error is None:
            self.spec.write_later(self.spec.log_path, bytes(self.spooled))

    def close(self) -> None:
        """After the last drain (it may be what set the spooling timer): no timer writes the log
        again, and a log opened here is closed."""
        if self.spool_timer is not None:
            self.spool_timer.cancel()
        if self.owns_log and self.log_fd is not None:
            os.close(self.log_fd)

    def result(self) -> str:
        """``outputs.result``: the last ``RESULT_LIMIT`` bytes of stdout."""
        return bytes(self.tail[-RESULT_LIMIT:]).decode("utf-8", errors="replace")
