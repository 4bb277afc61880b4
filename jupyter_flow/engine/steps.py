"""Steps templates: the outer list runs in sequence, each inner list in parallel (steps.go)."""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from .. import expr
from ..errors import ExprError, JupyterFlowError
from .admission import GATE_FROM, gather_admitted
from .hooks import run_step_hooks, watch_running_hooks
from .loops import expand, is_loop
from .nodes import (DAG, ERROR, FAILED, FAILED_OR_ERROR, POD, RETRY, RUNNING, SKIPPED, SKIPPED_TYPE, STEP_GROUP,
                    STEPS, SUCCEEDED, Node)
from .outputs import collect_template_outputs
from .variables import add_aggregate, add_node, add_skipped_outputs, mark_absent_args, resolve_step, result_referenced
from .templates import template_type

if TYPE_CHECKING:
    from .call import Call


def continues_on(step: dict, phase: str) -> bool:
    c = step.get("continueOn") or {}
    return (phase == FAILED and bool(c.get("failed"))) or (phase == ERROR and bool(c.get("error")))


# operator.go checkParallelism: the message of a `failFast: true` steps/DAG template (and, for
# steps, of its current step group) once a child failed and its running pods have finished
FAIL_FAST_MESSAGE = "template has failed or errored children and failFast enabled"
_COUNTED = (POD, STEPS, DAG)


def fails_fast(ctl, child: Node) -> bool:
    """Does this direct child trip its parent's template-level ``failFast: true``?

    Argo's getUnsuccessfulChildren counts the Failed/Errored Pod, Steps and DAG nodes in the
    template's boundary, whatever the step's ``continueOn``; a retried child's attempts are such
    nodes, so a failed attempt counts (Skipped-type nodes, e.g. a failed ``when``, do not).
    """
    if child.type == RETRY:
        return any(ctl.nodes[c].phase in FAILED_OR_ERROR and ctl.nodes[c].type in _COUNTED
                   for c in child.children if c in ctl.nodes)
    return child.type in _COUNTED and child.phase in FAILED_OR_ERROR


async def run_steps(call: "Call", node: Node, local: dict) -> None:
    ctl = call.ctl
    ctl.set_phase(node, RUNNING)
    scope = dict(local)
    prev_group: Node | None = None
    # Template.IsFailFast: only an explicit `failFast: true` (a DAG's own dag.failFast is dag.py's)
    fail_fast = call.tmpl.get("failFast") is True
    limit = asyncio.Semaphore(int(call.tmpl["parallelism"])) if call.tmpl.get("parallelism") else None
    for i, group in enumerate(call.tmpl.get("steps") or []):
        gname = f"{node.name}[{i}]"
        gnode = ctl.new_node(gname, f"[{i}]", STEP_GROUP, template_name=call.tmpl_name, boundary_id=node.id,
                             phase=RUNNING)
        if prev_group is None:
            ctl.add_child(node, gnode)
        elif not prev_group.children:
            ctl.add_child(prev_group, gnode)
        else:
            for cid in prev_group.children:
                for oid in ctl.outbound(ctl.nodes[cid]):
                    ctl.add_child(ctl.nodes[oid], gnode)
        try:
            failed = await _run_group(call, node, gnode, group or [], scope, limit, fail_fast)
        except AggregateError as exc:
            # steps.go: the group is done; its loop's results could not be combined, so the
            # steps node errors with Go's JSON error (what Argo's executeSteps returns)
            ctl.set_phase(gnode, SUCCEEDED)
            ctl.set_phase(node, ERROR, str(exc))
            return
        prev_group = gnode
        if failed is FAIL_FAST:
            # checkParallelism: no further children start; once none runs, the step group and the
            # template fail with the failFast message (Argo leaves the outbound nodes unset)
            ctl.set_phase(gnode, FAILED, FAIL_FAST_MESSAGE)
            ctl.set_phase(node, FAILED, FAIL_FAST_MESSAGE)
            return
        if failed is not None:
            ctl.set_phase(gnode, FAILED, f"child '{failed.id}' failed")
            node.outbound = [o for cid in gnode.children for o in ctl.outbound(ctl.nodes[cid])]
            ctl.set_phase(node, FAILED, f"child '{failed.id}' failed")
            return
        ctl.set_phase(gnode, SUCCEEDED)
    if prev_group is not None:
        node.outbound = [o for cid in prev_group.children for o in ctl.outbound(ctl.nodes[cid])] or [prev_group.id]
    try:
        node.outputs = collect_template_outputs(ctl, call.tmpl, ctl.scope(scope))
    except JupyterFlowError as exc:
        ctl.set_phase(node, ERROR, str(exc))
        return
    ctl.set_phase(node, SUCCEEDED)


FAIL_FAST = Node(id="", name="", display_name="", type="")   # _run_group's verdict: failFast tripped


class AggregateError(JupyterFlowError):
    """A loop's ``outputs.result`` that the template references could not be combined: a result
    was not JSON (Argo: processAggregateNodeOutputs fails, the steps node errors)."""


async def _run_group(call, node, gnode, group, scope, limit, fail_fast) -> Node | None:
    """Run one parallel group; return the first child that fails it (no continueOn), else None;
    :data:`FAIL_FAST` when ``fail_fast`` and a child failed (see :func:`fails_fast`)."""
    ctl = call.ctl
    caller = ctl.scope(scope)
    planned: list[tuple[dict, str, dict]] = []   # (original step, child name, resolved step)
    loops: dict[str, list[str]] = {}
    for step in group:
        try:
            if is_loop(step):
                children = expand(mark_absent_args(step, caller), caller,
                                  lambda n: ctl.budget.loop(ctl, n, step["name"], call.tmpl_name))
                if not children:   # steps.go: an empty loop is one Skipped node
                    ctl.new_node(f"{gnode.name}.{step['name']}", step["name"], SKIPPED_TYPE, boundary_id=node.id,
                                 parent=gnode, phase=SKIPPED, message="Skipped, empty params",
                                 template_name=step.get("template", ""))
                    continue
                loops[step["name"]] = [f"{gnode.name}.{n}" for n, _ in children]
                planned.extend((step, n, s) for n, s in children)
            else:
                planned.append((step, step["name"], resolve_step(ctl, step, caller)))
        except JupyterFlowError as exc:
            err = ctl.new_node(f"{gnode.name}.{step['name']}", step["name"], SKIPPED_TYPE, boundary_id=node.id,
                               parent=gnode, phase=ERROR, message=str(exc), template_name=step.get("template", ""))
            return err
    halted = False

    async def one(step: dict, name: str, resolved: dict) -> Node:
        nonlocal halted
        if ctl.budget.exceeded is not None:   # the run is over a budget and ending: no more nodes
            return None
        full = f"{gnode.name}.{name}"
        if resolved.get("when") not in (None, ""):
            try:
                ok = expr.when(str(resolved["when"]))
            except ExprError as exc:
                return ctl.new_node(full, name, SKIPPED_TYPE, boundary_id=node.id, parent=gnode, phase=ERROR,
                                    message=str(exc), template_name=step.get("template", ""))
            if not ok:
                return ctl.new_node(full, name, SKIPPED_TYPE, boundary_id=node.id, parent=gnode, phase=SKIPPED,
                                    message=f"when '{resolved['when']}' evaluated false",
                                    template_name=step.get("template", ""))
        from .call import execute
        if limit is not None:
            await limit.acquire()
        try:
            if halted:
                return None
            if fail_fast:
                # the children Argo creates in one pass all start, even if one of them fails at once
                # (a missing command): let every sibling that has a slot now get past the check above
                await asyncio.sleep(0)
            watcher = watch_running_hooks(call, step, resolved, full, scope, node.id, "steps")
            child = await execute(ctl, resolved, name=full, display=name, boundary_id=node.id, parent=gnode,
                                  tctx=call.tctx, caller_scope=scope, on_exit=call.on_exit, depth=call.depth + 1)
            if fail_fast and fails_fast(ctl, child):
                halted = True   # before the slot is released: no waiting sibling starts
            fired = await watcher if watcher is not None else None
        finally:
            if limit is not None:
                limit.release()
        await run_step_hooks(call, step, resolved, child, scope, node.id, gnode, prefix="steps", fired=fired)
        return child

    if len(planned) == 1:   # a lone step runs in this task: a gather costs a Task and two loop turns
        results = [await one(*planned[0])]
    elif gated(call, [step for step, _, _ in planned], len(planned)):   # a big fan-out under parallelism
        results = await gather_admitted(one, planned)
    else:
        results = await asyncio.gather(*(one(s, n, r) for s, n, r in planned))
    by_step: dict[str, list[Node]] = {}
    failed: Node | None = None
    for (step, name, _), child in zip(planned, results):
        if child is None:
            continue
        by_step.setdefault(step["name"], []).append(child)
        if failed is None and child.phase in FAILED_OR_ERROR and not continues_on(step, child.phase):
            failed = child
    not_json = None
    for step in group:
        name = step["name"]
        if name in loops:
            tmpl_type = _loop_template_type(call, step)
            error = add_aggregate(scope, f"steps.{name}", by_step.get(name, []), tmpl_type)
            if error and not_json is None and result_referenced(call.tmpl, name):
                not_json = error
        elif by_step.get(name):
            add_node(scope, f"steps.{name}", by_step[name][0], ctl.nodes)
            add_skipped_outputs(scope, f"steps.{name}", by_step[name][0], _step_template(call, step))
    if halted:
        return FAIL_FAST
    if failed is None and not_json is not None:
        raise AggregateError(not_json)
    return failed


def gated(call, steps: list[dict], count: int) -> bool:
    """Whether a group of ``count`` children from ``steps`` starts them one after another
    (``admission.gather_admitted``): under workflow parallelism, a big group of plain pod steps
    (container or script: each waits for its pod slot and nothing else); any other child (a
    steps/DAG/suspend template, a lock) could wait on something a later sibling ends."""
    if call.ctl.pod_limit is None or count < GATE_FROM:
        return False
    seen: set[int] = set()
    for step in steps:
        if id(step) in seen:
            continue
        seen.add(id(step))
        tmpl = _step_template(call, step)
        if tmpl is None or template_type(tmpl) not in ("container", "script") or tmpl.get("synchronization") \
                or step.get("hooks") or tmpl.get("memoize"):
            return False
    return True


def _step_template(call, step) -> dict | None:
    try:
        tmpl, _, _, _ = call.tctx.resolve(step)
    except JupyterFlowError:
        return None
    return tmpl


def _loop_template_type(call, step) -> str:
    try:
        tmpl, _, _, _ = call.tctx.resolve(step)
    except JupyterFlowError:
        return ""
    return template_type(tmpl)
