"""A pod's ``sidecars`` off-cluster: processes started beside the main container.

On a cluster the sidecars are containers of the step's pod: they start with it, share its
network (``127.0.0.1``), and Argo's wait container kills them once the main container has ended.
The pod's phase is the main container's, except that a sidecar which ended by itself with an
error fails it (operator.go inferFailedReason: exit codes 137 and 143, a sidecar that was
killed, are ignored; the message is ``<sidecar>: Error (exit code N)``).

Here each sidecar is a process of the step's executor, with its own filesystem view (its own
``/tmp``, as a container has) and its log in ``logs/<node id>-<sidecar>.log``. Executors that
make a real Pod (``env_from_cluster``) put the sidecars in it themselves.
"""
from __future__ import annotations

import asyncio
import dataclasses
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .nodes import Node

_KILLED = (137, 143)


@dataclasses.dataclass
class Sidecar:
    name: str
    node_id: str
    task: asyncio.Future


def start_sidecars(ctl, node: "Node", tmpl: dict, volumes_of) -> list[Sidecar]:
    """Start the template's sidecars; raises EnvError/StepPathError (the node errors) before any
    starts when one of them cannot be made."""
    from .initcontainers import user_container_spec
    specs = []
    main = tmpl.get("container") or tmpl.get("script") or {}
    for sc in tmpl.get("sidecars") or []:
        if not isinstance(sc, dict):
            continue
        name = str(sc.get("name") or "")
        spec = user_container_spec(ctl, node, tmpl, sc, main, "sidecar", f"{node.id}-{name}", volumes_of)
        specs.append((name, spec))
    return [Sidecar(name, spec.node_id, asyncio.ensure_future(ctl.executor.run(spec, None))) for name, spec in specs]


async def run_main(ctl, node_id: str, main: asyncio.Future, sidecars: list[Sidecar]) -> str:
    """Wait for the main container; a sidecar that cannot start at all (its command is not on
    this machine) ends the step at once rather than leaving main waiting for it for ever.
    Returns that sidecar's error, else ""."""
    pending = {main, *(s.task for s in sidecars)}
    fatal = ""
    while not main.done():
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        for s in sidecars:
            if s.task in done and not fatal and not s.task.cancelled() and s.task.exception() is None:
                result = s.task.result()
                if result.exit_code is None and result.error:
                    fatal = f"sidecar {s.name}: {result.error}"
                    ctl.executor.kill(node_id, "sidecar")
    return fatal


async def stop_sidecars(ctl, sidecars: list[Sidecar]) -> str:
    """Kill the sidecars still running (the main container ended) and wait for them; returns the
    pod's failure message if one of them had ended by itself with an error, else ""."""
    ended_before = {s.name for s in sidecars if s.task.done()}
    for s in sidecars:
        if not s.task.done():
            ctl.executor.kill(s.node_id, "sidecar")
    await asyncio.gather(*(s.task for s in sidecars), return_exceptions=True)
    for s in sidecars:
        if s.name not in ended_before or s.task.cancelled() or s.task.exception() is not None:
            continue
        result = s.task.result()
        if result.exit_code is None and result.error:   # it could not start
            return f"{s.name}: {result.error}"
        code = result.exit_code
        if code is not None and code < 0:   # killed by a signal: the 128+N a container reports
            code = 128 - code
        if code not in (0, None, *_KILLED) and not result.killed:
            return f"{s.name}: Error (exit code {code})"
    return ""
