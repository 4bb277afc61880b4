"""Argo's two streams, polled over the store: a workflow's pod logs and workflow watch events.

A stream is an object whose ``poll()`` returns the messages that became due since the last one
(each ``{"result": ...}``, as grpc-gateway writes a server stream, one JSON per line) and says
when it is over; the handler calls it on a worker thread and sleeps between polls, so nothing
here blocks the server's loop. A poll reads at most ``POLL_BUDGET`` bytes of logs.
"""
from __future__ import annotations

import time
from typing import Any

from ..phases import FINISHED
from .errors import invalid
from .shape import (Cleaner, check_name, check_namespace, fields_match, labels_match,
                    parse_field_selector, parse_label_selector)

POLL_BUDGET = 1 << 20          # bytes of log read per poll
MAX_WATCH_SECONDS = 30 * 60    # a watch ends after this (Kubernetes' watches end too; clients re-watch)


class LogStream:
    """WorkflowLogs / PodLogs: ``{"result": {"content": LINE, "podName": POD}}`` per line, every pod
    in the order it ran (or only ``pod_name``), ``grep`` (Go regexp) applied per line."""

    def __init__(self, ops, namespace: str, name: str, *, pod_name: str | None = None, follow: bool = False,
                 grep: str | None = None, selector: str | None = None, tail_lines: int | None = None):
        ops._record(namespace, name)   # NotFound / InvalidArgument before the stream starts
        self.ops, self.name, self.follow = ops, name, follow
        self.pod_name = pod_name or None
        if self.pod_name is not None:
            check_name(self.pod_name, "podName")
        self.grep = None
        if grep:
            from ..expr.goregexp import RegexError, compile as go_compile
            try:
                self.grep = go_compile(grep)
            except RegexError as exc:
                raise invalid(f"grep: {exc}") from None
        self.selector = parse_label_selector(selector)
        self.tail_lines = tail_lines
        self.offsets: dict[str, int] = {}
        self.done = False
        self._finished: dict | None = None

    def _pods(self, wf: dict) -> list[tuple[dict, str]]:
        from ..render import pod_name, pods_in_order
        out = []
        for node in pods_in_order((wf.get("status") or {}).get("nodes") or {}):
            pod = pod_name(wf, node)
            if self.pod_name and self.pod_name not in (pod, node.get("id")):
                continue
            labels = {"workflows.argoproj.io/workflow": self.name}
            if self.selector and not labels_match(labels, self.selector):
                continue
            out.append((node, pod))
        return out

    def _pod_alone(self) -> dict | None:
        """The run's row with only the node of ``pod_name`` (looked up by id, or by the id a v2 pod
        name ``<wf>-<template>-<hash>`` carries, then checked): one pod's log never reads the run's
        other nodes. None when it is not found that way (the whole run is searched then)."""
        from ..render import pod_name
        store = self.ops.store
        rec = store.get_run(self.name, with_nodes=False)
        if rec is None:
            return None
        wf = rec.to_dict()
        wf.setdefault("metadata", {}).setdefault("name", self.name)
        node = store.get_node(self.name, self.pod_name)
        if node is None and self.pod_name.startswith(self.name + "-"):
            node = store.get_node(self.name, f"{self.name}-{self.pod_name.rsplit('-', 1)[1]}")
            if node is not None and pod_name(wf, node) != self.pod_name:
                node = None
        if node is None or node.get("type") != "Pod":
            return None
        wf["status"]["nodes"] = {node["id"]: node}
        return wf

    def poll(self) -> list[dict]:
        from ..store.logtail import tail_offset
        wf = self._finished
        if wf is None and self.pod_name is not None:
            wf = self._pod_alone()
            if wf is not None and (wf.get("status") or {}).get("phase") in FINISHED:
                self._finished = wf
        if wf is None:   # a finished run's pods no longer change: read it once, not on every poll
            try:
                wf = self.ops._workflow(self.name)
            except Exception:   # deleted while followed
                self.done = True
                return []
        over = (wf.get("status") or {}).get("phase") in FINISHED
        if over:
            self._finished = wf
        store = self.ops.store
        out: list[dict] = []
        budget = POLL_BUDGET
        behind = False
        for node, pod in self._pods(wf):
            path = store.log_path(self.name, node["id"])
            if not path.exists():
                continue
            nid = node["id"]
            if nid not in self.offsets:
                self.offsets[nid] = tail_offset(path, self.tail_lines) if self.tail_lines is not None else 0
            node_over = over or node.get("phase") not in ("Pending", "Running")
            with open(path, "rb") as fh:
                fh.seek(self.offsets[nid])
                data = fh.read(budget)
            if not data:
                continue
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                if len(data) == POLL_BUDGET:
                    cut = len(data)   # one line longer than a whole poll's budget: sent in pieces
                elif not node_over or len(data) == budget:
                    behind = behind or len(data) == budget
                    continue   # a partial last line: wait for the rest
                else:
                    cut = len(data)
            budget -= cut
            self.offsets[nid] += cut
            behind = behind or cut < len(data)
            for line in data[:cut].decode("utf-8", "replace").splitlines():
                if self.grep is None or self.grep.search(line):
                    out.append({"result": {"content": line, "podName": pod}})
            if budget <= 0:
                behind = True
                break
        if not behind and (over or not self.follow):
            self.done = True
        return out


class WatchStream:
    """WatchWorkflows: ``{"result": {"type": ADDED|MODIFIED|DELETED, "object": Workflow}}``: every
    matching workflow ADDED first (a Kubernetes watch from no resourceVersion), then each change."""

    def __init__(self, ops, namespace: str, *, label_selector: str | None = None,
                 field_selector: str | None = None, fields: str | None = None, timeout: float | None = None):
        if namespace:
            check_namespace(namespace)
        self.ops, self.namespace = ops, namespace
        self.labels = parse_label_selector(label_selector)
        self.fields = parse_field_selector(field_selector)
        self.cleaner = Cleaner(fields).without_prefix("result.object.")
        self.seen: dict[str, tuple] = {}
        self.last: dict[str, dict] = {}
        self.deadline = time.monotonic() + min(timeout or MAX_WATCH_SECONDS, MAX_WATCH_SECONDS)
        self.done = False

    def _stamps(self) -> dict[str, tuple]:
        """Each run's (updated_at, last event) from the runs table: what changes when the run does."""
        store = self.ops.store
        rows = store._read("SELECT name, namespace, updated_at, phase, (SELECT max(seq) FROM events "
                           "WHERE events.run = runs.name) FROM runs")
        return {name: (ns, updated, phase, seq) for name, ns, updated, phase, seq in rows}

    def _object(self, name: str) -> dict | None:
        from ..errors import JupyterFlowError
        try:
            if self.cleaner.will_exclude("status.nodes"):
                rec = self.ops.store.get_run(name, with_nodes=False)
                if rec is None:
                    return None
                return self.ops._summary(rec)
            return self.ops._workflow(name)
        except JupyterFlowError:
            return None

    def _wanted(self, wf: dict) -> bool:
        meta = dict(wf.get("metadata") or {})
        meta.setdefault("namespace", "default")
        if self.namespace and meta["namespace"] != self.namespace:
            return False
        return fields_match(meta, self.fields) and labels_match(meta.get("labels") or {}, self.labels)

    def poll(self) -> list[dict[str, Any]]:
        if time.monotonic() >= self.deadline:
            self.done = True
            return []
        out = []
        stamps = self._stamps()
        for name, stamp in stamps.items():
            if self.seen.get(name) == stamp:
                continue
            first = name not in self.seen
            self.seen[name] = stamp
            wf = self._object(name)
            if wf is None or not self._wanted(wf):
                continue
            self.last[name] = wf
            out.append({"result": {"type": "ADDED" if first else "MODIFIED", "object": self.cleaner.clean(wf)}})
        for name in [n for n in self.seen if n not in stamps]:
            del self.seen[name]
            wf = self.last.pop(name, None)
            if wf is not None:
                out.append({"result": {"type": "DELETED", "object": self.cleaner.clean(wf)}})
        return out


