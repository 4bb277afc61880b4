"""Steering a running run: resume, suspend, stop, terminate and ``node set``, and what they wait on.

One ``RunControl`` per ``Controller`` (``ctl.control``) holds the state of the run's waits: the
run-level resume event, the suspend nodes waiting to be resumed (with the outputs ``node set`` may
or must supply), and the interruptible sleeps (retry backoff) a stop wakes. Requests come from the
caller's thread (``request``, thread-safe) or from another process through the store
(``poll_requests``); both are handled on the engine loop by ``handle``, in the order made.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
from typing import TYPE_CHECKING

from .nodes import ERROR, FAILED, SUCCEEDED, Node

if TYPE_CHECKING:
    from .controller import Controller

REQUEST_POLL = 0.2


class RunControl:
    """The run's control requests and the waits they end (suspend nodes, sleeps, a suspended run)."""

    def __init__(self, ctl: "Controller"):
        self.ctl = ctl
        self.resume_event: asyncio.Event | None = None   # made on the run's loop (start)
        self.waiters: dict[str, asyncio.Event] = {}   # suspend node id -> its resume
        self.sleepers: set[asyncio.Future] = set()
        self.supplied: dict[str, dict] = {}   # suspend node id -> what `node set` gave (parameters, message, phase)
        self.needed: dict[str, list[str]] = {}   # suspend node id -> outputs only `node set` can give
        # suspend node id -> its declared output parameters: True for those `node set` may give (supplied)
        self.declared: dict[str, dict[str, bool]] = {}

    def start(self) -> None:
        """On the run's loop, as it starts."""
        self.resume_event = asyncio.Event()

    # ---- requests -----------------------------------------------------------------------------
    def request(self, action: str, payload: dict | None = None) -> "concurrent.futures.Future[str | None]":
        """Thread-safe entry for control requests (resume, suspend, stop, terminate, set).

        Returns a future of the engine's answer: None, or why it refused (a resume that would
        leave a supplied output without a value), in the order requests were made."""
        ctl = self.ctl
        answer: concurrent.futures.Future = concurrent.futures.Future()
        if ctl.loop is None or ctl.loop.is_closed() or ctl.done.is_set():
            answer.set_result(None)
            return answer

        def handle() -> None:
            try:
                answer.set_result(self.handle(action, payload or {}))
            except BaseException as exc:   # the caller hears of it; the loop goes on
                answer.set_exception(exc)
        ctl.loop.call_soon_threadsafe(handle)
        return answer

    def handle(self, action: str, payload: dict) -> str | None:
        """One request, on the engine loop; returns why it was refused, or None."""
        ctl = self.ctl
        refused = None
        if action == "resume":
            selector = payload.get("node")
            if not selector:
                ctl.suspended = False
                if self.resume_event is not None:
                    self.resume_event.set()
                ctl.mark_run_dirty()
            for nid, ev in list(self.waiters.items()):
                node = ctl.nodes[nid]
                if not selector or selector in (node.display_name, node.name, node.id):
                    unset = self.unset_output(nid)
                    if unset:   # util.ResumeWorkflow: OverrideOutputParametersWithDefault fails
                        refused = refused or unset
                        ctl.set_phase(node, node.phase, unset)
                        continue
                    ev.set()
        elif action == "suspend":
            ctl.suspended = True
            if self.resume_event is not None:
                self.resume_event.clear()
        elif action in ("stop", "terminate"):
            self.stop("Stop" if action == "stop" else "Terminate", payload.get("message"))
        elif action == "set":
            refused = self.set_node(payload)
        ctl.schedule_flush()
        return refused

    def poll_requests(self) -> None:
        """Take the requests other processes left in the store; answer them; poll again later."""
        ctl = self.ctl
        if ctl.finished_at is not None:
            return
        try:
            answers = {seq: self.handle(action, payload) or ""
                       for seq, action, payload in ctl.store.take_requests(ctl.name, numbered=True)}
            ctl.store.answer_requests(answers)   # a waiting `resume` elsewhere learns of a refusal
        finally:
            ctl.loop.call_later(REQUEST_POLL, self.poll_requests)

    def set_node(self, payload: dict) -> str | None:
        """``argo node set`` on the waiting suspend nodes the selector names (util.updateSuspendedNode):
        supplied output parameters (kept across calls), a message (shown at once), and a phase
        (Succeeded, Failed or Error: the node ends with it, as if resumed). Returns why it was
        refused, changing nothing, or None."""
        nodes = self.ctl.nodes
        selector = payload.get("node")
        targets = [nid for nid in self.waiters
                   if selector in (nodes[nid].display_name, nodes[nid].name, nodes[nid].id)]
        if not targets:
            return f"currently, set only targets suspend nodes: no suspend nodes matching nodeFieldSelector: " \
                   f"displayName={selector}"
        params = payload.get("parameters") or {}
        phase = payload.get("phase") or ""
        if phase and phase not in (SUCCEEDED, FAILED, ERROR):
            return f"cannot set a node's phase to {phase!r}: Succeeded, Failed or Error"
        for nid in targets:
            declared = self.declared.get(nid) or {}
            if params and not declared:
                return "cannot set output parameters because node is not expecting any raw parameters"
            for name in params:
                if name not in declared:
                    return f"node is not expecting output parameter '{name}'"
                if not declared[name]:
                    return f"cannot set output parameter '{name}' because it does not use valueFrom.raw " \
                           "or it was already set"
        for nid in targets:
            node = nodes[nid]
            given = self.supplied.setdefault(nid, {})
            given.setdefault("parameters", {}).update({k: str(v) for k, v in params.items()})
            declared = self.declared.get(nid) or {}
            for name in params:   # Argo clears the parameter's valueFrom: it cannot be set twice
                declared[name] = False
            if payload.get("message"):
                given["message"] = payload["message"]
                self.ctl.set_phase(node, node.phase, payload["message"])
            if phase:
                given["phase"] = phase
                self.waiters[nid].set()
        return None

    def unset_output(self, nid: str) -> str:
        """Why suspend node ``nid`` cannot finish yet: a supplied output parameter with no value
        set (``node set``), no default and no same-named input default (Argo's message), or ""."""
        check = self.needed.get(nid)
        if check is None:
            return ""
        values = (self.supplied.get(nid) or {}).get("parameters") or {}
        for name in check:
            if name not in values:
                return f"raw output parameter '{name}' has not been set and does not have a default value"
        return ""

    # ---- waits ----------------------------------------------------------------------------------
    def stop(self, strategy: str, message: str | None = None) -> None:
        """Stop or terminate the run: kill its steps and wake every wait."""
        ctl = self.ctl
        if ctl.shutdown is not None:
            return
        ctl.shutdown = strategy
        ctl.message = message or f"Stopped with strategy '{strategy}'"
        ctl.executor.kill_all("stop")
        for ev in self.waiters.values():
            ev.set()
        for fut in list(self.sleepers):
            if not fut.done():
                fut.set_result(None)
        if self.resume_event is not None:
            self.resume_event.set()

    async def wait_unsuspended(self) -> None:
        ctl = self.ctl
        while ctl.suspended and ctl.shutdown is None:
            self.resume_event.clear()
            await self.resume_event.wait()

    async def sleep(self, seconds: float) -> None:
        """A sleep that a stop interrupts."""
        ctl = self.ctl
        if seconds <= 0 or ctl.shutdown:
            return
        fut = ctl.loop.create_future()
        self.sleepers.add(fut)
        handle = ctl.loop.call_later(seconds, lambda: fut.done() or fut.set_result(None))
        try:
            await fut
        finally:
            handle.cancel()
            self.sleepers.discard(fut)

    async def suspend_node(self, node: Node, duration: float | None, needed: list[str],
                           declared: dict[str, bool]) -> str:
        """Hold suspend node ``node`` until it is resumed, set or stopped, or ``duration`` passes.

        ``needed``: outputs only ``node set`` can give (a resume without them is refused);
        ``declared``: its output parameters, True for those ``node set`` may give. Returns why
        it cannot finish (an output still unset, see ``unset_output``), or ""."""
        if needed:
            self.needed[node.id] = needed
        self.declared[node.id] = declared
        ev = asyncio.Event()
        self.waiters[node.id] = ev
        try:
            if duration is None:
                await ev.wait()
            else:
                try:
                    await asyncio.wait_for(ev.wait(), timeout=max(0.0, duration))
                except asyncio.TimeoutError:
                    pass
            return self.unset_output(node.id)
        finally:
            self.waiters.pop(node.id, None)
            self.needed.pop(node.id, None)
            self.declared.pop(node.id, None)

    def supplied_phase(self, nid: str) -> str | None:
        """The phase ``node set --phase`` gave suspend node ``nid``, if any."""
        return (self.supplied.get(nid) or {}).get("phase")

    def take_supplied(self, nid: str) -> dict:
        """What ``node set`` gave suspend node ``nid`` (parameters, message, phase), forgotten here."""
        return self.supplied.pop(nid, {})
