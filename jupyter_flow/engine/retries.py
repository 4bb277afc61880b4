"""retryStrategy: a Retry node whose children are the attempts (docs/retries.md)."""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

from .. import expr
from ..errors import ExprError
from .durations import parse_duration
from .nodes import ERROR, FAILED, SUCCEEDED, Node

if TYPE_CHECKING:
    from .call import Call

POLICIES = {"Always": (True, True), "OnFailure": (True, False), "OnError": (False, True),
            "OnTransientError": (False, False)}
TRANSIENT = ("exceeded quota", "connection reset", "connection refused", "i/o timeout", "temporarily unavailable",
             "too many open files", "resource temporarily unavailable")


def retry_strategy(ctl, tmpl: dict) -> dict | None:
    """The template's own ``retryStrategy``, else the workflow's ``spec.retryStrategy``.

    Argo's ``woc.retryStrategy(tmpl)``: the workflow-level strategy is the default of every
    template that has none, whatever its type (a steps or DAG template, the entrypoint included,
    becomes a Retry node too).
    """
    own = tmpl.get("retryStrategy")
    if own is not None:
        return own
    return ctl.spec.get("retryStrategy")


def _limit(call: "Call", strategy: dict) -> int | None:
    raw = strategy.get("limit")
    if raw is None:
        return None
    return int(expr.substitute(str(raw), call.ctl.scope(call.local)))


def _last_retry(child: Node) -> dict:
    out = child.outputs or {}
    code = out.get("exitCode")
    return {"lastRetry.exitCode": code if code is not None else "-1", "lastRetry.status": child.phase,
            "lastRetry.duration": str(int((child.finished_at or time.time()) - (child.started_at or time.time()))),
            "lastRetry.message": child.message or ""}


async def run_retries(call: "Call", node: Node) -> None:
    ctl = call.ctl
    # the last attempt kept from an earlier run (`retry`, `resubmit --memoized`) stands: Argo's
    # processNodeRetries judges a retry node by its last child
    kept = ctl.kept_attempts.get(node.name)
    if kept is not None:
        ctl.add_child(node, kept)
        node.outputs = kept.outputs
        ctl.set_phase(node, SUCCEEDED)
        return
    strategy = retry_strategy(ctl, call.tmpl) or {}
    limit = _limit(call, strategy)
    policy = strategy.get("retryPolicy") or ("Always" if strategy.get("expression") else "OnFailure")
    on_failed, on_error = POLICIES.get(policy, (True, False))
    backoff = strategy.get("backoff") or {}
    first_start = time.time()
    attempt = 0
    extra: dict = {"retries": "0"}
    while True:
        child = ctl.new_node(f"{node.name}({attempt})", f"{node.display_name}({attempt})", call.node_type(),
                             template_name=call.tmpl_name, boundary_id=node.boundary_id, parent=node,
                             inputs=node.inputs, template_ref=call.tref)
        await call.run_body(child, extra)
        if child.daemoned and ctl.daemons:
            from .daemons import adopt
            if adopt(ctl, child, node):   # a ready daemon: the Retry node is daemoned with it
                return
        if child.phase == SUCCEEDED:
            node.outputs = child.outputs
            ctl.set_phase(node, SUCCEEDED)
            return
        message = child.message
        retry = (child.phase == FAILED and on_failed) or (child.phase == ERROR and on_error)
        if policy == "OnTransientError":
            retry = any(t in (child.message or "").lower() for t in TRANSIENT)
        if ctl.shutdown:
            retry = False
        extra = {"retries": str(attempt + 1), **_last_retry(child)}
        if retry and strategy.get("expression"):
            scope = ctl.scope(dict(call.local, **extra))
            env = expr.nested_env(scope)
            try:
                # the template (retryStrategy included) is substituted with its inputs before use, as in
                # Argo: `{{inputs.parameters.x}} == true` becomes `true == true`
                text = expr.substitute(strategy["expression"], ctl.scope(call.local))
                ok = expr.evaluate(text, env)
            except ExprError as exc:
                ctl.set_phase(node, ERROR, f"retryStrategy.expression: {exc}")
                node.outputs = child.outputs
                return
            if ok is not True:
                retry = False
        if retry and limit is not None and attempt >= limit:
            retry, message = False, "No more retries left"
        if retry:   # Argo emits the template's metrics for an attempt that is retried (lastChildNode)
            from .metrics import node_done
            node_done(ctl, call.tmpl, child)
            wait = 0.0
            if backoff.get("duration") is not None:
                base = parse_duration(backoff["duration"])
                factor = float(backoff.get("factor", 1) or 1)
                wait = base * (factor ** attempt)
                if backoff.get("cap") is not None:
                    wait = min(wait, parse_duration(backoff["cap"]))
                if backoff.get("maxDuration") is not None:
                    if time.time() - first_start + wait > parse_duration(backoff["maxDuration"]):
                        retry, message = False, "Max duration limit exceeded"
            if retry:
                await ctl.sleep(wait)
                if not ctl.shutdown:
                    attempt += 1
                    continue
        node.outputs = child.outputs
        ctl.set_phase(node, child.phase, message)
        return
