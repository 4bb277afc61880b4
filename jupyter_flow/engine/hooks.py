"""Lifecycle hooks of a step or task: ``onExit``/``hooks.exit`` and ``hooks.<name>.expression``.

Hooks may use the outputs of the step they hook (exit-handler-with-param.yaml), so their
arguments are substituted again once that step has finished.
"""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from .. import expr
from ..errors import ExprError, JupyterFlowError
from .nodes import Node
from .variables import add_node

if TYPE_CHECKING:
    from .call import Call


def step_hooks(step: dict) -> dict:
    hooks = dict(step.get("hooks") or {})
    if step.get("onExit") and "exit" not in hooks:
        hooks["exit"] = {"template": step["onExit"]}
    return hooks


async def run_step_hooks(call: "Call", step: dict, resolved: dict, child: Node | None, scope: dict,
                         boundary_id: str, parent: Node, prefix: str, task_name: str | None = None,
                         fired: set | None = None) -> None:
    """After the step finished: its exit hook and every expression hook not fired yet."""
    if child is None:
        return
    hooks = step_hooks(resolved)
    if not hooks:
        return
    ctl = call.ctl
    local = _hook_scope(ctl, scope, prefix, task_name or step["name"], child)
    for hook_name, hook in hooks.items():
        if fired and hook_name in fired:
            continue
        if hook_name != "exit":
            if not _fires(hook, ctl.scope(local)):
                continue
        elif not child.fulfilled:
            continue
        await _run_hook(call, hook_name, hook, child, local, boundary_id)


def _hook_scope(ctl, scope: dict, prefix: str, name: str, child: Node) -> dict:
    local = dict(scope)
    add_node(local, f"{prefix}.{name}", child, ctl.nodes)
    local[f"{prefix}.name"] = name
    return local


def _fires(hook: dict, scope) -> bool:
    condition = hook.get("expression")
    if not condition:
        return False
    try:
        return expr.evaluate(expr.substitute(condition, scope), expr.nested_env(scope)) is True
    except ExprError:
        return False


async def _run_hook(call: "Call", hook_name: str, hook: dict, child: Node, local: dict, boundary_id: str) -> None:
    from .call import execute
    ctl = call.ctl
    hook_scope = ctl.scope(local)
    try:
        holder = expr.substitute_obj({k: v for k, v in hook.items() if k != "expression"}, hook_scope)
    except JupyterFlowError as exc:
        holder = {"template": hook.get("template")}
        ctl.set_phase(child, child.phase, f"{child.message} (hook {hook_name}: {exc})".strip())
    suffix = "onExit" if hook_name == "exit" else f"hooks.{hook_name}"
    await execute(ctl, holder, name=f"{child.name}.{suffix}", display=f"{child.display_name}.{suffix}",
                  boundary_id=boundary_id, parent=child, tctx=call.tctx, caller_scope=local, on_exit=True,
                  depth=call.depth + 1)


def watch_running_hooks(call: "Call", step: dict, resolved: dict, full: str, scope: dict, boundary_id: str,
                        prefix: str, task_name: str | None = None) -> "asyncio.Task | None":
    """Expression hooks fire while the step runs (Argo re-evaluates them every reconciliation,
    e.g. ``steps["step-1"].status == "Running"``). Returns a task yielding the names fired, or
    None when the step has no expression hooks."""
    hooks = {k: v for k, v in step_hooks(resolved).items() if k != "exit" and v.get("expression")}
    if not hooks:
        return None
    ctl = call.ctl
    name = task_name or step["name"]

    async def watch() -> set:
        fired: set = set()
        pending: list = []
        while True:
            node = ctl.node_by_name(full)
            if node is not None and node.phase != "Pending":
                if node.fulfilled:
                    break
                local = _hook_scope(ctl, scope, prefix, name, node)
                for hook_name, hook in hooks.items():
                    if hook_name not in fired and _fires(hook, ctl.scope(local)):
                        fired.add(hook_name)
                        pending.append(asyncio.ensure_future(
                            _run_hook(call, hook_name, hook, node, local, boundary_id)))
                if len(fired) == len(hooks):
                    break
            await asyncio.sleep(HOOK_POLL)
        if pending:
            await asyncio.gather(*pending)
        return fired

    return asyncio.ensure_future(watch())


HOOK_POLL = 0.1


async def run_workflow_hooks(ctl, fired: set, status: str | None = None) -> None:
    """spec.hooks (all but ``exit``): fire once when the expression over the global variables is
    true (hooks.go executeWfLifeCycleHook), as ``<workflow>.hooks.<name>`` children of the root."""
    from .call import execute
    hooks = {k: v for k, v in (ctl.spec.get("hooks") or {}).items() if k != "exit"}
    if not hooks:
        return
    scope = ctl.scope({"workflow.status": status or ctl.phase})
    root = ctl.node_by_name(ctl.name)
    runs = []
    for hook_name, hook in hooks.items():
        if hook_name in fired or not _fires(hook, scope):
            continue
        fired.add(hook_name)
        holder = {k: v for k, v in hook.items() if k != "expression"}
        runs.append(execute(ctl, holder, name=f"{ctl.name}.hooks.{hook_name}", display=f"{ctl.name}.hooks.{hook_name}",
                            boundary_id="", parent=root, tctx=ctl.tmpl_ctx, caller_scope={}, on_exit=True))
    if runs:
        await asyncio.gather(*runs)
