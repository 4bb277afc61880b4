"""What the REST API does, without HTTP: list, read, submit, steer and lint runs.

The handlers are thin wrappers around :class:`FlowManager`; every method here is synchronous
(the handlers call them on a worker thread) and raises :class:`ManagerError` with an HTTP
status for bad input. Runs submitted through the server get an engine process of their own
(as ``jupyter-flow submit`` does), so they outlive a server restart and never block it.

Paths that come from a request (run names, node ids, artifact keys) are checked twice: against
a strict pattern, and by resolving the final path and requiring it to stay inside the run's
directory, so neither ``..`` nor a symlink planted in an artifact can reach other files.
"""
from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any, Iterator, Mapping

from ..errors import JupyterFlowError, LintError, RunNotFound, SpecError
from .. import timestamps
from ..phases import FAILED_OR_ERROR, FINISHED, FULFILLED, LIVE, WORKFLOW_PHASES
from .logs import FOLLOW_BUDGET, MAX_LENGTH, LogChunk, follow_step, read_range

PHASES = WORKFLOW_PHASES
ACTIONS = ("resume", "suspend", "stop", "terminate", "retry", "resubmit", "delete")
# Kubernetes object names (what Argo accepts for a Workflow), and our node ids.
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_NODE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$")
MAX_DOCUMENT = 2 * 1024 * 1024  # bytes of YAML accepted by submit and lint


class ManagerError(JupyterFlowError):
    """A request the manager refuses; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str, errors: list[dict] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or []


def lint_error_dict(e: LintError) -> dict:
    return {"message": e.message, "path": e.path, "file": e.file, "line": e.line, "column": e.column,
            "severity": e.severity, "text": str(e)}


def summary(wf: dict, progress: str | None = None) -> dict:
    """One row of the runs list: what the panel shows without loading the graph.

    ``progress`` stands in for ``status.progress`` when the status has none (else it is counted
    from ``status.nodes``, when the Workflow carries them)."""
    meta = wf.get("metadata") or {}
    status = wf.get("status") or {}
    if progress is None and not status.get("progress"):
        pods = [n for n in (status.get("nodes") or {}).values() if n.get("type") == "Pod"]
        done = sum(1 for n in pods if n.get("phase") in FULFILLED)
        progress = f"{done}/{len(pods)}"
    started = status.get("startedAt")
    finished = status.get("finishedAt")
    return {
        "name": meta.get("name"),
        "namespace": meta.get("namespace", "default"),
        "uid": meta.get("uid"),
        "phase": status.get("phase") or "Pending",
        "message": status.get("message") or "",
        "createdAt": meta.get("creationTimestamp"),
        "startedAt": started,
        "finishedAt": finished,
        "duration": timestamps.duration(started, finished, now=time.time()),
        "progress": status.get("progress") or progress,
        "suspended": bool(status.get("suspended")),
        "entrypoint": (wf.get("spec") or {}).get("entrypoint"),
    }


def _phases(phase: str | list[str] | None) -> tuple[str, ...]:
    parts = phase if isinstance(phase, list) else (phase or "").split(",")
    out = tuple(dict.fromkeys(p.strip() for p in parts if p and p.strip()))
    for p in out:
        if p not in PHASES:
            raise ManagerError(400, f"unknown phase {p!r}; expected one of {', '.join(PHASES)}")
    return out


def _selector(text: str | None) -> tuple:
    """A Kubernetes label selector (``k=v,k2!=v2,k3 in (a,b),k4,!k5``), parsed as Argo Server does."""
    if not text:
        return ()
    from ..argoserver.errors import ArgoError
    from ..argoserver.shape import parse_label_selector
    try:
        return tuple(parse_label_selector(text))
    except ArgoError as exc:
        raise ManagerError(400, f"label: {exc.message}") from None


def _prefix(text: str | None) -> str:
    if text and (len(text) > 253 or any(ord(c) < 32 for c in text)):
        raise ManagerError(400, "prefix: expected the start of a run name (at most 253 characters)")
    return text or ""


def _when(text: str | None, what: str) -> float | None:
    """ISO 8601 (``2026-12-07``, ``2026-12-07T10:00:00Z``, ``...+01:00``) -> epoch seconds; UTC if naive."""
    if not text:
        return None
    from datetime import datetime, timezone
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ManagerError(400, f"{what}: expected an ISO 8601 date or time (2026-12-07 or "
                                f"2026-12-07T10:00:00Z), got {text[:64]!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.timestamp()


def _iso(epoch: float | None) -> str | None:
    return None if epoch is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


class FlowManager:
    """The server extension's logic over one store (``home`` or ``$JUPYTER_FLOW_HOME``)."""

    def __init__(self, home: str | os.PathLike | None = None):
        self._home = Path(home) if home else None

    # -- plumbing -------------------------------------------------------------------------------
    @property
    def store(self):
        from ..store import open_store
        return open_store(self._home)

    @staticmethod
    def check_name(name: str) -> str:
        if not isinstance(name, str) or not _NAME.match(name) or ".." in name:
            raise ManagerError(400, f"invalid workflow name {name!r}")
        return name

    def _run(self, name: str):
        """The stored run ``name``. A name that is not a valid Workflow name is still found when the
        store holds it (a row an older version wrote): the lab must be able to show and delete it;
        the store keeps every path of such a run inside its home (``store.paths``)."""
        from .. import api
        if not (isinstance(name, str) and 0 < len(name) <= 4096 and self.store.exists(name)):
            self.check_name(name)
        try:
            return api.get(name, store=self.store)
        except RunNotFound as exc:
            raise ManagerError(404, str(exc)) from None

    def _inside(self, root: Path, path: Path) -> Path:
        """``path`` resolved, refusing anything that leaves ``root`` (``..``, absolute, symlinks)."""
        root = root.resolve()
        target = path.resolve()
        if target != root and root not in target.parents:
            raise ManagerError(403, "path outside the run directory")
        return target

    # -- reading --------------------------------------------------------------------------------
    def _record(self, store, rec):
        """``rec`` after orphan reconciliation (a dead engine's run is Error), without its nodes."""
        from .. import api
        if api.reconcile_orphan(store, rec):
            rec = store.get_run(rec.name, with_nodes=False)
        return rec

    def _reconcile_active(self, store) -> None:
        """Mark the runs whose engine died Error before a filter reads phases: each distinct owner
        pid is checked once, and only a run whose owner is gone is read (a sweep's 2,000 queued runs
        share one live engine)."""
        from ..store import runquery
        from ..store.db import pid_alive
        alive: dict[int | None, bool] = {}
        for name, pid, _backend in runquery.active_rows(store):
            if pid is not None and alive.setdefault(pid, pid_alive(pid)):
                continue
            rec = store.get_run(name, with_nodes=False)
            if rec is not None:
                self._record(store, rec)

    def list_runs(self, phase: str | None = None) -> list[dict]:
        """Summaries of every run (of one phase), newest first: :meth:`runs_page` without paging."""
        return self.runs_page(phase=phase)["runs"]

    def runs_page(self, *, phase: str | list[str] | None = None, label: str | None = None,
                  prefix: str | None = None, since: str | None = None, until: str | None = None,
                  offset: int = 0, limit: int | None = None) -> dict:
        """One page of run summaries and how many runs match: ``{"runs", "total", "offset", "limit",
        "counts"}`` (``counts``: runs per phase under the other filters).

        Filters: ``phase`` (one or a comma-separated list), ``label`` (a Kubernetes label selector,
        as ``argo list -l``), ``prefix`` (of the name, as ``argo list --prefix``), ``since``/``until``
        (creation time, ISO 8601 or a date; UTC when no offset is given). Everything is read from the
        ``runs`` rows by :mod:`jupyter_flow.store.runquery`: no run's nodes and no Workflow document is
        loaded (a 100,000-node run made each listing take seconds), so 10,000 runs page in
        milliseconds. Runs whose engine died are reconciled (to Error) before the filter applies."""
        from ..store import runquery
        flt = runquery.RunFilter(phases=_phases(phase), labels=_selector(label), prefix=_prefix(prefix),
                                 since=_when(since, "since"), until=_when(until, "until"))
        if offset < 0 or (limit is not None and limit < 0):
            raise ManagerError(400, "offset and limit must be 0 or more")
        store = self.store
        self._reconcile_active(store)
        rows = runquery.page(store, flt, offset, limit)
        waiting = runquery.suspend_waiting(store, [r["name"] for r in rows if r["phase"] == "Running"])
        out = []
        for row in rows:
            status = dict(row["status"], phase=row["phase"])
            if row["message"]:
                status["message"] = row["message"]
            progress = None
            if not status.get("progress"):
                done, total = store.pod_progress(row["name"])
                progress = f"{done}/{total}"
            meta = {"name": row["name"], "namespace": row["namespace"], "uid": row["uid"],
                    "creationTimestamp": row["creationTimestamp"] or _iso(row["created_at"])}
            item = summary({"metadata": meta, "spec": {"entrypoint": row["entrypoint"]}, "status": status}, progress)
            item["labels"] = row["labels"] if isinstance(row["labels"], dict) else {}
            # Argo's isWorkflowSuspended: `argo suspend`, or a Suspend step waiting for its resume
            item["suspended"] = item["suspended"] or row["name"] in waiting
            out.append(item)
        return {"runs": out, "total": runquery.count(store, flt), "offset": offset, "limit": limit,
                "counts": runquery.phase_counts(store, flt)}

    def run_summary(self, name: str) -> dict:
        """One run's row of the runs list (``GET runs/NAME?summary=1``): read from its ``runs`` row
        alone, never its nodes (a 100,000-node run answers as fast as a 3-node one)."""
        self._run(name)   # 400 for a bad name, 404 for a missing run
        store = self.store
        rec = store.get_run(name, with_nodes=False)
        rec = rec and self._record(store, rec)
        if rec is None:
            raise ManagerError(404, f"workflow {name!r} not found")
        progress = None
        if not rec.status.get("progress"):
            done, total = store.pod_progress(name)
            progress = f"{done}/{total}"
        wf = rec.to_dict()
        meta = dict(wf.get("metadata") or {}, name=name, uid=rec.uid)
        meta.setdefault("creationTimestamp", _iso(rec.created_at))
        item = summary(dict(wf, metadata=meta), progress)
        item["labels"] = meta.get("labels") if isinstance(meta.get("labels"), dict) else {}
        return item

    def get_run(self, name: str) -> dict:
        try:
            return self._run(name).to_dict()
        except RunNotFound as exc:
            raise ManagerError(404, str(exc)) from None

    def _node(self, name: str, node_id: str) -> tuple[Any, dict]:
        """The run's row (reconciled, without nodes) and the one node asked for, by id or by
        display name: an indexed lookup, never the whole run."""
        self.check_name(name)
        if not isinstance(node_id, str) or not _NODE_ID.match(node_id):
            raise ManagerError(400, f"invalid node id {node_id!r}")
        store = self.store
        rec = store.get_run(name, with_nodes=False)
        rec = rec and self._record(store, rec)
        if rec is None:
            raise ManagerError(404, f"workflow {name!r} not found")
        node = store.find_node(name, node_id)
        if node is None:
            raise ManagerError(404, f"no node {node_id!r} in {name}")
        return rec, node

    def compare(self, names: str | None) -> dict:
        """``jupyter_flow.compare`` of the runs named in ``names`` (comma separated, 2 to
        ``MAX_RUNS``), as JSON-ready data with its Vega-Lite plots."""
        from ..comparison import MAX_RUNS, compare
        parts = [p.strip() for p in (names or "").split(",")] if isinstance(names, str) else []
        parts = [p for p in parts if p]
        if len(parts) < 2:
            raise ManagerError(400, "give 2 or more runs to compare as ?runs=NAME,NAME")
        if len(parts) > MAX_RUNS:
            raise ManagerError(400, f"at most {MAX_RUNS} runs can be compared at once, got {len(parts)}")
        if len(set(parts)) != len(parts):
            raise ManagerError(400, "a run is named twice in ?runs=")
        runs = [self._run(p) for p in parts]     # 400 for a bad name, 404 for a missing run
        try:
            return compare(*runs, store=self.store).to_dict()
        except JupyterFlowError as exc:
            raise ManagerError(400, str(exc)) from None

    def debug_code(self, name: str, node_id: str) -> dict:
        """``{"code", "node"}``: the cell that reproduces the node in a kernel (``jupyter_flow.debug``)."""
        _, node = self._node(name, node_id)
        from ..debugcell import debug
        try:
            return {"code": debug(self._run(name), node["id"]), "node": node["id"]}
        except JupyterFlowError as exc:
            raise ManagerError(400, str(exc)) from None

    def log_finished(self, name: str, node_id: str) -> bool:
        """Whether nothing more will be written to the node's log: the node or its run is over."""
        store = self.store
        phase = store.node_phase(name, node_id)
        if phase not in LIVE:
            return True
        rec = store.get_run(name, with_nodes=False)
        rec = rec and self._record(store, rec)
        return rec is None or rec.phase in FINISHED

    def log_path(self, name: str, node_id: str) -> Path:
        _, node = self._node(name, node_id)
        store = self.store
        return self._inside(store.run_dir(name), store.log_path(name, node["id"]))

    def resolve_log(self, name: str, node_id: str) -> tuple[str, Path]:
        """(node id, log path) of a node named by id or display name, checked once; a follower
        then polls by id."""
        _, node = self._node(name, node_id)
        store = self.store
        return node["id"], self._inside(store.run_dir(name), store.log_path(name, node["id"]))

    def read_log(self, name: str, node_id: str, offset: int = 0, limit: int = MAX_LENGTH, *,
                 tail: int | None = None) -> LogChunk:
        """Log bytes from ``offset`` (at most ``limit``, or the last ``tail`` bytes), whole UTF-8
        characters only (see :func:`jupyter_flow.server.logs.read_range`)."""
        rec, node = self._node(name, node_id)
        store = self.store
        path = self._inside(store.run_dir(name), store.log_path(name, node["id"]))
        done = node.get("phase") not in LIVE or rec.phase in FINISHED
        return read_range(path, max(0, int(offset)), limit, done=done, tail=tail)

    def follow_log(self, name: str, node_id: str, offset: int = 0, *, poll: float = 0.2,
                   timeout: float | None = None, budget: int = FOLLOW_BUDGET) -> Iterator[LogChunk]:
        """Chunks of a node's log as they are written, until the node (or run) finishes or
        ``budget`` bytes were read; each poll reads only the bytes after the last one sent."""
        node, path = self.resolve_log(name, node_id)
        deadline = None if timeout is None else time.monotonic() + timeout
        offset = max(0, int(offset))
        while True:
            done = self.log_finished(name, node)
            step = follow_step(path, offset, done=done, budget=budget)
            for chunk in step.chunks:
                budget -= chunk.offset - chunk.start
                offset = chunk.offset
                yield chunk
            if step.finished:
                yield LogChunk("", step.offset, True, step.offset, step.offset)
                return
            if budget <= 0 or (deadline is not None and time.monotonic() >= deadline):
                return
            time.sleep(poll)

    def artifact_path(self, name: str, key: str) -> Path:
        """A stored artifact file or directory, by its key (``<node-id>/<artifact>[/sub/path]``)."""
        self._run(name)
        if not isinstance(key, str) or not key or "\x00" in key or key.startswith(("/", "\\")):
            raise ManagerError(400, "invalid artifact key")
        parts = key.replace("\\", "/").split("/")
        if any(p in ("", ".", "..") for p in parts):
            raise ManagerError(403, "path outside the run directory")
        root = self.store.artifact_dir(name)
        path = self._inside(root, root.joinpath(*parts))
        if not path.exists():
            raise ManagerError(404, f"no artifact {key!r} in {name}")
        return path

    # -- writing --------------------------------------------------------------------------------
    @staticmethod
    def _document(text: Any) -> bytes:
        """A request's document as UTF-8 bytes: a body's ``yaml`` is always the document's text,
        and bytes are what ``spec.load`` never takes for a path (a string naming an existing
        file, e.g. ``/etc/passwd`` or another user's workflow, would be read from the server)."""
        if not isinstance(text, str) or not text.strip():
            raise ManagerError(400, "a YAML (or JSON) document is required")
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate sent as \ud800 in JSON
            raise ManagerError(400, "the document is not valid Unicode text") from None
        if len(data) > MAX_DOCUMENT:
            raise ManagerError(413, "document too large")
        return data

    @staticmethod
    def _filename(filename: Any) -> str:
        """The name a document's errors are reported under (``file:line:col``): plain text only."""
        if filename is None or filename == "":
            return "<workflow>"
        if not isinstance(filename, str) or len(filename) > 1024 or any(c < " " for c in filename):
            raise ManagerError(400, "filename must be a string of at most 1024 characters, without control characters")
        return filename

    def lint(self, text: str, filename: str | None = None) -> list[dict]:
        from .. import api
        filename = self._filename(filename)
        text = self._document(text)
        return [lint_error_dict(e) for e in api.lint(text, filename=filename)]

    def submit(self, text: str, parameters: Mapping[str, Any] | None = None, *, filename: str | None = None,
               name: str | None = None, generate_name: str | None = None, entrypoint: str | None = None,
               wait: bool = False, timeout: float | None = None) -> dict:
        """Launch a run of a YAML document on the configured backend (``config.yaml``'s ``backend:``,
        as ``jupyter-flow submit``), detached: it outlives this server."""
        from .. import api
        filename = self._filename(filename)
        text = self._document(text)
        if parameters is not None and not isinstance(parameters, Mapping):
            raise ManagerError(400, "parameters must be an object of name: value")
        if name is not None:
            self.check_name(name)
        store = self.store
        try:
            run = api.submit(text, parameters=dict(parameters or {}), name=name, generate_name=generate_name,
                             entrypoint=entrypoint, filename=filename, store=store, detach=True)
        except SpecError as exc:
            raise ManagerError(422, "invalid workflow", [lint_error_dict(e) for e in exc.errors]) from None
        except api.RunExists as exc:
            raise ManagerError(409, str(exc)) from None
        except JupyterFlowError as exc:
            raise ManagerError(400, str(exc)) from None
        if wait:
            run.wait(timeout)
        return run.to_dict()

    def action(self, name: str, action: str, body: Mapping[str, Any] | None = None) -> dict:
        """resume | suspend | stop | terminate | retry | resubmit | delete; returns ``{"name": ...}``."""
        if action not in ACTIONS:
            raise ManagerError(404, f"unknown action {action!r}")
        body = dict(body or {})
        run = self._run(name)
        try:
            if action == "delete":
                run.delete()
                return {"name": name, "deleted": True}
            if action == "retry":
                if run.phase not in FAILED_OR_ERROR:
                    raise ManagerError(409, f"workflow {name!r} is {run.phase}: only Failed or Error runs retry")
                run.retry(detach=True)   # the backend records who owns the run until its engine claims it
                return {"name": name}
            if action == "resubmit":
                return {"name": self._resubmit(run)}
            if run.finished:
                raise ManagerError(409, f"workflow {name!r} has already finished ({run.phase})")
            if action == "resume":
                node = body.get("node")
                run.resume(node if isinstance(node, str) and node else None)
            elif action == "stop":
                message = body.get("message")
                run.stop(message if isinstance(message, str) else None)
            else:
                getattr(run, action)()
        except ManagerError:
            raise
        except JupyterFlowError as exc:
            raise ManagerError(409, str(exc)) from None
        return {"name": name}

    @staticmethod
    def _resubmit(run) -> str:
        """``argo resubmit``: a new run of the same Workflow on the same backend, detached."""
        try:
            return run.resubmit(detach=True).name
        except SpecError as exc:
            raise ManagerError(422, "invalid workflow", [lint_error_dict(e) for e in exc.errors]) from None
