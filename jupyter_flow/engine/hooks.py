"""Lifecycle hooks of a step or task: ``onExit``/``hooks.exit`` and ``hooks.<name>.expression``.

Hooks may use the outputs of the step they hook (exit-handler-with-param.yaml), so their
arguments are substituted again once that step has finished.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .. import expr
from ..errors import ExprError, JupyterFlowError
from .nodes import Node
from .scope import add_node

if TYPE_CHECKING:
    from .execute import Call


def step_hooks(step: dict) -> dict:
    hooks = dict(step.get("hooks") or {})
    if step.get("onExit") and "exit" not in hooks:
        hooks["exit"] = {"template": step["onExit"]}
    return hooks


async def run_step_hooks(call: "Call", step: dict, resolved: dict, child: Node | None, scope: dict,
                         boundary_id: str, parent: Node, prefix: str, task_name: str | None = None) -> None:
    if child is None:
        return
    hooks = step_hooks(resolved)
    if not hooks:
        return
    from .execute import execute
    ctl = call.ctl
    local = dict(scope)
    name = task_name or step["name"]
    add_node(local, f"{prefix}.{name}", child, ctl.nodes)
    if prefix == "steps":
        local["steps.name"] = name
    else:
        local["tasks.name"] = name
    hook_scope = ctl.scope(local)
    for hook_name, hook in hooks.items():
        if hook_name != "exit":
            condition = hook.get("expression")
            if not condition:
                continue
            try:
                fired = expr.evaluate(expr.substitute(condition, hook_scope), expr.nested_env(hook_scope)) is True
            except ExprError:
                fired = False
            if not fired:
                continue
        elif not child.fulfilled:
            continue
        try:
            holder = expr.substitute_obj({k: v for k, v in hook.items() if k != "expression"}, hook_scope)
        except JupyterFlowError as exc:
            holder = {"template": hook.get("template")}
            ctl.set_phase(child, child.phase, f"{child.message} (hook {hook_name}: {exc})".strip())
        suffix = "onExit" if hook_name == "exit" else f"hooks.{hook_name}"
        await execute(ctl, holder, name=f"{child.name}.{suffix}", display=f"{child.display_name}.{suffix}",
                      boundary_id=boundary_id, parent=child, tctx=call.tctx, caller_scope=local, on_exit=True,
                      depth=call.depth + 1)
