"""A step's process: started with stdin /dev/null, stdout a pipe, stderr as asked, in a new
session, and its exit watched.

Most steps start through ``posix_spawn`` (a vfork+exec in glibc), which skips Popen's
Python-side setup; the few it cannot start (a working directory, a relative program path) go
through Popen. Either way the executor gets an object with ``pid``, ``stdout`` and ``wait()``.
Its exit wakes the event loop through the process's pidfd, never through a polling sleep.
"""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time

from .poller import Poller

_DEVNULL: int | None = None


def _devnull() -> int:
    """One /dev/null descriptor for every step's stdin (``subprocess.DEVNULL`` opens one per start)."""
    global _DEVNULL
    if _DEVNULL is None:
        _DEVNULL = os.open(os.devnull, os.O_RDWR)   # close-on-exec: only the dup2'd copies reach a step
    return _DEVNULL


_SPAWN_SIGDEF = tuple(getattr(signal, s) for s in ("SIGPIPE", "SIGXFZ", "SIGXFSZ") if hasattr(signal, s))


_STRAY_TTL = 1.0   # seconds a listing of this process's inheritable descriptors is reused
_stray: tuple[float, list[int] | None] = (-_STRAY_TTL, None)


def _inheritable_fds() -> list[int] | None:
    """This process's inheritable descriptors above 2: what ``close_fds`` keeps from a step.

    Listing /proc/self/fd costs ~40 us in an engine process, 3% of a short step, and what it finds
    hardly ever changes (Python makes every descriptor it opens non-inheritable; the inheritable
    ones are handed down at process start or made so on purpose), so a listing serves the steps
    that start within ``_STRAY_TTL`` of it. A descriptor made inheritable in that second may reach
    a step started in it, as with ``Popen(close_fds=False)``.
    """
    global _stray
    now = time.monotonic()
    if now - _stray[0] < _STRAY_TTL:
        return _stray[1]
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        _stray = (now, None)
        return None
    fds = []
    for name in names:
        fd = int(name)
        if fd > 2:
            try:
                if os.get_inheritable(fd):
                    fds.append(fd)
            except OSError:   # the listing's own descriptor, already closed
                pass
    _stray = (now, fds)
    return fds


class _Spawned:
    """What the executor's wait and ``kill`` use of a Popen (pid, stdout, wait) for a step started by ``posix_spawn``."""

    __slots__ = ("pid", "stdout", "returncode")

    def __init__(self, pid: int, stdout_fd: int):
        self.pid = pid
        self.stdout = _Pipe(stdout_fd)
        self.returncode: int | None = None

    def wait(self) -> int:
        if self.returncode is None:
            try:
                _, status = os.waitpid(self.pid, 0)
                self.returncode = os.waitstatus_to_exitcode(status)
            except ChildProcessError:   # reaped elsewhere (SIGCHLD ignored): as Popen, report 0
                self.returncode = 0
        return self.returncode


class _Pipe:
    __slots__ = ("fd",)

    def __init__(self, fd: int):
        self.fd = fd

    def fileno(self) -> int:
        return self.fd

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def spawn(argv: list[str], cwd: str | None, env: dict, err_fd: int | None):
    """Start a step: stdin /dev/null, stdout a pipe, stderr ``err_fd`` (/dev/null if None), in a
    new session.

    ``posix_spawn`` (a vfork+exec in glibc) skips Popen's Python-side setup, ~0.1 ms of the engine's
    CPU per step. As ``close_fds`` would, the child closes every inheritable descriptor this process
    holds (most are close-on-exec already; a terminal or kernel may hand down a few). It has no
    ``cwd``, so a step with a working directory (or a relative program path) goes through Popen.
    """
    devnull = _devnull()
    err = err_fd if err_fd is not None else devnull
    stray = _inheritable_fds() if cwd is None and os.path.isabs(argv[0]) else None
    if stray is not None:
        r, w = os.pipe()
        try:
            pid = os.posix_spawn(argv[0], argv, env, setsid=True, setsigdef=_SPAWN_SIGDEF, file_actions=[
                (os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, w, 1), (os.POSIX_SPAWN_DUP2, err, 2),
                *((os.POSIX_SPAWN_CLOSE, fd) for fd in stray)])
        except OSError as exc:
            os.close(r)
            os.close(w)
            if exc.filename is None:   # the message Popen gives: "[Errno 2] No such file or directory: 'x'"
                raise OSError(exc.errno, exc.strerror, argv[0]) from None
            raise
        os.close(w)
        return _Spawned(pid, r)
    return subprocess.Popen(argv, stdin=devnull, stdout=subprocess.PIPE, stderr=err,
                            cwd=cwd, env=env, start_new_session=True, close_fds=True)


def watch_exit(loop: asyncio.AbstractEventLoop, watch: Poller, proc) -> tuple[asyncio.Future, int | None]:
    """A future set when ``proc`` exits, and the pidfd to remove from ``watch`` and close after
    it (None: without pidfds a thread waits for the process instead)."""
    exited = loop.create_future()
    pidfd = None
    try:
        pidfd = os.pidfd_open(proc.pid)

        def on_exit():
            watch.remove(pidfd)   # readable from now on: once is enough
            if not exited.done():
                exited.set_result(None)
        watch.add(pidfd, on_exit)
    except (AttributeError, OSError):
        def waiter():
            proc.wait()
            loop.call_soon_threadsafe(lambda: exited.done() or exited.set_result(None))
        loop.run_in_executor(None, waiter)
    return exited, pidfd
