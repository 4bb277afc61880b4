"""DAG templates: tasks start when their dependencies resolve (dag.go).

Each task is a coroutine awaiting its dependencies' completion events, so scheduling costs
O(edges) in total, with no rescans of the task table. Phase assessment follows Argo's
assessDAGPhase: over the target tasks, an omitted/skipped task inherits its branch's phase,
failures preferred.
"""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from .. import expr
from ..errors import ExprError, JupyterFlowError
from .hooks import run_step_hooks, watch_running_hooks
from .loops import expand, is_loop
from .nodes import (ERROR, FAILED, FAILED_OR_ERROR, OMITTED, RUNNING, SKIPPED, SKIPPED_TYPE, SUCCEEDED,
                    TASK_GROUP, Node)
from .outputs import collect_template_outputs
from .variables import add_aggregate, add_node, add_skipped_outputs, mark_absent_args, resolve_step, result_referenced
from .admission import gather_admitted
from .steps import FAIL_FAST_MESSAGE, _loop_template_type, _step_template, continues_on, fails_fast, gated

if TYPE_CHECKING:
    from .call import Call


def task_dependencies(task: dict) -> list[str]:
    if task.get("depends"):
        return sorted(expr.depends_tasks(task["depends"]))
    return list(task.get("dependencies") or [])


def depends_logic(task: dict, tasks: dict[str, dict]) -> str:
    """``dependencies: [A]`` as ``depends``, honouring the dependency's continueOn (ancestry.go)."""
    if task.get("depends"):
        return task["depends"]
    parts = []
    for dep in task.get("dependencies") or []:
        alts = [f"{dep}.Succeeded", f"{dep}.Skipped", f"{dep}.Daemoned"]
        cont = (tasks.get(dep) or {}).get("continueOn") or {}
        if cont.get("failed"):
            alts.append(f"{dep}.Failed")
        if cont.get("error"):
            alts.append(f"{dep}.Errored")
        parts.append("(" + " || ".join(alts) + ")")
    return " && ".join(parts)


class DagRun:
    def __init__(self, call: "Call", node: Node, local: dict):
        self.call, self.ctl, self.node = call, call.ctl, node
        dag = call.tmpl.get("dag") or {}
        self.tasks: dict[str, dict] = {t["name"]: t for t in dag.get("tasks") or []}
        self.deps = {n: task_dependencies(t) for n, t in self.tasks.items()}
        self.fail_fast = dag.get("failFast", True) is not False
        self.scope = dict(local)
        self.task_nodes: dict[str, Node] = {}
        self.done: dict[str, asyncio.Event] = {n: asyncio.Event() for n in self.tasks}
        self.halted = False
        self.failed_seen = False
        # the template's own `failFast: true` (Template.IsFailFast, checkParallelism), unlike
        # dag.failFast: once a child failed no task starts, and the DAG fails with its message
        self.tmpl_fail_fast = call.tmpl.get("failFast") is True
        self.fail_fast_tripped = False
        # looped tasks whose referenced outputs.result could not be combined (a result not JSON)
        self.not_json: dict[str, str] = {}
        self.limit = asyncio.Semaphore(int(call.tmpl["parallelism"])) if call.tmpl.get("parallelism") else None
        target = dag.get("target")
        if target:
            self.targets = expr.substitute(str(target), self.ctl.scope(local)).split()
        else:
            dependents = {d for deps in self.deps.values() for d in deps}
            self.targets = sorted(n for n in self.tasks if n not in dependents)

    def needed(self) -> list[str]:
        seen: set[str] = set()
        order: list[str] = []
        stack = list(self.targets)
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            if name not in self.tasks:
                raise JupyterFlowError(f"task {name!r} (dag target or dependency) is not defined")
            seen.add(name)
            order.append(name)
            stack.extend(self.deps[name])
        return [n for n in self.tasks if n in seen]

    def results(self, names) -> dict:
        out = {}
        for dep in names:
            n = self.task_nodes.get(dep)
            phase = n.phase if n is not None else ""
            any_ok = all_failed = False
            if n is not None and n.type == TASK_GROUP:
                kids = [self.ctl.nodes[c] for c in n.children]
                any_ok = any(k.phase == SUCCEEDED for k in kids)
                all_failed = bool(kids) and all(k.phase == FAILED for k in kids)
            out[dep] = {"Succeeded": phase == SUCCEEDED, "Failed": phase == FAILED, "Errored": phase == ERROR,
                        "Skipped": phase == SKIPPED, "Omitted": phase == OMITTED,
                        "Daemoned": n is not None and n.daemoned and phase != "Pending",
                        "AnySucceeded": any_ok, "AllFailed": all_failed}
        return out

    def connect(self, name: str, child: Node) -> None:
        deps = self.deps[name]
        if not deps:
            self.ctl.add_child(self.node, child)
            return
        for dep in deps:
            dn = self.task_nodes.get(dep)
            if dn is None:
                continue
            for oid in self.ctl.outbound(dn):
                self.ctl.add_child(self.ctl.nodes[oid], child)

    async def run_task(self, name: str) -> None:
        try:
            await self._run_task(name)
        finally:
            self.done[name].set()

    async def _run_task(self, name: str) -> None:
        ctl, task = self.ctl, self.tasks[name]
        deps = self.deps[name]
        for dep in deps:
            await self.done[dep].wait()
        if self.halted or any(d not in self.task_nodes for d in deps):
            return
        full = f"{self.node.name}.{name}"
        logic = depends_logic(task, self.tasks)
        if logic:
            try:
                ok = expr.depends(logic, self.results(deps))
            except ExprError as exc:
                self._finish(name, self._skipped(name, full, ERROR, str(exc)))
                return
            if not ok:
                self._finish(name, self._skipped(name, full, OMITTED, "omitted: depends condition not met"))
                return
        error = self._ancestor_not_json(name)
        if error:   # dag.go buildLocalScopeFromTask: the ancestors' aggregate outputs failed
            self._finish(name, self._skipped(name, full, ERROR, error))
            return
        caller = ctl.scope(self.scope)
        try:
            if is_loop(task):
                await self._run_loop(name, mark_absent_args(task, caller), full, caller)
                return
            resolved = resolve_step(ctl, task, caller)
        except JupyterFlowError as exc:
            self._finish(name, self._skipped(name, full, ERROR, str(exc)))
            return
        node = await self._run_one(name, task, resolved, full, name)
        self._finish(name, node)

    def _skipped(self, name: str, full: str, phase: str, message: str) -> Node:
        node = self.ctl.new_node(full, name, SKIPPED_TYPE, boundary_id=self.node.id, phase=phase, message=message,
                                 template_name=self.tasks[name].get("template", ""))
        self.connect(name, node)
        return node

    async def _run_one(self, name: str, task: dict, resolved: dict, full: str, display: str,
                       group: Node | None = None) -> Node | None:
        from .call import execute
        ctl = self.ctl
        if group is not None and ctl.budget.exceeded is not None:   # over a budget, ending: no more nodes
            return None
        if resolved.get("when") not in (None, ""):
            try:
                ok = expr.when(str(resolved["when"]))
            except ExprError as exc:
                return self._leaf_skip(name, full, display, group, ERROR, str(exc))
            if not ok:
                return self._leaf_skip(name, full, display, group, SKIPPED,
                                       f"when '{resolved['when']}' evaluated false")
        if self.limit is not None:
            await self.limit.acquire()
        try:
            if self.halted:
                return None
            if self.tmpl_fail_fast:
                await asyncio.sleep(0)   # as in steps.py: siblings ready now start, even if this one fails at once
            parent = group
            watcher = watch_running_hooks(self.call, task, resolved, full, self.scope, self.node.id, "tasks",
                                          task_name=name)
            node = await execute(ctl, resolved, name=full, display=display, boundary_id=self.node.id,
                                 parent=parent, tctx=self.call.tctx, caller_scope=self.scope,
                                 on_exit=self.call.on_exit, depth=self.call.depth + 1)
            if self.tmpl_fail_fast and fails_fast(ctl, node):
                self.halted = self.fail_fast_tripped = True   # before the slot is released
            fired = await watcher if watcher is not None else None
            if group is None:
                self.connect(name, node)
        finally:
            if self.limit is not None:
                self.limit.release()
        await run_step_hooks(self.call, task, resolved, node, self.scope, self.node.id, group or self.node,
                             prefix="tasks", task_name=name, fired=fired)
        return node

    def _ancestor_not_json(self, name: str) -> str:
        """Go's JSON error of the first ancestor (transitively) whose loop results did not combine."""
        if not self.not_json:
            return ""
        seen: set[str] = set()
        stack = list(self.deps[name])
        while stack:
            dep = stack.pop()
            if dep in seen:
                continue
            seen.add(dep)
            stack.extend(self.deps.get(dep, ()))
        return next((self.not_json[t] for t in self.tasks if t in seen and t in self.not_json), "")

    def _leaf_skip(self, name, full, display, group, phase, message) -> Node:
        node = self.ctl.new_node(full, display, SKIPPED_TYPE, boundary_id=self.node.id, phase=phase,
                                 message=message, template_name=self.tasks[name].get("template", ""),
                                 parent=group)
        if group is None:
            self.connect(name, node)
        return node

    async def _run_loop(self, name: str, task: dict, full: str, caller) -> None:
        ctl = self.ctl
        children = expand(task, caller, lambda n: ctl.budget.loop(ctl, n, name, self.call.tmpl_name))
        if not children:   # dag.go: a task with an empty withParam list is Skipped
            self._finish(name, self._skipped(name, full, SKIPPED, "Skipped, empty params"))
            return
        group = ctl.new_node(full, name, TASK_GROUP, template_name=task.get("template", ""),
                             boundary_id=self.node.id, phase=RUNNING)
        self.connect(name, group)
        self.task_nodes[name] = group
        items = [(name, task, resolved, f"{self.node.name}.{cname}", cname, group) for cname, resolved in children]
        if gated(self.call, [task], len(items)):   # a big fan-out under parallelism (admission.py)
            results = await gather_admitted(self._run_one, items)
        else:
            results = await asyncio.gather(*(self._run_one(*item) for item in items))
        kids = [r for r in results if r is not None]
        phase = SUCCEEDED
        for k in kids:
            if k.phase in FAILED_OR_ERROR:
                phase = k.phase
        error = add_aggregate(self.scope, f"tasks.{name}", kids, _loop_template_type(self.call, task))
        if error and result_referenced(self.call.tmpl, name):
            self.not_json[name] = error
        ctl.set_phase(group, phase)
        self._after(name, group)

    def _finish(self, name: str, node: Node | None) -> None:
        if node is None:
            return
        self.task_nodes[name] = node
        add_node(self.scope, f"tasks.{name}", node, self.ctl.nodes)
        add_skipped_outputs(self.scope, f"tasks.{name}", node, _step_template(self.call, self.tasks[name]))
        self._after(name, node)

    def _after(self, name: str, node: Node) -> None:
        if node.phase in FAILED_OR_ERROR:
            self.failed_seen = True
        if self.failed_seen and self.fail_fast and not self.halted:
            if self.assess(partial=True) in FAILED_OR_ERROR:
                self.halted = True

    def branch_phase(self, name: str, memo: dict) -> str:
        if name in memo:
            return memo[name]
        node = self.task_nodes.get(name)
        if node is None:
            memo[name] = ""
            return ""
        if node.phase in (SUCCEEDED, FAILED, ERROR):
            memo[name] = node.phase
            return node.phase
        if node.phase not in (SKIPPED, OMITTED) and not node.daemoned:
            # a daemoned task is fulfilled but not completed: it takes its branch's phase
            memo[name] = ""
            return ""
        phase = SUCCEEDED
        for dep in self.deps[name]:
            p = self.branch_phase(dep, memo)
            if p in FAILED_OR_ERROR:
                phase = p
                break
        memo[name] = phase
        return phase

    def assess(self, partial: bool = False) -> str:
        memo: dict = {}
        result = SUCCEEDED
        for target in self.targets:
            phase = self.branch_phase(target, memo)
            if phase == "":
                result = RUNNING
                if not self.fail_fast:
                    break
            elif phase in FAILED_OR_ERROR:
                if continues_on(self.tasks.get(target, {}), phase):
                    continue
                result = phase
                if self.fail_fast:
                    break
        return result


async def run_dag(call: "Call", node: Node, local: dict) -> None:
    ctl = call.ctl
    ctl.set_phase(node, RUNNING)
    run = DagRun(call, node, local)
    try:
        needed = run.needed()
    except JupyterFlowError as exc:
        ctl.set_phase(node, ERROR, str(exc))
        return
    await asyncio.gather(*(run.run_task(n) for n in needed))
    if run.fail_fast_tripped:
        # checkParallelism marks the node before executeDAG assesses it (no outbound nodes set)
        ctl.set_phase(node, FAILED, FAIL_FAST_MESSAGE)
        return
    phase = run.assess()
    node.outbound = [o for t in run.targets if t in run.task_nodes for o in ctl.outbound(run.task_nodes[t])]
    if phase == RUNNING:
        phase = FAILED if run.halted or run.failed_seen else ERROR
    if phase in FAILED_OR_ERROR:
        failed = next((n for n in run.task_nodes.values() if n.phase in FAILED_OR_ERROR), None)
        ctl.set_phase(node, phase, f"child '{failed.id}' failed" if failed else "")
        return
    not_json = next((run.not_json[t] for t in run.tasks if t in run.not_json), None)
    if not_json is not None:   # executeDAG aggregates every looped task's outputs before its own
        ctl.set_phase(node, ERROR, not_json)
        return
    try:
        node.outputs = collect_template_outputs(ctl, call.tmpl, ctl.scope(run.scope))
    except JupyterFlowError as exc:
        ctl.set_phase(node, ERROR, str(exc))
        return
    ctl.set_phase(node, SUCCEEDED)
