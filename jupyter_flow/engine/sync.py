"""synchronization: mutexes and semaphores shared by every local run on this machine.

Argo keeps locks in the controller (or a database); here the lock holders are advisory file
locks under ``$JUPYTER_FLOW_HOME/locks``, so runs in different processes (two kernels and the
CLI) exclude each other, and a crashed holder releases its lock with its process.
Semaphore limits come from ``$JUPYTER_FLOW_HOME/semaphores.yaml`` (``configmap/key: limit``)
in place of the ConfigMap Argo reads.
"""
from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from .. import config, expr

if TYPE_CHECKING:
    from .call import Call

POLL = 0.05


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def semaphore_limit(ref: dict) -> int:
    cm = (ref.get("configMapKeyRef") or {})
    key = f"{cm.get('name', '')}/{cm.get('key', '')}"
    if ref.get("database"):
        key = f"database/{(ref.get('database') or {}).get('key', '')}"
    path = config.home() / "semaphores.yaml"
    if path.exists():
        import yaml
        data = yaml.safe_load(path.read_text()) or {}
        for k in (key, cm.get("key", "")):
            if k in data:
                return int(data[k])
    return 1


def requirements(sync: dict, scope) -> list[tuple[str, int]]:
    out = []
    sync = expr.substitute_obj(sync or {}, scope)
    mutexes = list(sync.get("mutexes") or [])
    if sync.get("mutex"):
        mutexes.append(sync["mutex"])
    for m in mutexes:
        # a database mutex is a lock of its own in Argo (a row in the sync database, shared by the
        # controllers), not the controller's in-memory mutex of the same name
        kind = "mutex-db" if m.get("database") else "mutex"
        out.append((f"{kind}-{m.get('namespace', 'default')}-{m.get('name', '')}", 1))
    sems = list(sync.get("semaphores") or [])
    if sync.get("semaphore"):
        sems.append(sync["semaphore"])
    for s in sems:
        cm = s.get("configMapKeyRef") or {}
        name = f"semaphore-{s.get('namespace', 'default')}-{cm.get('name', '')}-{cm.get('key', '')}"
        if s.get("database"):
            name = f"semaphore-db-{(s.get('database') or {}).get('key', '')}"
        out.append((name, semaphore_limit(s)))
    return out


class Held:
    def __init__(self):
        self.fds: list[int] = []

    def release(self) -> None:
        for fd in self.fds:
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)
        self.fds.clear()


async def acquire(reqs: list[tuple[str, int]], on_wait=None) -> Held:
    held = Held()
    lockdir = config.home() / "locks"
    os.makedirs(lockdir, 0o700, exist_ok=True)
    for name, limit in reqs:
        waited = False
        while True:
            fd = _try(lockdir, _safe(name), limit)
            if fd is not None:
                held.fds.append(fd)
                break
            if not waited and on_wait is not None:
                on_wait(name)
                waited = True
            await asyncio.sleep(POLL)
    return held


def _try(lockdir: Path, name: str, limit: int) -> int | None:
    for slot in range(max(1, limit)):
        fd = os.open(lockdir / f"{name}.{slot}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            os.close(fd)
    return None


@contextlib.asynccontextmanager
async def synchronized(call: "Call", node):
    sync = call.tmpl.get("synchronization")
    if not sync:
        yield
        return
    ctl = call.ctl
    reqs = requirements(sync, ctl.scope(call.local))

    def waiting(name):
        ctl.set_phase(node, "Pending", f"Waiting for {name} lock")

    held = await acquire(reqs, waiting)
    try:
        if node.message.startswith("Waiting for"):
            node.message = ""
        yield
    finally:
        held.release()
