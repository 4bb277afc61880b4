"""What the printers read off a node or a workflow: phase glyphs, the displayed status, ``progress``,
pod names and the field selectors of ``--status`` / ``--node-field-selector``."""
from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from ..engine.nodes import pod_name as _pod_name
from ..engine.nodes import pod_name_version
from .humanize import _parse_time
from .text import _FG_CYAN, _FG_DEFAULT, _FG_GREEN, _FG_RED, _FG_YELLOW, _ansi, _to_str

# phase -> (utf8 glyph, --no-utf8 word, ANSI colour); Omitted has no icon in argo.
_PHASE_ICONS: dict[str, tuple[str, str, int]] = {
    "Pending": ("◷", "Pending", _FG_YELLOW),
    "Running": ("●", "Running", _FG_CYAN),
    "Succeeded": ("✔", "Succeeded", _FG_GREEN),
    "Skipped": ("○", "Skipped", _FG_DEFAULT),
    "Failed": ("✖", "Failed", _FG_RED),
    "Error": ("⚠", "Error", _FG_RED),
}
_SUSPEND_ICON = ("ǁ", "Suspend", _FG_CYAN)

# workflow/progress/updater.go: node types whose progress is counted directly.
_EXECUTABLE_TYPES = frozenset({"Pod", "HTTP", "Plugin", "Container", "Suspend"})


def _d(obj: Any) -> Mapping[str, Any]:
    # a dict or nothing are the common cases; the ABC check (slow) only for anything else
    if type(obj) is dict:
        return obj
    return {} if obj is None or not isinstance(obj, Mapping) else obj


def _nodes(wf: Mapping[str, Any]) -> Mapping[str, Mapping[str, Any]]:
    nodes = _d(wf.get("status")).get("nodes")
    if not isinstance(nodes, Mapping):
        return {}
    if all(type(n) is dict or isinstance(n, Mapping) for n in nodes.values()):
        return nodes
    return {k: n for k, n in nodes.items() if isinstance(n, Mapping)}  # tolerate corrupt entries


def _template_label(node: Mapping[str, Any]) -> str:
    ref = _d(node.get("templateRef"))
    if ref:
        return f"{_to_str(ref.get('name'))}/{_to_str(ref.get('template'))}"
    return _to_str(node.get("templateName"))


def pod_name(wf: Mapping[str, Any], node: Mapping[str, Any]) -> str:
    """The pod name argo shows (and accepts in ``argo logs WF POD``) for a node: v2 by default,
    the node id with the ``workflows.argoproj.io/pod-name-format: v1`` annotation
    (``engine.nodes.pod_name``, Argo's ``util.GeneratePodName``)."""
    return _pod_namer(wf)(node)


def _pod_namer(wf: Mapping[str, Any]):
    """``pod_name`` for the nodes of ``wf``, with the workflow's name and pod name format read once."""
    name = _to_str(_d(wf.get("metadata")).get("name"))
    version = pod_name_version(wf)

    def namer(node: Mapping[str, Any]) -> str:
        ref = _d(node.get("templateRef"))
        template = _to_str(ref.get("template")) if ref else _to_str(node.get("templateName"))
        return _pod_name(name, _to_str(node.get("name")), template, _to_str(node.get("id")), version)
    return namer


def phase_symbol(phase: str | None, *, color: bool = False, utf8: bool = True) -> str:
    """The glyph argo prints before a node of this phase (``✔`` ``✖`` ``●`` ...).

    Returns ``""`` for phases argo has no icon for (Omitted, unknown).
    ``utf8=False`` gives the ``--no-utf8`` words instead.
    """
    entry = _PHASE_ICONS.get(phase or "")
    if entry is None:
        return ""
    return _ansi(entry[0] if utf8 else entry[1], entry[2], color)


def cache_hit(node: Mapping[str, Any]) -> bool:
    """A node reused from jupyter-flow's content step cache (not an Argo ``memoize`` hit, which
    argo prints as any Succeeded node)."""
    memo = node.get("memoizationStatus")
    if memo is None:
        return False
    return isinstance(memo, Mapping) and memo.get("hit") is True and memo.get("cacheName") == "jupyter-flow"


def _node_icon(node: Mapping[str, Any], color: bool, utf8: bool) -> str:
    if node.get("type") == "Suspend" and node.get("phase") == "Running":
        glyph, word, code = _SUSPEND_ICON
        return _ansi(glyph if utf8 else word, code, color)
    if utf8 and node.get("phase") == "Succeeded" and cache_hit(node):
        return _ansi("↺", _FG_GREEN, color)
    return phase_symbol(node.get("phase"), color=color, utf8=utf8)


def _is_suspended(wf: Mapping[str, Any]) -> bool:
    if _d(wf.get("spec")).get("suspend") is True:
        return True
    return any(n.get("type") == "Suspend" and n.get("phase") == "Running" for n in _nodes(wf).values() if isinstance(n, Mapping))


def workflow_status(wf: Mapping[str, Any]) -> str:
    """argo's displayed status: phase plus ``(Suspended)`` / ``(Terminated)`` hints."""
    status = _d(wf.get("status"))
    phase = _to_str(status.get("phase"))
    if phase == "Running" and _is_suspended(wf):
        return "Running (Suspended)"
    if phase == "Failed" and _d(wf.get("spec")).get("shutdown"):
        return "Failed (Terminated)"
    if phase in ("", "Unknown", "Pending"):
        return "Pending" if _parse_time(_d(wf.get("metadata")).get("creationTimestamp")) else "Unknown"
    return phase


_PROGRESS_RE = re.compile(r"^(\d+)/(\d+)$")


def progress(nodes: Mapping[str, Mapping[str, Any]] | Iterable[Mapping[str, Any]]) -> str:
    """``N/M`` like Argo's ``status.progress``.

    Counts executable nodes (Pod, plus Suspend/HTTP/Plugin/Container as
    argo's progress updater does); a node contributes its own ``progress``
    if it reports a valid one, else ``0/1``; Succeeded/Skipped/Omitted nodes
    count as complete.  Accepts the ``status.nodes`` mapping or a list.
    """
    items = nodes.values() if isinstance(nodes, Mapping) else nodes
    done = total = 0
    for node in items:
        if not isinstance(node, Mapping) or node.get("type") not in _EXECUTABLE_TYPES:
            continue
        raw = node.get("progress")
        if raw in (None, ""):
            n, m = 0, 1
        else:
            match = _PROGRESS_RE.match(_to_str(raw))
            if not match:
                continue
            n, m = int(match.group(1)), int(match.group(2))
            if m <= 0 or n > m:
                continue
        if node.get("phase") in ("Succeeded", "Skipped", "Omitted"):
            n = m
        done += n
        total += m
    return f"{done}/{total}"


# ---------------------------------------------------------------------------
# Node field selectors (--status / --node-field-selector)
# ---------------------------------------------------------------------------

_Selector = list[tuple[str, str, bool]]  # (field, value, equal?)


def _parse_selector(text: str) -> _Selector:
    reqs: _Selector = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "!=" in part:
            key, _, value = part.partition("!=")
            reqs.append((key.strip(), value.strip(), False))
        elif "==" in part:
            key, _, value = part.partition("==")
            reqs.append((key.strip(), value.strip(), True))
        elif "=" in part:
            key, _, value = part.partition("=")
            reqs.append((key.strip(), value.strip(), True))
        else:
            raise ValueError(f"selector is invalid: {text!r}")
    return reqs


def _node_fields(node: Mapping[str, Any]) -> dict[str, str]:
    ref = _d(node.get("templateRef"))
    fields = {
        "displayName": _to_str(node.get("displayName")),
        "templateName": _to_str(ref.get("template")) if ref else _to_str(node.get("templateName")),
        "phase": _to_str(node.get("phase")),
        "name": _to_str(node.get("name")),
        "id": _to_str(node.get("id")),
    }
    if ref:
        fields["templateRef.name"] = _to_str(ref.get("name"))
        fields["templateRef.template"] = _to_str(ref.get("template"))
    for p in _d(node.get("inputs")).get("parameters") or []:
        if isinstance(p, Mapping):
            fields[f"inputs.parameters.{_to_str(p.get('name'))}.value"] = _to_str(p.get("value"))
    return fields


def node_matches(node: Mapping[str, Any], selector: str) -> bool:
    """Does ``node`` match a k8s-style field selector such as ``phase=Failed,displayName!=x``?

    Same fields as argo's ``SelectorMatchesNode``: displayName, templateName,
    phase, name, id, templateRef.name/template, inputs.parameters.NAME.value.
    Raises ValueError for a malformed selector.
    """
    fields = _node_fields(node)
    return all((fields.get(k, "") == v) == eq for k, v, eq in _parse_selector(selector))
