"""``argo list`` (``util/printer/workflow-printer.go``) and the order ``argo logs`` prints pods in."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Mapping, Sequence

from ..phases import FINISHED
from .fields import _d, _nodes, workflow_status
from .humanize import _SHORT_MAGNITUDES, _diff_us, _now, _parse_time, _rel, _relative_duration_short
from .tabwriter import _tabwrite
from .text import escape_text

def _list_sort_key(wf: Mapping[str, Any]) -> tuple[int, float]:
    created = _parse_time(_d(wf.get("metadata")).get("creationTimestamp"))
    finished = _parse_time(_d(wf.get("status")).get("finishedAt"))
    if finished is None:
        return (0, -(created.timestamp() if created else float("-inf")))
    return (1, -finished.timestamp())


def _parameter_string(params: Iterable[Any]) -> str:
    """argo's parameterString: ``a=1,b=2`` with long values middle-truncated."""
    out = []
    for p in params:
        if not isinstance(p, Mapping) or p.get("value") is None:
            continue
        value = escape_text(p.get("value"))
        if len(value) > 50:
            value = value[: 47 - 15] + "..." + value[-15:]
        out.append(f"{escape_text(p.get('name'))}={value}")
    return ",".join(out)


def _pod_counts(wf: Mapping[str, Any]) -> tuple[int, int, int]:
    pending = running = completed = 0
    for node in _nodes(wf).values():
        if not isinstance(node, Mapping) or node.get("type") != "Pod":
            continue
        phase = node.get("phase")
        synced = node.get("taskResultSynced")
        fulfilled = (phase in FINISHED and synced is not False) or phase in ("Skipped", "Omitted")
        if node.get("daemoned") and phase != "Pending":
            fulfilled = True
        if fulfilled:
            completed += 1
        elif phase == "Running":
            running += 1
        else:
            pending += 1
    return pending, running, completed


def render_list(
    workflows: Sequence[Mapping[str, Any]],
    *,
    now: datetime | None = None,
    wide: bool = False,
    all_namespaces: bool = False,
    no_headers: bool = False,
    sort: bool = True,
) -> str:
    """Render the ``argo list`` table (``util/printer/workflow-printer.go``).

    ``NAME STATUS AGE DURATION PRIORITY MESSAGE``; ``wide`` adds
    ``P/R/C PARAMETERS``; ``all_namespaces`` (``-A``) prepends NAMESPACE.
    Sorted as argo sorts (running first, newest first) unless ``sort=False``.
    """
    if not workflows:
        return "No workflows found\n"
    current = _now(now)
    items = sorted(workflows, key=_list_sort_key) if sort else list(workflows)
    rows: list[list[str]] = []
    if not no_headers:
        header = (["NAMESPACE"] if all_namespaces else []) + ["NAME", "STATUS", "AGE", "DURATION", "PRIORITY", "MESSAGE"]
        if wide:
            header += ["P/R/C", "PARAMETERS"]
        rows.append(header)
    for wf in items:
        meta, spec, status = _d(wf.get("metadata")), _d(wf.get("spec")), _d(wf.get("status"))
        created = _parse_time(meta.get("creationTimestamp"))
        age = _rel(_diff_us(created, current), _SHORT_MAGNITUDES, "").strip()
        duration = _relative_duration_short(status.get("startedAt"), status.get("finishedAt"), current)
        try:
            priority = int(spec.get("priority") or 0)
        except (TypeError, ValueError):
            priority = 0
        row = ([escape_text(meta.get("namespace"))] if all_namespaces else []) + [
            escape_text(meta.get("name")), escape_text(workflow_status(wf)), age, duration, str(priority),
            escape_text(status.get("message")),
        ]
        if wide:
            p, r, c = _pod_counts(wf)
            row += [f"{p}/{r}/{c}", _parameter_string(_d(spec.get("arguments")).get("parameters") or [])]
        rows.append(row)
    return _tabwrite(rows, 3)


def pods_in_order(nodes: Mapping[str, Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Pod nodes in the order they ran, for ``logs``: by start time, and within a second (the
    resolution of ``startedAt``) in tree order: a node before its children, children in the
    order they were created, so ``step1`` comes before the ``step2a``/``step2b`` that follow it."""
    children = {c for n in nodes.values() for c in (n.get("children") or [])}
    order: dict[str, int] = {}
    stack = [nid for nid in nodes if nid not in children][::-1]
    while stack:
        nid = stack.pop()
        if nid in order or nid not in nodes:
            continue
        order[nid] = len(order)
        stack.extend(reversed(nodes[nid].get("children") or []))
    pods = [n for n in nodes.values() if n.get("type") == "Pod"]
    pods.sort(key=lambda n: (n.get("startedAt") or "", order.get(n.get("id"), len(order))))
    return pods
