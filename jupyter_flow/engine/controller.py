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
from typing import Any

from .. import config, expr
from ..executors.base import capabilities
from . import workflowvars
from .nodes import (COMPLETED, ERROR, FAILED, FAILED_OR_ERROR, POD, RETRY, RUNNING, SKIPPED, SUCCEEDED, SUSPEND,
                    TASK_GROUP, Node, iso, node_id, parse_iso, pod_name, pod_name_version)
from .control import REQUEST_POLL, RunControl
from .persist import RunPersistence, Subscriber
from .templates import TemplateContext
from .workflowvars import _STRFTIME_CHARS, _creation_formats, join_workflow_spec  # noqa: F401 (their old home)

TAGGED_MAX = 4096   # templates/steps whose "has a {{tag}}" answer a run keeps (see Controller.substitute)

live: dict[str, "Controller"] = {}   # runs owned by this process, by name


class Controller(RunPersistence):
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
        self._big_written: dict[str, tuple] = {}   # big node id -> (when, phase, message) last written (persist.py)
        self._grown: set[str] = set()   # big nodes whose growth subscribers hear of when written (persist.py)
        self._child_sets: dict[str, set[str]] = {}   # node id -> its children, for nodes with many (add_child)
        self._events: list[tuple] = []
        self._run_dirty = False
        self._flush_handle: asyncio.TimerHandle | None = None
        self.control = RunControl(self)   # resume/suspend/stop/`node set` and the waits they end
        self._kept: set[str] = set()   # preloaded nodes that stand as they are (see preload)
        self.kept_attempts: dict[str, Node] = {}   # retry node name -> its last kept attempt (see preload)
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
        kids = parent.children
        if len(kids) < 64:
            if child.id in kids:
                return
        else:   # a big loop's group: a scan of its list per child was O(n^2) over the loop
            seen = self._child_sets.get(parent.id)
            if seen is None or len(seen) != len(kids):
                seen = self._child_sets[parent.id] = set(kids)
            if child.id in seen:
                return
            seen.add(child.id)
        kids.append(child.id)
        self.touch(parent, grown=True)

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

    # ---- control (engine/control.py) -------------------------------------------------------------
    def request(self, action: str, payload: dict | None = None) -> "concurrent.futures.Future[str | None]":
        """Thread-safe entry for control requests (see ``RunControl.request``)."""
        return self.control.request(action, payload)

    def stop(self, strategy: str, message: str | None = None) -> None:
        self.control.stop(strategy, message)

    async def wait_unsuspended(self) -> None:
        await self.control.wait_unsuspended()

    async def sleep(self, seconds: float) -> None:
        """A sleep that a stop interrupts."""
        await self.control.sleep(seconds)

    # ---- globals (engine/workflowvars.py) -----------------------------------------------------------
    def set_global_output(self, kind: str, name: str, value: Any) -> None:
        """``globalName`` outputs: visible as ``workflow.outputs.*`` and in ``status.outputs``."""
        workflowvars.set_global_output(self, kind, name, value)

    def scope(self, local: dict) -> ChainMap:
        return ChainMap(local, self.globals)

    # ---- the run --------------------------------------------------------------------------------
    async def run(self) -> str:
        from .call import execute

        self.loop = asyncio.get_running_loop()
        self.control.start()
        if self.spec.get("parallelism"):
            self.pod_limit = asyncio.Semaphore(int(self.spec["parallelism"]))
        # the local process cap, unless the executor's steps run elsewhere (a cluster sets its own)
        self.proc_limit = asyncio.Semaphore(capabilities(self.executor).max_concurrent or config.max_processes())
        live[self.name] = self
        self.started_at = time.time()
        self.phase = RUNNING
        workflowvars.init_globals(self)
        workflowvars.apply_workflow_metadata(self)
        from . import metrics
        metrics.run_started(self)
        self.emit({"kind": "run", "run": self.name, "phase": self.phase})
        if self.store is not None:
            # "Running" reaches the store with the first round of node changes (persist.FLUSH_DELAY), not in
            # a transaction of its own: a short run writes once, at its end. Durability is the same:
            # the row already names this process as its owner, so if it dies the run is marked Error.
            self.schedule_flush()
            self.loop.call_later(REQUEST_POLL, self.control.poll_requests)
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
            if self.store is not None:   # podGC of this run, TTL and keep of the others (store/retention.py)
                from ..store.retention import after_run
                after_run(self.store, self.name)
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



def run_in_thread(ctl: Controller) -> threading.Thread:
    """Run the controller on an engine thread and event loop of its own (how notebooks and the API
    use it); the thread and loop are reused by later runs (see ``runner``)."""
    from .runner import run_in_thread as run_on_engine_loop
    return run_on_engine_loop(ctl)
