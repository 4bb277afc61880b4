"""Store writes done on a thread of their own, in the order they were asked for.

A run's engine loop writes a round of node changes every ``FLUSH_DELAY``; the transaction
(~1-2 ms for a few dozen nodes, and now and then a WAL checkpoint's fsync of 10 ms or more) used
to run on the loop itself, so a step that exited meanwhile waited for it before the next one
started. Here the loop encodes the rows (it must: the nodes change right after) and hands the
transaction to this thread, where SQLite releases the GIL while it writes. The same goes for the
log of a step that was over within ``SPOOL_FOR`` (``executors.local``): creating a file costs
0.01-0.4 ms, which the next step need not wait for. (CPU work gains nothing here: under the GIL
the loop waits for it all the same, so the rows are encoded on the loop.)

Guarantees the engine relies on:
- writes land in submission order (one thread, one FIFO queue);
- ``sync()`` returns once everything submitted before it is committed, and raises the first
  error a write hit since the previous ``sync()``: a run's final flush syncs, so when a caller's
  ``wait()`` returns the store holds the final state, and a write that failed is not lost silently;
- a forked child starts with no pending writes and no thread (the parent's thread does not exist
  there); the thread is a daemon, started by a write and gone after ``IDLE_EXIT`` seconds without
  one (so a store nobody uses any more holds no thread).
"""
from __future__ import annotations

import os
import queue
import sys
import threading
import traceback
import weakref
from pathlib import Path
from typing import Callable

from .paths import FILE_MODE, make_dirs

IDLE_EXIT = 2.0
_writers: "weakref.WeakSet[Writer]" = weakref.WeakSet()


class Writer:
    """One writer thread serving one ``Store``: runs the callables it is given, in order."""

    def __init__(self) -> None:
        self._reset()
        _writers.add(self)

    def _reset(self) -> None:
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._cond = threading.Condition(threading.Lock())
        self._submitted = 0
        self._written = 0
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def submit(self, fn: Callable, *args) -> None:
        """Queue ``fn(*args)`` and return at once."""
        with self._cond:
            self._submitted += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._main, name="jupyter-flow-store", daemon=True)
                self._thread.start()
        self._queue.put((fn, args))

    def sync(self) -> None:
        """Wait until every write submitted so far is committed; raise a write's error."""
        with self._cond:
            target = self._submitted
            while self._written < target:
                self._cond.wait()
            error, self._error = self._error, None
        if error is not None:
            raise error

    def _main(self) -> None:
        while True:
            try:
                fn, args = self._queue.get(timeout=IDLE_EXIT)
            except queue.Empty:
                with self._cond:
                    if self._written == self._submitted:   # nothing on its way: end (submit restarts)
                        self._thread = None
                        return
                continue
            try:
                fn(*args)
            except BaseException as exc:   # kept for the next sync(), which raises it on the engine side
                traceback.print_exc()
                with self._cond:
                    if self._error is None:
                        self._error = exc
            with self._cond:
                self._written += 1
                self._cond.notify_all()


def open_append(path: Path) -> int:
    """Open a run's file (a log, ``pids``) to append, creating its directory if needed: a run's
    directories are made by the first file written into them (0700; the file 0600)."""
    try:
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
    except FileNotFoundError:
        make_dirs(path.parent)
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)


def append_file(path: Path, data: bytes) -> None:
    """Append ``data`` to ``path``, creating the file and its directories as needed."""
    fd = open_append(path)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def _forget_after_fork() -> None:
    for w in _writers:
        w._reset()


if hasattr(os, "register_at_fork") and sys.platform != "win32":
    os.register_at_fork(after_in_child=_forget_after_fork)
