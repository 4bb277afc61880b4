"""``containerSet.retryStrategy``: a failing container is re-run inside its pod.

Argo's emissary re-runs a container set's container whose command exits non-zero, at most
``retries`` more times, waiting ``duration`` ("the time between each retry", a Go duration,
default none) between attempts; the container node ends with its last attempt. Unlike a
template's ``retryStrategy`` this makes no new nodes. A container killed by the deadline or a
stop is not re-run.
"""
from __future__ import annotations

from typing import Awaitable, Callable

from ..errors import JupyterFlowError
from .durations import parse_duration


def attempts_and_delay(cset: dict) -> tuple[int, float]:
    """``(attempts, seconds between them)`` of a (substituted) containerSet; (1, 0) without a
    strategy. Raises :class:`JupyterFlowError` for a ``retries`` that is not a whole number >= 0
    or a ``duration`` that is not a duration."""
    strategy = cset.get("retryStrategy")
    if not isinstance(strategy, dict):
        return 1, 0.0
    raw = strategy.get("retries")
    try:
        retries = int(str(raw).strip()) if raw is not None and not isinstance(raw, bool) else -1
    except ValueError:
        retries = -1
    if retries < 0:
        raise JupyterFlowError(f"containerSet.retryStrategy.retries {raw!r} must be a whole number >= 0")
    delay = 0.0
    if strategy.get("duration") not in (None, ""):
        delay = parse_duration(strategy["duration"])
    return retries + 1, delay


async def run_attempts(run: Callable[[], Awaitable], attempts: int, delay: float,
                       sleep: Callable[[float], Awaitable], stopping: Callable[[], bool]):
    """Run ``run()`` until it exits 0, up to ``attempts`` times; the last result."""
    result = await run()
    for _ in range(attempts - 1):
        if result.exit_code in (None, 0) or result.killed or stopping():
            break
        await sleep(delay)
        if stopping():
            break
        result = await run()
    return result
