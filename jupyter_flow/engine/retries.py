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
             "too many open files", "resource temporarily unavailable",
             # the rest of Argo's util/errors IsTransientErr messages
             "connection closed by foreign host", "tls handshake timeout", "connection timed out",
             "http2: client connection lost", "http2: server sent goaway", "invalid connection",
             "etcdserver: leader changed", "etcdserver: request timed out", "etcdserver: too many requests",
             "upper: no more rows in")


def is_transient(message: str) -> bool:
    """Argo's IsTransientErr on a node's message: the known network and API blips (matched without
    case: here they come from Python as well as from Go), or the ``TRANSIENT_ERROR_PATTERN``
    regular expression from the environment, as the controller reads it. The pattern runs on RE2
    with Go's syntax (``expr.goregexp``), as Go's ``regexp`` does: a node's message is step output,
    and a backtracking engine would let it stall the engine loop on a pattern like ``(a+)+$``."""
    import os
    if any(t in message.lower() for t in TRANSIENT):
        return True
    pattern = os.environ.get("TRANSIENT_ERROR_PATTERN")
    if not pattern:
        return False
    from ..expr import goregexp
    try:
        return goregexp.compile(pattern).match_string(message)
    except goregexp.RegexError:
        return False      # Argo's controller logs an invalid pattern and treats nothing as transient


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
        # Argo's processNodeRetries, in its order: shutdown, backoff (maxDuration), retryPolicy,
        # limit, expression; the first that stops the retries gives the message
        extra = {"retries": str(attempt + 1), **_last_retry(child)}
        retry, phase, message, wait = _decide(call, strategy, policy, limit, child, attempt + 1, first_start, extra)
        if retry:   # Argo emits the template's metrics for an attempt that is retried (lastChildNode)
            from .metrics import node_done
            node_done(ctl, call.tmpl, child)
            await ctl.sleep(wait)
            if not ctl.shutdown:
                attempt += 1
                continue
        node.outputs = child.outputs
        ctl.set_phase(node, phase, message)
        return


def _decide(call: "Call", strategy: dict, policy: str, limit: int | None, child: Node, attempts: int,
            first_start: float, extra: dict) -> tuple[bool, str, str, float]:
    """Whether to run another attempt after the failed ``child`` (``attempts`` so far), the phase
    and message the Retry node ends with otherwise (the child's phase; Error for an expression that
    cannot be evaluated), and how long to wait before the next attempt.

    Argo's processNodeRetries checks, in this order: a shutdown; ``backoff.maxDuration`` (measured
    from the first attempt's start: "Max duration limit exceeded" once past it, "Backoff would
    exceed max duration limit" when the wait would end past it); the ``retryPolicy`` (an attempt it
    does not retry ends the node with that attempt's message); ``limit`` ("No more retries left"
    after 1 + limit attempts); ``expression`` ("retryStrategy.expression evaluated to false").
    The wait is ``duration * factor^(attempts-1)``, at most ``cap``.
    """
    ctl = call.ctl
    if ctl.shutdown:
        return False, child.phase, child.message, 0.0
    wait = 0.0
    backoff = strategy.get("backoff") or {}
    if backoff:
        now = time.time()
        deadline = None
        if backoff.get("maxDuration") is not None:
            deadline = first_start + parse_duration(backoff["maxDuration"])
            if now > deadline:
                return False, child.phase, "Max duration limit exceeded", 0.0
        if backoff.get("duration") is not None:
            wait = parse_duration(backoff["duration"])
            factor = float(backoff.get("factor") or 0)   # Argo: no factor (or 0) is a constant wait
            if factor > 0:
                wait *= factor ** (attempts - 1)
            if backoff.get("cap") is not None:
                wait = min(wait, parse_duration(backoff["cap"]))
            if deadline is not None and (child.finished_at or now) + wait > deadline:
                return False, child.phase, "Backoff would exceed max duration limit", 0.0
    on_failed, on_error = POLICIES.get(policy, (True, False))
    if policy == "OnTransientError":
        on_failed = on_error = is_transient(child.message or "")
    if (child.phase == FAILED and not on_failed) or (child.phase == ERROR and not on_error):
        return False, child.phase, child.message, 0.0
    if limit is not None and attempts > limit:
        return False, child.phase, "No more retries left", 0.0
    if strategy.get("expression"):
        env = expr.nested_env(ctl.scope(dict(call.local, **extra)))
        try:
            # the template (retryStrategy included) is substituted with its inputs before use, as in
            # Argo: `{{inputs.parameters.x}} == true` becomes `true == true`
            text = expr.substitute(strategy["expression"], ctl.scope(call.local))
            ok = expr.evaluate(text, env)
        except ExprError as exc:
            return False, ERROR, f"retryStrategy.expression: {exc}", 0.0
        if ok is not True:
            return False, child.phase, "retryStrategy.expression evaluated to false", 0.0
    return True, child.phase, child.message or "", wait
