"""A run's events and its persistence: what the controller tells subscribers and writes to the store.

``RunPersistence`` is the ``Controller``'s half that records: a node that changes is marked dirty
(``touch``) and an event is kept; every ``FLUSH_DELAY`` the changed nodes, the events and the run
row go to the store in one transaction, on the store's writer thread (``flush``). Subscribers (the
notebook widget, a sweep) hear each change at once, on the engine thread.
"""
from __future__ import annotations

import asyncio
import time
from typing import Any, Callable

from .nodes import ERROR, FAILED, RUNNING, Node, iso

FLUSH_DELAY = 0.05
# A node with more children than this (a loop's group: 100,000 at most) is rewritten at most every
# BIG_NODE_EVERY seconds (per 10,000 children: 10 s for 100,000) while only its children list
# grows: re-encoding and rewriting its whole list at every round made a 100k-item loop write
# O(n^2) bytes (GBs through the WAL). Its phase or message changing, and the run's last flush,
# write it at once.
BIG_NODE = 1000
BIG_NODE_EVERY = 1.0
Subscriber = Callable[[dict], None]


class RunPersistence:
    """Mixed into ``Controller``: touch/emit/flush, ``status_dict`` and ``to_dict``."""

    _flush_handle: "asyncio.TimerHandle | None"

    def touch(self, node: Node, changed: bool = True, grown: bool = False) -> None:
        """``node`` changed (``grown``: only its children list did): write it with the next round,
        and tell subscribers. A big node that only grew is told as it is written (``flush``), not
        once per child: each event carries the node's whole children list."""
        self._dirty[node.id] = node
        if changed:
            if self.subscribers and not (grown and len(node.children) > BIG_NODE):
                self.emit({"kind": "node", "run": self.name, "node": node.to_dict()})
                self._grown.discard(node.id)
            else:   # what emit() records, without building the node's dict nobody reads (yet)
                self._events.append((time.time(), "node", node.id, {"phase": node.phase}))
                if self.subscribers:
                    self._grown.add(node.id)
        if self._flush_handle is None:
            self.schedule_flush()

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        """Receive events (``kind`` = run | node | log) on the engine thread; returns unsubscribe."""
        self.subscribers.append(fn)
        return lambda: self.subscribers.remove(fn) if fn in self.subscribers else None

    def emit(self, event: dict) -> None:
        if event["kind"] != "log":
            node = event.get("node") or {}
            self._events.append((time.time(), event["kind"] if event["kind"] != "node" else "node",
                                 node.get("id"), {"phase": node.get("phase", event.get("phase"))}))
        for fn in list(self.subscribers):
            try:
                fn(event)
            except Exception:  # a broken subscriber must not break the run
                pass

    def schedule_flush(self) -> None:
        # not once the run is over: its loop may serve another run by then (even a retry of this one)
        if self._flush_handle is None and self.loop is not None and not self.done.is_set():
            self._flush_handle = self.loop.call_later(FLUSH_DELAY, self.flush)

    def status_dict(self) -> dict:
        status: dict[str, Any] = {
            "phase": self.phase,
            "startedAt": iso(self.started_at),
            "finishedAt": iso(self.finished_at),
            "progress": f"{self._pods_done}/{self._pods_total}",
        }
        if self.message:
            status["message"] = self.message
        if self.outputs:
            status["outputs"] = self.outputs
        if self.suspended and self.phase == RUNNING:
            status["suspended"] = True
        if "_metric_state" in self.__dict__:   # Argo's MetricsError condition (engine/metrics.py)
            from .metrics import conditions
            if conditions(self):
                status["conditions"] = conditions(self)
        return status

    def flush(self, wait: bool = False) -> None:
        """Write every node changed since the last flush, and the run row, in one transaction.

        The transaction runs on the store's writer thread, so a step that exits meanwhile is not
        kept waiting. ``wait`` (the run's last flush) first waits for every earlier write (rounds,
        short steps' logs) and writes this round itself: when it returns, all of the run is
        on disk. An earlier write that failed makes the run end in Error, saying so.
        """
        self._flush_handle = None
        if self.store is None:
            if self._grown:
                self._tell_grown([self._dirty[i].to_dict() for i in list(self._grown) if i in self._dirty])
            self._dirty.clear()
            self._events.clear()
            return
        if wait:
            nodes = [n.to_dict() for n in self._dirty.values()]
            self._dirty.clear()
        else:
            nodes = self._take_dirty()
        events, self._events = self._events, []
        fields = {"phase": self.phase, "message": self.message, "started_at": self.started_at,
                  "finished_at": self.finished_at, "status": self.status_dict()}
        if not wait:
            self.store.save_later(self.name, run_fields=fields, nodes=nodes, events=events)
            self._tell_grown(nodes)
            return
        try:
            self.store.sync()
        except Exception as exc:   # an earlier write (a round of nodes, a step's log) was lost: say so
            if self.phase not in (FAILED, ERROR):
                self.phase = ERROR
            self.message = f"could not write the run's store or logs: {exc}"
            fields.update(phase=self.phase, message=self.message, status=self.status_dict())
        # the last round is written here, not handed over: nothing waits behind it, and a caller
        # whose wait() returns must find it in the store
        self.store.save(self.name, run_fields=fields, nodes=nodes, events=events)
        self._tell_grown(nodes)

    def _tell_grown(self, written: list[dict]) -> None:
        """Subscribers hear of the big nodes that grew (``touch``) as they are written."""
        if not self._grown:
            return
        for d in written:
            if d["id"] in self._grown:
                self._grown.discard(d["id"])
                for fn in list(self.subscribers):
                    try:
                        fn({"kind": "node", "run": self.name, "node": d})
                    except Exception:  # a broken subscriber must not break the run
                        pass

    def _take_dirty(self) -> list[dict]:
        """The dirty nodes' dicts, leaving dirty the big nodes whose children alone changed since
        they were written less than ``BIG_NODE_EVERY`` ago (see ``BIG_NODE``)."""
        out, kept = [], {}
        now = time.monotonic()
        big = self._big_written
        for nid, n in self._dirty.items():
            if len(n.children) > BIG_NODE:
                last = big.get(nid)
                every = BIG_NODE_EVERY * max(1.0, len(n.children) / 10_000)
                if last is not None and now - last[0] < every and last[1] == n.phase \
                        and last[2] == n.message:
                    kept[nid] = n
                    continue
                big[nid] = (now, n.phase, n.message)
            out.append(n.to_dict())
        self._dirty = kept
        if kept:   # written by a later round, even if nothing else changes meanwhile
            self.schedule_flush()
        return out

    def to_dict(self) -> dict:
        wf = dict(self.workflow)
        status = self.status_dict()
        status["nodes"] = {nid: n.to_dict() for nid, n in self.nodes.items()}
        wf["status"] = status
        return wf

    def mark_run_dirty(self) -> None:
        """The run row (not a node) changed: the next flush writes it."""
        self._run_dirty = True
