"""The controller: owns one run, its node tree, its events and its persistence.

Like Argo's workflow operator it walks the template tree, but as asyncio coroutines: a steps
group awaits its children, a DAG task awaits its dependencies, a retry is a loop. Nothing
polls on the hot path; the store is written once per scheduling round (coalesced), not per
event, and other processes' control requests are picked up from the store.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import json
import threading
import time
from collections import ChainMap
from typing import Any, Callable

from .. import config, expr
from ..executors.base import capabilities
from .nodes import (COMPLETED, ERROR, FAILED, FAILED_OR_ERROR, POD, RETRY, RUNNING, SKIPPED, SUCCEEDED, SUSPEND,
                    TASK_GROUP, Node, iso, node_id, parse_iso, pod_name, pod_name_version)
from .templates import TemplateContext

FLUSH_DELAY = 0.05
TAGGED_MAX = 4096   # templates/steps whose "has a {{tag}}" answer a run keeps (see Controller.substitute)
REQUEST_POLL = 0.2

Subscriber = Callable[[dict], None]
live: dict[str, "Controller"] = {}   # runs owned by this process, by name


class Controller:
    """Runs one Workflow (already validated, parameters applied) to completion."""

    def __init__(self, workflow: dict, *, name: str, store=None, executor=None, uid: str = "",
                 registry=None):
        from ..executors.local import LocalExecutor

        self.workflow = workflow
        self.name = name
        self.uid = uid
        self.spec: dict = join_workflow_spec(workflow.get("spec") or {}, registry)
        self.store = store
        # where this run's logs, artifacts and step roots live (a scratch dir for a store-less run)
        if store is not None:
            self.run_dir = store.run_dir(name)
        else:
            import tempfile
            from pathlib import Path
            self.run_dir = Path(tempfile.mkdtemp(prefix=f"jupyter-flow-{name}-"))
        # computed once: every step needs them, and a Path join costs more than the lookup
        self.logs_dir = self.run_dir / "logs"
        self.nodes_dir = self.run_dir / "nodes"
        self.artifact_root = self.run_dir / "artifacts"
        self.registry = registry
        self.executor = executor or LocalExecutor()
        if not capabilities(self.executor).creates_dirs:   # the local executor makes them when needed
            from ..store.paths import make_dirs
            make_dirs(self.logs_dir)
        self.nodes: dict[str, Node] = {}
        self.phase = "Pending"
        self.message = ""
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self.shutdown: str | None = None
        self.suspended = bool(self.spec.get("suspend"))
        self.globals: dict[str, str] = {}
        self.global_artifacts: dict[str, dict] = {}
        self.outputs: dict[str, list] = {}
        self.subscribers: list[Subscriber] = []
        self.done = threading.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self._dirty: dict[str, Node] = {}
        self._events: list[tuple] = []
        self._run_dirty = False
        self._flush_handle: asyncio.TimerHandle | None = None
        self._resume: asyncio.Event | None = None
        self._suspend_waiters: dict[str, asyncio.Event] = {}
        self._sleepers: set[asyncio.Future] = set()
        self.supplied: dict[str, dict] = {}
        self._kept: set[str] = set()   # preloaded nodes that stand as they are (see preload)
        self.kept_attempts: dict[str, Node] = {}   # retry node name -> its last kept attempt (see preload)
        self._suspend_outputs: dict[str, list[str]] = {}   # suspend node -> outputs that need `node set`
        # suspend node -> its declared output parameters: True for those `node set` may give (supplied)
        self._suspend_declared: dict[str, dict[str, bool]] = {}
        self.tmpl_ctx = TemplateContext.for_workflow(dict(workflow, spec=self.spec), registry)
        self.pod_limit: asyncio.Semaphore | None = None
        self.proc_limit: asyncio.Semaphore | None = None
        self.failures: list[dict] = []
        # status.progress kept as counters: a flush must not count every node of the run
        self._pods_total = 0
        self._pods_done = 0
        # node name -> id: a step's id is asked for three times (reused? new? its parent's child)
        # and each asks Argo's FNV hash of the whole name
        self._ids: dict[str, str] = {}
        # id(template or step) -> (it, whether a string in it has a {{tag}}): most never change
        # under substitution, so a step of theirs skips the walk (the object is kept, so its id
        # is not reused). Bounded: a templateRef's template is a new dict at every step.
        self._tagged: dict[int, tuple[object, bool]] = {}
        self._pod_names: str | None = None
        self.daemons: dict = {}   # node id -> daemons.Daemon: daemon steps running beside the others
        self.global_error = ""   # a global parameter that could not be set: the run errors at once
        from ..expr import limits
        from .budget import RunBudget
        self.budget = RunBudget()   # nodes and loop items this run may create (budget.py)
        limits.configure(config.limit("maxStringBytes", "JUPYTER_FLOW_MAX_STRING_BYTES", limits.MAX_STRING))

    # ---- node bookkeeping -------------------------------------------------------------------
    def preload(self, nodes: dict[str, dict]) -> None:
        """Start from an earlier attempt's nodes: succeeded ones (``retry``) and Skipped ones that
        stand for an earlier run's pods (``resubmit --memoized``) are reused as they are."""
        for d in nodes.values():
            node = Node(id=d["id"], name=d["name"], display_name=d.get("displayName", ""), type=d.get("type", ""),
                        template_name=d.get("templateName", ""), boundary_id=d.get("boundaryID", ""),
                        phase=d.get("phase", "Pending"), message=d.get("message", ""),
                        children=list(d.get("children") or []), outbound=list(d.get("outboundNodes") or []),
                        inputs=d.get("inputs"), outputs=d.get("outputs"), started_at=parse_iso(d.get("startedAt")),
                        finished_at=parse_iso(d.get("finishedAt")), template_ref=d.get("templateRef"),
                        host_node_name=d.get("hostNodeName", ""),
                        progress=d["progress"] if isinstance(d.get("progress"), str) else "")
            if node.id not in self.nodes and node.type == POD:
                self._pods_total += 1
                self._pods_done += node.phase in COMPLETED
            self.nodes[node.id] = node
            self._dirty[node.id] = node
            if node.phase in (SUCCEEDED, SKIPPED) and node.finished_at is not None:
                self._kept.add(node.id)
                parent, _, attempt = node.name[:-1].rpartition("(")
                if node.name.endswith(")") and attempt.isdigit():   # `x(2)`: attempt 2 of retry node x
                    last = self.kept_attempts.get(parent)
                    if last is None or int(last.name[len(parent) + 1:-1]) < int(attempt):
                        self.kept_attempts[parent] = node

    def node_id(self, name: str) -> str:
        nid = self._ids.get(name)
        if nid is None:
            nid = self._ids[name] = node_id(self.name, name)
        return nid

    def pod_name(self, node: Node) -> str:
        """Argo's pod name for ``node`` (``{{pod.name}}``; v2 unless the workflow asks for v1)."""
        version = self._pod_names
        if version is None:
            version = self._pod_names = pod_name_version(self.workflow)
        template = (node.template_ref or {}).get("template") or node.template_name
        return pod_name(self.name, node.name, template, node.id, version)

    def substitute(self, obj: dict, scope) -> dict:
        """``expr.substitute_obj(obj, scope)``, or ``obj`` itself when no string in it has a tag
        (then nothing would change; callers treat the result as read-only either way)."""
        seen = self._tagged.get(id(obj))
        if seen is None:
            if len(self._tagged) >= TAGGED_MAX:
                self._tagged.clear()
            seen = self._tagged[id(obj)] = (obj, expr.has_tags(obj))
        return expr.substitute_obj(obj, scope) if seen[1] else obj

    def reusable(self, name: str) -> Node | None:
        """A node kept from an earlier attempt (``preload``) or done earlier in this run, that must
        not run again."""
        node = self.nodes.get(self.node_id(name))
        if node is not None and node.finished_at is not None and (
                node.phase == SUCCEEDED or (node.phase == SKIPPED and node.id in self._kept)):
            return node
        return None

    def node_by_name(self, name: str) -> Node | None:
        return self.nodes.get(self.node_id(name))

    def new_node(self, name: str, display: str, type_: str, *, template_name: str = "", boundary_id: str = "",
                 parent: Node | None = None, phase: str = "Pending", message: str = "",
                 inputs: dict | None = None, template_ref: dict | None = None) -> Node:
        nid = self.node_id(name)
        node = self.nodes.get(nid)
        if node is None:
            self.budget.node(self, name, template_name)   # raises past the run's budget
            node = Node(id=nid, name=name, display_name=display, type=type_, template_name=template_name,
                        boundary_id=boundary_id, inputs=inputs, template_ref=template_ref)
            self.nodes[nid] = node
            if type_ == POD:
                self._pods_total += 1
        if parent is not None:
            self.add_child(parent, node)
        self.set_phase(node, phase, message)
        return node

    def add_child(self, parent: Node, child: Node) -> None:
        if child.id not in parent.children:
            parent.children.append(child.id)
            self.touch(parent)

    def set_phase(self, node: Node, phase: str, message: str | None = None) -> None:
        now = time.time()
        if phase == RUNNING or (phase in ("Succeeded", "Failed", "Error") and node.started_at is None):
            node.started_at = node.started_at or now
        if phase in ("Succeeded", "Failed", "Error", "Skipped", "Omitted"):
            node.finished_at = node.finished_at or now
            if node.started_at is None:
                node.started_at = node.finished_at
        changed = node.phase != phase
        if changed and node.type == POD:
            self._pods_done += (phase in COMPLETED) - (node.phase in COMPLETED)
        node.phase = phase
        if message is not None:
            node.message = message
        if changed and node.type == POD and phase in FAILED_OR_ERROR:
            self.failures.append(node)
        self.touch(node, changed)

    def touch(self, node: Node, changed: bool = True) -> None:
        self._dirty[node.id] = node
        if changed:
            if self.subscribers:
                self.emit({"kind": "node", "run": self.name, "node": node.to_dict()})
            else:   # what emit() records, without building the node's dict nobody reads
                self._events.append((time.time(), "node", node.id, {"phase": node.phase}))
        if self._flush_handle is None:
            self._schedule_flush()

    # ---- events & persistence ---------------------------------------------------------------
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

    def _schedule_flush(self) -> None:
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
            self._dirty.clear()
            self._events.clear()
            return
        nodes = [n.to_dict() for n in self._dirty.values()]
        self._dirty.clear()
        events, self._events = self._events, []
        fields = {"phase": self.phase, "message": self.message, "started_at": self.started_at,
                  "finished_at": self.finished_at, "status": self.status_dict()}
        if not wait:
            self.store.save_later(self.name, run_fields=fields, nodes=nodes, events=events)
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

    def to_dict(self) -> dict:
        wf = dict(self.workflow)
        status = self.status_dict()
        status["nodes"] = {nid: n.to_dict() for nid, n in self.nodes.items()}
        wf["status"] = status
        return wf

    # ---- control ------------------------------------------------------------------------------
    def request(self, action: str, payload: dict | None = None) -> "concurrent.futures.Future[str | None]":
        """Thread-safe entry for control requests (resume, suspend, stop, terminate, set).

        Returns a future of the engine's answer: None, or why it refused (a resume that would
        leave a supplied output without a value), in the order requests were made."""
        answer: concurrent.futures.Future = concurrent.futures.Future()
        if self.loop is None or self.loop.is_closed() or self.done.is_set():
            answer.set_result(None)
            return answer

        def handle() -> None:
            try:
                answer.set_result(self._handle(action, payload or {}))
            except BaseException as exc:   # the caller hears of it; the loop goes on
                answer.set_exception(exc)
        self.loop.call_soon_threadsafe(handle)
        return answer

    def _handle(self, action: str, payload: dict) -> str | None:
        refused = None
        if action == "resume":
            selector = payload.get("node")
            if not selector:
                self.suspended = False
                if self._resume is not None:
                    self._resume.set()
                self._run_dirty = True
            for nid, ev in list(self._suspend_waiters.items()):
                node = self.nodes[nid]
                if not selector or selector in (node.display_name, node.name, node.id):
                    unset = self.unset_output(nid)
                    if unset:   # util.ResumeWorkflow: OverrideOutputParametersWithDefault fails
                        refused = refused or unset
                        self.set_phase(node, node.phase, unset)
                        continue
                    ev.set()
        elif action == "suspend":
            self.suspended = True
            if self._resume is not None:
                self._resume.clear()
        elif action in ("stop", "terminate"):
            self.stop("Stop" if action == "stop" else "Terminate", payload.get("message"))
        elif action == "set":
            refused = self._set_node(payload)
        self._schedule_flush()
        return refused

    def _set_node(self, payload: dict) -> str | None:
        """``argo node set`` on the waiting suspend nodes the selector names (util.updateSuspendedNode):
        supplied output parameters (kept across calls), a message (shown at once), and a phase
        (Succeeded, Failed or Error: the node ends with it, as if resumed). Returns why it was
        refused, changing nothing, or None."""
        selector = payload.get("node")
        targets = [nid for nid in self._suspend_waiters
                   if selector in (self.nodes[nid].display_name, self.nodes[nid].name, self.nodes[nid].id)]
        if not targets:
            return f"currently, set only targets suspend nodes: no suspend nodes matching nodeFieldSelector: " \
                   f"displayName={selector}"
        params = payload.get("parameters") or {}
        phase = payload.get("phase") or ""
        if phase and phase not in (SUCCEEDED, FAILED, ERROR):
            return f"cannot set a node's phase to {phase!r}: Succeeded, Failed or Error"
        for nid in targets:
            declared = self._suspend_declared.get(nid) or {}
            if params and not declared:
                return "cannot set output parameters because node is not expecting any raw parameters"
            for name in params:
                if name not in declared:
                    return f"node is not expecting output parameter '{name}'"
                if not declared[name]:
                    return f"cannot set output parameter '{name}' because it does not use valueFrom.raw " \
                           "or it was already set"
        for nid in targets:
            node = self.nodes[nid]
            given = self.supplied.setdefault(nid, {})
            given.setdefault("parameters", {}).update({k: str(v) for k, v in params.items()})
            declared = self._suspend_declared.get(nid) or {}
            for name in params:   # Argo clears the parameter's valueFrom: it cannot be set twice
                declared[name] = False
            if payload.get("message"):
                given["message"] = payload["message"]
                self.set_phase(node, node.phase, payload["message"])
            if phase:
                given["phase"] = phase
                self._suspend_waiters[nid].set()
        return None

    def unset_output(self, nid: str) -> str:
        """Why suspend node ``nid`` cannot finish yet: a supplied output parameter with no value
        set (``node set``), no default and no same-named input default (Argo's message), or ""."""
        check = self._suspend_outputs.get(nid)
        if check is None:
            return ""
        values = (self.supplied.get(nid) or {}).get("parameters") or {}
        for name in check:
            if name not in values:
                return f"raw output parameter '{name}' has not been set and does not have a default value"
        return ""

    def stop(self, strategy: str, message: str | None = None) -> None:
        if self.shutdown is not None:
            return
        self.shutdown = strategy
        self.message = message or f"Stopped with strategy '{strategy}'"
        self.executor.kill_all("stop")
        for ev in self._suspend_waiters.values():
            ev.set()
        for fut in list(self._sleepers):
            if not fut.done():
                fut.set_result(None)
        if self._resume is not None:
            self._resume.set()

    async def wait_unsuspended(self) -> None:
        while self.suspended and self.shutdown is None:
            self._resume.clear()
            await self._resume.wait()

    async def sleep(self, seconds: float) -> None:
        """A sleep that a stop interrupts."""
        if seconds <= 0 or self.shutdown:
            return
        fut = self.loop.create_future()
        self._sleepers.add(fut)
        handle = self.loop.call_later(seconds, lambda: fut.done() or fut.set_result(None))
        try:
            await fut
        finally:
            handle.cancel()
            self._sleepers.discard(fut)

    async def wait_suspend(self, node: Node, duration: float | None) -> None:
        ev = asyncio.Event()
        self._suspend_waiters[node.id] = ev
        try:
            if duration is None:
                await ev.wait()
            else:
                try:
                    await asyncio.wait_for(ev.wait(), timeout=max(0.0, duration))
                except asyncio.TimeoutError:
                    pass
        finally:
            self._suspend_waiters.pop(node.id, None)

    def _poll_requests(self) -> None:
        if self.finished_at is not None:
            return
        try:
            answers = {seq: self._handle(action, payload) or ""
                       for seq, action, payload in self.store.take_requests(self.name, numbered=True)}
            self.store.answer_requests(answers)   # a waiting `resume` elsewhere learns of a refusal
        finally:
            self.loop.call_later(REQUEST_POLL, self._poll_requests)

    # ---- globals ------------------------------------------------------------------------------
    def _init_globals(self) -> None:
        from .variables import to_str
        meta = self.workflow.get("metadata") or {}
        g = self.globals
        g["workflow.name"] = self.name
        g["workflow.namespace"] = meta.get("namespace") or "default"
        g["workflow.uid"] = self.uid
        g["workflow.serviceAccountName"] = self.spec.get("serviceAccountName") or "default"
        g["workflow.mainEntrypoint"] = self.spec.get("entrypoint", "")
        created = self.started_at or time.time()
        g["workflow.creationTimestamp"] = iso(created)
        g["workflow.creationTimestamp.RFC3339"] = iso(created)
        g["workflow.creationTimestamp.s"] = str(int(created))
        g.update(_creation_formats(created))
        if "priority" in self.spec:
            g["workflow.priority"] = str(self.spec["priority"])
        params = (self.spec.get("arguments") or {}).get("parameters") or []
        values = {}
        for p in params:
            vf = p.get("valueFrom") or {}
            if "value" not in p and vf.get("configMapKeyRef"):   # setGlobalParameters, from the values file
                from .podenv import EnvError, config_map_value
                try:
                    value, why = config_map_value(vf["configMapKeyRef"])
                except EnvError as exc:
                    value, why = None, str(exc)
                if value is None and vf.get("default") is not None:
                    value = to_str(vf["default"])
                if value is None and not self.global_error:
                    ref = vf["configMapKeyRef"]
                    self.global_error = (f"failed to set global parameter {p['name']} from configmap with name "
                                         f"{ref.get('name')} and key {ref.get('key')}: {why}")
                values[p["name"]] = value or ""
            else:
                values[p["name"]] = to_str(p.get("value", ""))
            g[f"workflow.parameters.{p['name']}"] = values[p["name"]]
        g["workflow.parameters.json"] = json.dumps(
            [{"name": p["name"], "value": values[p["name"]]} for p in params], separators=(",", ":"))
        g["workflow.parameters"] = g["workflow.parameters.json"]
        for kind in ("labels", "annotations"):
            values = meta.get(kind) or {}
            for k, v in values.items():
                g[f"workflow.{kind}.{k}"] = str(v)
            g[f"workflow.{kind}.json"] = json.dumps(values, separators=(",", ":"))
        scheduled = (meta.get("annotations") or {}).get("workflows.argoproj.io/scheduled-time")
        if scheduled:   # a CronWorkflow's run; elsewhere the tag stays as written, as in Argo
            g["workflow.scheduledTime"] = scheduled

    def _apply_workflow_metadata(self) -> None:
        """spec.workflowMetadata: labels/annotations added to the Workflow; ``labelsFrom`` values are
        expressions over the global variables (operator.go setGlobalParameters/labelsFrom)."""
        wm = self.spec.get("workflowMetadata") or {}
        if not wm:
            return
        from .. import expr
        from ..errors import ExprError
        from .variables import to_str
        meta = self.workflow.setdefault("metadata", {})
        for kind in ("labels", "annotations"):
            values = {k: str(v) for k, v in (wm.get(kind) or {}).items()}
            if values:
                meta.setdefault(kind, {}).update(values)
        for key, src in (wm.get("labelsFrom") or {}).items():
            try:
                value = expr.evaluate(str((src or {}).get("expression", "")), expr.nested_env(self.globals))
            except ExprError as exc:
                self.message = f"failed to evaluate label {key!r} expression: {exc}"
                continue
            meta.setdefault("labels", {})[key] = to_str(value)
        for kind in ("labels", "annotations"):
            values = meta.get(kind) or {}
            for k, v in values.items():
                self.globals[f"workflow.{kind}.{k}"] = str(v)
            self.globals[f"workflow.{kind}.json"] = json.dumps(values, separators=(",", ":"))

    def set_global_output(self, kind: str, name: str, value: Any) -> None:
        """``globalName`` outputs: visible as ``workflow.outputs.*`` and in ``status.outputs``."""
        items = self.outputs.setdefault(kind, [])
        items[:] = [i for i in items if i["name"] != name]
        if kind == "parameters":
            items.append({"name": name, "value": value})
            self.globals[f"workflow.outputs.parameters.{name}"] = value
        else:
            art = dict(value, name=name)
            items.append(art)
            self.global_artifacts[f"workflow.outputs.artifacts.{name}"] = art
            self.globals[f"workflow.outputs.artifacts.{name}"] = json.dumps(art)
        self._run_dirty = True

    def scope(self, local: dict) -> ChainMap:
        return ChainMap(local, self.globals)

    # ---- the run --------------------------------------------------------------------------------
    async def run(self) -> str:
        from .call import execute

        self.loop = asyncio.get_running_loop()
        self._resume = asyncio.Event()
        if self.spec.get("parallelism"):
            self.pod_limit = asyncio.Semaphore(int(self.spec["parallelism"]))
        # the local process cap, unless the executor's steps run elsewhere (a cluster sets its own)
        self.proc_limit = asyncio.Semaphore(capabilities(self.executor).max_concurrent or config.max_processes())
        live[self.name] = self
        self.started_at = time.time()
        self.phase = RUNNING
        self._init_globals()
        self._apply_workflow_metadata()
        from . import metrics
        metrics.run_started(self)
        self.emit({"kind": "run", "run": self.name, "phase": self.phase})
        if self.store is not None:
            # "Running" reaches the store with the first round of node changes (FLUSH_DELAY), not in
            # a transaction of its own: a short run writes once, at its end. Durability is the same:
            # the row already names this process as its owner, so if it dies the run is marked Error.
            self._schedule_flush()
            self.loop.call_later(REQUEST_POLL, self._poll_requests)
        deadline = self.spec.get("activeDeadlineSeconds")
        deadline_handle = None
        if deadline is not None:
            deadline_handle = self.loop.call_later(
                float(deadline), self.stop, "Stop", "Step exceeded its deadline")
        try:
            if self.global_error:   # operator.go setGlobalParameters failed: no node runs
                self.phase, self.message = ERROR, self.global_error
                return self.phase
            entry = {"template": self.spec.get("entrypoint"), "arguments": self.spec.get("arguments") or {}}
            if self.spec.get("workflowTemplateRef") and not self.spec.get("entrypoint"):
                entry["template"] = self.tmpl_ctx.entrypoint
            from .hooks import run_workflow_hooks
            entry_run = execute(self, entry, name=self.name, display=self.name, boundary_id="", parent=None,
                                tctx=self.tmpl_ctx, caller_scope={})
            wf_fired: set = set()
            hooks_task = None
            if any(k != "exit" for k in self.spec.get("hooks") or {}):
                entry_task = asyncio.ensure_future(entry_run)

                async def running_hooks():
                    while self.node_by_name(self.name) is None and not entry_task.done():
                        await asyncio.sleep(0.02)
                    await run_workflow_hooks(self, wf_fired, RUNNING)
                hooks_task = asyncio.ensure_future(running_hooks())
                root = await entry_task
            else:   # nothing runs beside it: awaited in this task (a Task costs a loop turn to start)
                root = await entry_run
            if hooks_task is not None:
                await hooks_task
            if self.daemons:   # markWorkflowPhase: killDaemonedChildren("") (an entrypoint daemon)
                from .daemons import kill_scope
                await kill_scope(self, "")
            phase = root.phase if root.phase in (SUCCEEDED, FAILED, ERROR) else ERROR
            if phase != SUCCEEDED and not self.message:
                self.message = root.message
            if self.shutdown != "Terminate":
                await run_workflow_hooks(self, wf_fired, phase)
            on_exit = self.spec.get("onExit") or (self.spec.get("hooks") or {}).get("exit")
            if on_exit and self.shutdown != "Terminate":
                phase = await self._run_exit_handler(on_exit, phase)
            self.phase = phase
        except Exception as exc:   # an engine bug must still end the run visibly
            import traceback
            self.phase = ERROR
            self.message = f"engine error: {exc}"
            traceback.print_exc()
            for node in list(self.nodes.values()):   # none is left Running in the record of an ended run
                if not node.fulfilled:
                    self.set_phase(node, ERROR, self.message)
        finally:
            if deadline_handle is not None:
                deadline_handle.cancel()
            if self.daemons:   # daemons of the exit handler, or left by an engine error
                from .daemons import kill_scope
                await kill_scope(self, None)
            self.executor.kill_all("stop")
            if self.budget.exceeded is not None:   # a controller error in Argo: the run errors
                self.phase, self.message = ERROR, self.budget.exceeded
            close = getattr(self.executor, "close", None)
            if close is not None:
                close()
            self.finished_at = time.time()
            metrics.run_done(self)
            self.emit({"kind": "run", "run": self.name, "phase": self.phase})
            if self._flush_handle is not None:
                self._flush_handle.cancel()
            self.flush(wait=True)
            live.pop(self.name, None)
            self.done.set()
        return self.phase

    async def _run_exit_handler(self, template: "str | dict", phase: str) -> str:
        from .call import execute

        self.globals["workflow.status"] = phase
        self.globals["workflow.duration"] = str(time.time() - (self.started_at or time.time()))
        failures = [{"displayName": n.display_name, "message": n.message, "templateName": n.template_name,
                     "phase": n.phase, "podName": self.pod_name(n), "finishedAt": iso(n.finished_at)}
                    for n in self.failures]
        self.globals["workflow.failures"] = json.dumps(failures, separators=(",", ":")) if failures else "null"
        saved_shutdown = self.shutdown
        if self.shutdown == "Stop":
            self.shutdown = None   # exit handlers run on stop
        holder = {"template": template} if isinstance(template, str) else \
            {k: v for k, v in template.items() if k != "expression"}   # spec.hooks.exit
        node = await execute(self, holder, name=f"{self.name}.onExit", display=f"{self.name}.onExit",
                             boundary_id="", parent=None, tctx=self.tmpl_ctx, caller_scope={}, on_exit=True)
        self.shutdown = saved_shutdown
        if node.phase in FAILED_OR_ERROR and phase == SUCCEEDED:
            self.message = node.message
            return FAILED if node.phase == FAILED else ERROR
        return phase

    # ---- outbound nodes (how Argo links graph edges) ---------------------------------------------
    def outbound(self, node: Node) -> list[str]:
        if node.type in (POD, "Container") and node.children:
            # a containerSet pod: its outbound nodes are its last containers (getOutboundNodes)
            out: list[str] = []
            for cid in node.children:
                child = self.nodes[cid]
                found = [node.id] if child.type != "Container" else self.outbound(child)
                out.extend(o for o in found if o not in out)
            return out
        if node.type in (POD, SUSPEND, "Skipped", "HTTP", "Plugin", "Container"):
            return [node.id]
        if node.type == RETRY:
            return [node.children[-1]] if node.children else [node.id]
        if node.type == TASK_GROUP:
            if not node.children:
                return [node.id]
            out: list[str] = []
            for cid in node.children:
                out.extend(self.outbound(self.nodes[cid]))
            return out
        if not node.outbound:
            return [node.id]
        out = []
        for oid in node.outbound:
            o = self.nodes[oid]
            out.extend([oid] if o.type == POD else self.outbound(o))
        return out


_STRFTIME_CHARS = "aAbBcCdDeFgGhHIjklLmMnNpPrRsStTuUVwWxXyYZz"
_STRFTIME_KEYS = [f"workflow.creationTimestamp.{ch}" for ch in _STRFTIME_CHARS]
_STRFTIME_ALL = "\x1f".join(f"%{ch}" for ch in _STRFTIME_CHARS)


def _creation_formats(created: float) -> dict[str, str]:
    """``workflow.creationTimestamp.<c>`` for every strftime letter Argo offers, from one
    ``strftime`` call with the letters separated (42 calls cost ~0.2 ms a run); letter by
    letter if the platform rejects one of them."""
    import datetime as _dt
    dt = _dt.datetime.fromtimestamp(created, _dt.timezone.utc)
    try:
        values = dt.strftime(_STRFTIME_ALL).split("\x1f")
    except ValueError:
        values = []
    if len(values) == len(_STRFTIME_KEYS):
        return dict(zip(_STRFTIME_KEYS, values))
    out = {}
    for key, ch in zip(_STRFTIME_KEYS, _STRFTIME_CHARS):
        try:
            out[key] = dt.strftime(f"%{ch}")
        except ValueError:
            pass
    return out


def join_workflow_spec(spec: dict, registry) -> dict:
    """Argo's JoinWorkflowSpec for ``spec.workflowTemplateRef``: the WorkflowTemplate's spec with
    the Workflow's own fields on top; ``arguments.parameters`` merge by name, the Workflow's win."""
    ref = spec.get("workflowTemplateRef")
    if not ref or registry is None:
        return spec
    wft = registry(ref.get("name", ""), bool(ref.get("clusterScope")))
    if not wft:
        return spec
    base = json.loads(json.dumps(wft.get("spec") or {}))
    merged = dict(base)
    for key, value in spec.items():
        if key == "arguments":
            continue
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = {**base[key], **value}
        else:
            merged[key] = value
    args = dict(base.get("arguments") or {})
    own = spec.get("arguments") or {}
    for kind in ("parameters", "artifacts"):
        items = {i.get("name"): i for i in args.get(kind) or []}
        for item in own.get(kind) or []:
            items[item.get("name")] = item
        if items:
            args[kind] = list(items.values())
    if args:
        merged["arguments"] = args
    if "suspend" not in spec:
        merged.pop("suspend", None)
    return merged


def run_in_thread(ctl: Controller) -> threading.Thread:
    """Run the controller on an engine thread and event loop of its own (how notebooks and the API
    use it); the thread and loop are reused by later runs (see ``runner``)."""
    from .runner import run_in_thread as run_on_engine_loop
    return run_on_engine_loop(ctl)
