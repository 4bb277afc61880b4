"""A run's state for a live view: where it comes from and how often the view hears of it.

``RunFeed`` holds one run's nodes and run info and keeps them current from whichever source has
them: the live controller of a run this kernel owns (subscribed atomically with a snapshot) or
the store, polled every ``poll_interval`` seconds, for a run another process owns (another
notebook, the CLI's detached engine). It imports no widget library: views (``widget.RunWidget``)
sit on top through four calls (``FeedView``).

Updates are coalesced. The engine may emit a thousand node events a second on its own thread;
``_on_event`` only records the newest state of each node under a lock and wakes the feed's
worker thread, which calls ``view.feed_flush`` at most every ``interval`` seconds (8 a second by
default: smooth to the eye, under the 10 widget updates a second the project allows itself) with
the nodes that changed since the last flush. When the run ends the worker takes the controller's
final state (so the last picture is exact) within ``interval`` seconds. The worker thread exits
when there is nothing left to do and is started again by the next event or ``wake``.
"""
from __future__ import annotations

import json
import threading
import time
from typing import Any, Callable, Protocol

from ..phases import FINISHED


class FeedView(Protocol):
    """What a feed calls on its view (on the feed's worker thread, holding ``feed.lock``)."""

    def feed_flush(self, changed: set[str], *, rebuild: bool, final: bool) -> None:
        """Nodes in ``changed`` (or all, when ``rebuild``: nodes went away) have new state."""

    def feed_tick(self) -> None:
        """A second passed while something shown moves on its own (a duration, a log)."""

    def feed_backlog(self) -> float | None:
        """When the view wants a flush with no new data (work it deferred), or None."""

    def feed_ticking(self) -> bool:
        """Whether the view shows something that changes without events (a running node's log)."""


def _progress(nodes) -> str:
    from ..render import progress
    return progress(nodes)


_EXECUTABLE = ("Pod", "Suspend", "HTTP", "Plugin", "Container")   # what Argo's progress counts
_COMPLETE = ("Succeeded", "Skipped", "Omitted")


class Tally:
    """The run's ``progress`` (Argo's ``N/M``) and its running Suspend nodes, kept per node so a
    flush of a few changes costs a few updates, not a pass over 100,000 nodes."""

    def __init__(self) -> None:
        self.parts: dict[str, tuple[int, int]] = {}
        self.done = self.total = 0
        self.suspends: set[str] = set()

    def reset(self, nodes: dict[str, dict]) -> None:
        self.parts, self.done, self.total, self.suspends = {}, 0, 0, set()
        for nid, node in nodes.items():
            self.put(nid, node)

    def put(self, nid: str, node: dict) -> None:
        old = self.parts.pop(nid, None)
        if old is not None:
            self.done -= old[0]
            self.total -= old[1]
        if node.get("type") in _EXECUTABLE:
            raw = node.get("progress")
            a, sep, b = raw.partition("/") if isinstance(raw, str) else ("", "", "")
            if raw in (None, ""):                             # the common cases, without a regex
                part = (1 if node.get("phase") in _COMPLETE else 0, 1)
            elif sep and a.isascii() and a.isdigit() and b.isascii() and b.isdigit() and 0 < int(b) >= int(a):
                part = (int(b) if node.get("phase") in _COMPLETE else int(a), int(b))
            else:                                             # anything else: exactly as render.progress
                done, _, total = _progress((node,)).partition("/")
                part = (int(done), int(total))
            if part[1]:
                self.parts[nid] = part
                self.done += part[0]
                self.total += part[1]
        if node.get("type") == "Suspend" and node.get("phase") == "Running":
            self.suspends.add(nid)
        else:
            self.suspends.discard(nid)

    def progress(self) -> str:
        return f"{self.done}/{self.total}"


class RunFeed:
    """One run's nodes (``nodes``) and run info (``info``), kept current for ``view``."""

    def __init__(self, run, view: FeedView, *, interval: float = 0.125, poll_interval: float = 0.5,
                 tick_interval: float = 1.0) -> None:
        self.view = view
        self.interval = interval
        self.poll_interval = poll_interval
        self.tick_interval = tick_interval
        self.run = run
        self.name = run.name
        # state shared with the engine thread (guarded by _cond)
        self._cond = threading.Condition(threading.Lock())
        self._pending: dict[str, dict] = {}
        self._pending_run: dict | None = None
        self._resync = False
        self._worker: threading.Thread | None = None
        self._closed = False
        # the run's state as the view shows it (guarded by lock: worker thread, clicks, buttons)
        self.lock = threading.RLock()
        self.nodes: dict[str, dict] = {}
        self.tally = Tally()
        self.info: dict[str, Any] = {"phase": "Pending"}
        self.controller = None
        self.polling = False
        self._unsubscribe: Callable[[], None] | None = None
        self._last_flush = 0.0
        self._next_tick = 0.0
        self._event_seq = 0
        self.on_error: Callable[[BaseException], None] | None = None
        # counters (tests, debugging)
        self.flushes = 0
        self.events = 0

    # -- sources --------------------------------------------------------------------------------------
    def attach(self, run) -> None:
        """Follow ``run``: subscribe to its live controller (atomically with a snapshot) or read and
        poll the store; the view then draws it whole."""
        self.detach()
        with self.lock:
            self.run = run
            self.info = {"phase": "Pending"}
            ctl = run.controller
            snapshot = None
            if ctl is not None and not ctl.done.is_set():
                snapshot = self._subscribe(ctl)
            if snapshot is None:
                snapshot = run.to_dict()
                self.polling = (snapshot.get("status") or {}).get("phase") not in FINISHED
            self.nodes = {}
            self.apply_snapshot(snapshot)
            self.view.feed_flush(set(self.nodes), rebuild=True, final=True)
        if self.polling or self.controller is not None:
            self.wake()

    def _subscribe(self, ctl) -> dict | None:
        import concurrent.futures

        fut: concurrent.futures.Future = concurrent.futures.Future()

        def hook():
            try:
                unsub = ctl.subscribe(self._on_event)
                fut.set_result((unsub, ctl.to_dict()))
            except BaseException as exc:  # pragma: no cover - defensive
                fut.set_exception(exc)
        loop = ctl.loop
        try:
            if loop is not None and not loop.is_closed():
                loop.call_soon_threadsafe(hook)
                deadline = time.monotonic() + 10
                while True:
                    try:
                        unsub, snap = fut.result(timeout=0.05)
                        break
                    except concurrent.futures.TimeoutError:
                        if ctl.done.is_set() or time.monotonic() > deadline:
                            return None     # finished meanwhile: the store has the final state
            else:
                # the engine thread has not started its loop yet: nothing has run, no event is lost
                unsub, snap = ctl.subscribe(self._on_event), ctl.to_dict()
        except (RuntimeError, concurrent.futures.TimeoutError):
            return None
        self.controller = ctl
        self._unsubscribe = unsub
        self.info["started"] = getattr(ctl, "started_at", None)   # Argo-backed runs have no local clock
        # the controller built fresh dicts for this snapshot (Node.to_dict copies its lists), as it
        # does for each event: no deep copy (a JSON round trip was ~1 s of 100,000 nodes)
        return snap

    @property
    def closed(self) -> bool:
        return self._closed

    def detach(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._unsubscribe = None
        self.controller = None
        self.polling = False

    def close(self) -> None:
        """Stop listening (what the view shows stays as it is)."""
        self.detach()
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def refresh(self) -> None:
        """Re-read the run (after a re-display, or a retry started elsewhere)."""
        from ..api import Run
        ctl = Run(self.name, store=self.run.store).controller
        if ctl is not None and ctl is not self.controller and not ctl.done.is_set():
            self.attach(Run(self.name, store=self.run.store, controller=ctl))
            return
        if self.controller is None:
            snap = self.run.to_dict()
            with self.lock:
                removed = self.apply_snapshot(snap)[1]
                self.view.feed_flush(set(self.nodes), rebuild=removed, final=True)
            if snap["status"].get("phase") not in FINISHED and not self.polling:
                self.polling = True
                self.wake()

    def apply_snapshot(self, wf: dict) -> tuple[set[str], bool]:
        """Take a whole Workflow; returns (changed node ids, whether nodes went away)."""
        status = wf.get("status") or {}
        nodes = status.get("nodes") or {}
        changed = {nid for nid, n in nodes.items() if self.nodes.get(nid) != n}
        removed = bool(set(self.nodes) - set(nodes))
        self.nodes = dict(nodes)
        self.tally.reset(self.nodes)
        self.info.update(phase=status.get("phase") or "Pending", message=status.get("message") or "",
                         suspended=bool(status.get("suspended")), startedAt=status.get("startedAt"),
                         finishedAt=status.get("finishedAt"))
        return changed, removed

    # -- engine thread: record and wake, nothing else ------------------------------------------------
    def _on_event(self, event: dict) -> None:
        kind = event.get("kind")
        with self._cond:
            self.events += 1
            was_dirty = bool(self._pending) or self._pending_run is not None or self._resync
            if kind == "node":
                node = event.get("node") or {}
                if "id" in node:
                    self._pending[node["id"]] = node
            elif kind == "run":
                self._pending_run = {"phase": event.get("phase")}
                if event.get("phase") in FINISHED:
                    self._resync = True
            else:
                return
            if not was_dirty:      # the worker already knows when to flush otherwise
                self._start_worker_locked()
                self._cond.notify()

    def wake(self) -> None:
        with self._cond:
            self._start_worker_locked()
            self._cond.notify()

    def _start_worker_locked(self) -> None:
        if self._worker is None and not self._closed:
            self._worker = threading.Thread(target=self._work, name=f"jupyter-flow-feed:{self.name}", daemon=True)
            self._worker.start()

    # -- worker thread --------------------------------------------------------------------------------
    def ticking(self) -> bool:
        if self.polling or (self.controller is not None and self.info.get("phase") not in FINISHED):
            return True
        return self.view.feed_ticking()

    def _work(self) -> None:
        while True:
            with self._cond:
                if self._closed:
                    self._worker = None
                    return
                now = time.monotonic()
                due = float("inf")
                if bool(self._pending) or self._pending_run is not None or self._resync:
                    due = self._last_flush + self.interval
                backlog = self.view.feed_backlog()
                if backlog is not None:
                    due = min(due, max(backlog, self._last_flush + self.interval))
                ticking = self.ticking()
                next_tick = self._next_tick if ticking else float("inf")
                if min(due, next_tick) == float("inf"):
                    self._worker = None
                    return
                if min(due, next_tick) > now:
                    self._cond.wait(min(due, next_tick) - now)
                    continue
                do_flush = now >= due
                pending, run_ev, resync = {}, None, False
                if do_flush:
                    pending, self._pending = self._pending, {}
                    run_ev, resync = self._pending_run, self._resync
                    self._pending_run, self._resync = None, False
            try:
                if do_flush:
                    self._flush(pending, run_ev, resync)
                if ticking and time.monotonic() >= next_tick:
                    self._tick()
            except Exception as exc:  # keep the view alive; let it show what went wrong
                if self.on_error is not None:
                    self.on_error(exc)

    def _flush(self, pending: dict[str, dict], run_ev: dict | None, resync: bool) -> None:
        snap = None
        ctl = self.controller
        if resync and ctl is not None:
            # the run has ended: take the controller's final state (not under the lock, so a click
            # is never kept waiting)
            ctl.done.wait(5)
            snap = json.loads(json.dumps(ctl.to_dict()))
        with self.lock:
            self.flushes += 1
            self._last_flush = time.monotonic()
            changed = set(pending)
            removed = False
            if snap is not None:
                self.info["finished"] = getattr(ctl, "finished_at", None)
                more, removed = self.apply_snapshot(snap)
                changed |= more
            else:
                self.nodes.update(pending)
                for nid, node in pending.items():
                    self.tally.put(nid, node)
                if run_ev:
                    self.info["phase"] = run_ev["phase"]
            self.view.feed_flush(changed, rebuild=removed, final=resync)

    def _tick(self) -> None:
        self._next_tick = time.monotonic() + (self.poll_interval if self.polling else
                                              min(self.tick_interval, self.poll_interval))
        if self.polling:
            self._poll_store()
        with self.lock:
            self.view.feed_tick()

    def _poll_store(self) -> None:
        from ..api import reconcile_orphan
        store = self.run.store
        rec = store.get_run(self.name, with_nodes=False)
        if rec is not None and reconcile_orphan(store, rec):     # its engine died: the run failed
            rec = store.get_run(self.name, with_nodes=False)
        if rec is None:
            self.polling = False
            return
        # node rows are re-read only when the owning engine recorded something new (cheap when idle)
        events = store.events(self.name, after=self._event_seq)
        if events:
            self._event_seq = events[-1]["seq"]
        elif rec.phase == self.info.get("phase") and rec.phase not in FINISHED and self._event_seq:
            return
        nodes = store.get_nodes(self.name)
        with self.lock:
            changed = {nid for nid, n in nodes.items() if self.nodes.get(nid) != n}
            removed = bool(set(self.nodes) - set(nodes))
            self.nodes = nodes
            self.tally.reset(nodes)
            self.info.update(phase=rec.phase, message=rec.message, started=rec.started_at,
                             finished=rec.finished_at, suspended=bool(rec.status.get("suspended")))
            if rec.phase in FINISHED:
                self.polling = False
            if changed or removed:
                self.view.feed_flush(changed, rebuild=removed, final=rec.phase in FINISHED)

    # -- derived -------------------------------------------------------------------------------------------
    def duration(self) -> float | None:
        started = self.info.get("started")
        finished = self.info.get("finished")
        if started is None:
            from .. import render
            s = render._parse_time(self.info.get("startedAt"))
            f = render._parse_time(self.info.get("finishedAt"))
            if s is None:
                return None
            return ((f.timestamp() if f else time.time()) - s.timestamp())
        if self.info.get("phase") in FINISHED and finished is None and self.controller is not None:
            finished = getattr(self.controller, "finished_at", None)
        return (finished or time.time()) - started

    def suspended(self) -> bool:
        if self.info.get("phase") != "Running":
            return False
        if self.info.get("suspended"):
            return True
        if self.controller is not None and getattr(self.controller, "suspended", False):
            return True
        return bool(self.tally.suspends)
