"""The node tree of ``argo get`` (``convertToRenderTrees``, ``renderNodes``, ``printNode`` of
``cmd/argo/commands/common/get.go``): which node goes under which, in argo's order, as table rows."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Mapping

from ..engine.nodes import node_id
from .fields import (_Selector, _d, _node_fields, _node_icon, _nodes, _pod_namer, _template_label, cache_hit, phase_symbol)
from .humanize import _GO_ZERO, _go_duration, _parse_time, _relative_duration_short
from .text import _FG_DEFAULT, _ansi, _to_str, escape_text

_BOUNDARY_TYPES = frozenset({"DAG", "Steps"})
_NON_BOUNDARY_PARENT_TYPES = frozenset({"StepGroup", "Retry"})
_EXECUTION_TYPES = frozenset({"Pod", "Skipped", "Suspend", "HTTP", "Plugin"})

#: Width of the extra RESULT column of ``render_get(wide=True)``.
RESULT_WIDTH = 40


class _RNode:
    __slots__ = ("id", "kind", "children")

    def __init__(self, node_id: str, kind: str) -> None:
        self.id = node_id
        self.kind = kind  # "boundary" | "parent" | "exec"
        self.children: list[_RNode] = []


_INDEX_RE = re.compile(r"^[+-]?\d+$")


def _recover_index(name: str) -> int:
    """argo's RecoverIndexFromNodeName: ``hello(3:c)`` -> 3, else -1."""
    start, end = name.find("("), name.find(":")
    if start < 0 or end < 0:
        return -1
    text = name[start + 1 : end]
    return int(text) if _INDEX_RE.match(text) else -1


_SortKey = tuple[datetime, str, int]


def _sort_key(node: Mapping[str, Any]) -> _SortKey:
    name = _to_str(node.get("displayName"))
    return (_parse_time(node.get("startedAt")) or _GO_ZERO, name, _recover_index(name))


def _insert_sorted(keys: Mapping[str, _SortKey], arr: list[_RNode], item: _RNode) -> None:
    """argo's insertSorted: by startedAt; ties by loop index, else display name."""
    t, name, idx = keys[item.id]
    index = 0
    while index < len(arr):
        ot, oname, oidx = keys[arr[index].id]
        if t < ot:
            break
        if t == ot:
            if idx >= 0 and oidx >= 0:
                if idx < oidx:
                    break
            elif name < oname:
                break
        index += 1
    arr.insert(index, item)


def _order_children(keys: Mapping[str, _SortKey], items: list[_RNode]) -> list[_RNode]:
    """The order argo's repeated insertSorted produces, without its O(n^2) cost.

    Insertion keeps the list ordered by start time, so only items with equal
    start times interact; inside such a group, insertion after all "not
    greater" items is a stable sort when every item has a loop index (by
    index) or none has (by name).  Mixed groups, where argo's comparison is
    not a total order, replay the literal insertion.
    """
    if len(items) < 2:
        return items
    groups: dict[datetime, list[_RNode]] = {}
    for item in items:
        groups.setdefault(keys[item.id][0], []).append(item)
    out: list[_RNode] = []
    for t in sorted(groups):
        group = groups[t]
        with_index = [keys[g.id][2] >= 0 for g in group]
        if all(with_index):
            out.extend(sorted(group, key=lambda g: keys[g.id][2]))
        elif not any(with_index):
            out.extend(sorted(group, key=lambda g: keys[g.id][1]))
        else:
            arr: list[_RNode] = []
            for g in group:
                _insert_sorted(keys, arr, g)
            out.extend(arr)
    return out


def _build_trees(nodes: Mapping[str, Mapping[str, Any]]) -> dict[str, _RNode]:
    roots: dict[str, _RNode] = {}
    boundary_map: dict[str, _RNode] = {}
    pending: dict[str, list[_RNode]] = {}
    parent_map: dict[str, _RNode] = {}
    parent_of_child: dict[str, _RNode] = {}
    keys = {nid: _sort_key(st) for nid, st in nodes.items()}

    for nid, st in nodes.items():
        if st.get("type") in _NON_BOUNDARY_PARENT_TYPES:
            r = _RNode(nid, "parent")
            parent_map[nid] = r
            for child in st.get("children") or []:
                parent_of_child[child] = r

    def attach(r: _RNode, boundary_id: str) -> bool:
        parent = parent_of_child.get(r.id)
        if parent is not None:
            parent.children.append(r)
            return False
        if not boundary_id:
            return True
        b = boundary_map.get(boundary_id)
        if b is not None:
            b.children.append(r)
        else:
            pending.setdefault(boundary_id, []).append(r)
        return False

    for nid, st in nodes.items():
        ntype = st.get("type")
        boundary_id = _to_str(st.get("boundaryID"))
        if ntype in _BOUNDARY_TYPES:
            r = _RNode(nid, "boundary")
            boundary_map[nid] = r
            if attach(r, boundary_id):
                roots[nid] = r
            r.children.extend(pending.pop(nid, []))
        elif ntype in _NON_BOUNDARY_PARENT_TYPES:
            r = parent_map[nid]
            if attach(r, boundary_id):
                roots[nid] = r
        elif ntype in _EXECUTION_TYPES:
            r = _RNode(nid, "exec")
            if attach(r, boundary_id):
                roots[nid] = r
    for r in (*boundary_map.values(), *parent_map.values()):
        r.children = _order_children(keys, r.children)
    return roots


def _find_roots(wf: Mapping[str, Any]) -> tuple[_RNode | None, _RNode | None]:
    """Main tree root (id == workflow name) and the ``<wf>.onExit`` tree root."""
    nodes = _nodes(wf)
    name = _to_str(_d(wf.get("metadata")).get("name"))
    roots = _build_trees(nodes)
    main = roots.get(name)
    exit_name = f"{name}.onExit"
    on_exit = roots.get(node_id(name, exit_name))
    if on_exit is None:
        for rid, r in roots.items():
            if rid != name and _to_str(nodes[rid].get("name")) == exit_name:
                on_exit = r
                break
    return main, on_exit


# ---------------------------------------------------------------------------
# Tree rendering (port of renderNodes / renderChild / printNode)
# ---------------------------------------------------------------------------


class _Ctx:
    __slots__ = ("wf", "nodes", "mode", "color", "utf8", "selector", "now", "show_result", "rows", "visit", "seen",
                 "pod_name", "durations", "fold", "width")

    def __init__(self, wf: Mapping[str, Any], mode: str, color: bool, utf8: bool,
                 selector: _Selector | None, now: datetime, show_result: bool, fold: int = 0) -> None:
        self.wf = wf
        self.nodes = _nodes(wf)
        self.mode = mode
        self.color = color
        self.utf8 = utf8
        self.selector = selector
        self.now = now
        self.show_result = show_result
        self.rows: list[list[str]] = []
        self.visit: list[Mapping[str, Any]] = []
        self.seen: set[str] = set()
        self.pod_name = _pod_namer(wf)
        self.durations: dict[tuple[str, str], str] = {}
        self.fold = max(0, int(fold or 0))
        self.width = (8 + show_result) if mode == "wide" else 6   # cells of a node's row


def _filter_node(node: Mapping[str, Any], ctx: _Ctx) -> tuple[bool, bool]:
    ntype = node.get("type")
    if ntype == "Retry" and len(node.get("children") or []) == 1:
        return True, False
    if ntype == "StepGroup":
        return True, True
    if ntype == "Skipped" and node.get("phase") == "Omitted":
        return True, False
    if ctx.selector is not None:
        fields = _node_fields(node)
        if not all((fields.get(k, "") == v) == eq for k, v, eq in ctx.selector):
            return True, False
    return False, False


def _truncate(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _duration(node: Mapping[str, Any], ctx: _Ctx) -> str:
    """A pod's DURATION cell; pods that started and ended in the same seconds share the answer."""
    key = (node.get("startedAt"), node.get("finishedAt"))
    if type(key[0]) is not str or type(key[1]) is not str:
        return _relative_duration_short(key[0], key[1], ctx.now)
    text = ctx.durations.get(key)
    if text is None:
        text = ctx.durations[key] = _relative_duration_short(key[0], key[1], ctx.now)
    return text


def _print_node(node: Mapping[str, Any], prefix: str, ctx: _Ctx) -> None:
    ctx.visit.append(node)
    name = f"{_node_icon(node, ctx.color, ctx.utf8)} {escape_text(node.get('displayName'))}"
    template = escape_text(_template_label(node))
    message = escape_text(node.get("message")) or ("(cached)" if cache_hit(node) else "")
    is_pod = node.get("type") == "Pod"
    pod = escape_text(ctx.pod_name(node)) if is_pod else ""
    duration = _duration(node, ctx) if is_pod else ""
    host = escape_text(node.get("hostNodeName")) if is_pod else ""
    if ctx.mode == "wide":
        outputs = _d(node.get("outputs"))
        arts = ",".join(escape_text(a.get("name")) for a in outputs.get("artifacts") or [] if isinstance(a, Mapping))
        res = _resources_duration(node.get("resourcesDuration"))
        row = [prefix + name, template, pod, duration, arts, message, res, host]
        if ctx.show_result:
            result = outputs.get("result")
            row.append(_truncate(escape_text(result), RESULT_WIDTH) if result is not None else "")
    elif ctx.mode == "short":
        row = [prefix + name, template, pod, duration, message, host]
    else:
        row = [prefix + name, template, pod, duration, message, ""]
    ctx.rows.append(row)


def _render(r: _RNode, prefix: str, child_prefix: str, ctx: _Ctx) -> None:
    if r.id in ctx.seen:  # corrupt status with a cycle: never loop forever
        return
    ctx.seen.add(r.id)
    node = ctx.nodes[r.id]
    filtered, child_indent = _filter_node(node, ctx)
    if not filtered:
        _print_node(node, prefix, ctx)
    children, hidden = r.children, None
    if ctx.fold and len(children) > ctx.fold:
        children, hidden = _fold(children, ctx)
    last = len(children) - 1 + (1 if hidden else 0)
    for i, child in enumerate(children):
        _render_child(child, prefix, child_prefix, filtered, i, last, child_indent, ctx)
    if hidden:
        new_prefix, _ = _child_prefixes(prefix, child_prefix, filtered, last, last, child_indent, ctx)
        # the count goes in the MESSAGE column: the STEP column keeps the width of the nodes' names
        row = [new_prefix + ("…" if ctx.utf8 else "...")] + [""] * (ctx.width - 1)
        row[5 if ctx.mode == "wide" else 4] = _folded_text(hidden, ctx)
        ctx.rows.append(row)


# children a fold may hide: they ended without trouble (a Failed, Errored, Running or Pending one is shown)
_QUIET = frozenset({"Succeeded", "Skipped", "Omitted"})


def _fold(children: list[_RNode], ctx: _Ctx) -> tuple[list[_RNode], list[_RNode]]:
    """``get --fold N``: the first N children, and every child that did not end quietly, in order;
    the rest (with everything under them) is counted on one line instead."""
    shown, hidden = [], []
    for i, child in enumerate(children):
        node = ctx.nodes.get(child.id) or {}
        (shown if i < ctx.fold or node.get("phase") not in _QUIET else hidden).append(child)
    return shown, hidden


def _folded_text(hidden: list[_RNode], ctx: _Ctx) -> str:
    counts: dict[str, int] = {}
    for child in hidden:
        phase = _to_str((ctx.nodes.get(child.id) or {}).get("phase"))
        counts[phase] = counts.get(phase, 0) + 1
    parts = []
    for phase, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        icon = phase_symbol(phase, color=ctx.color, utf8=ctx.utf8) if ctx.utf8 else ""
        parts.append(f"{icon} {n:,}" if icon else f"{n:,} {escape_text(phase)}")
    return f"{len(hidden):,} more not shown ({', '.join(parts)}; --fold 0 shows them)"


def _child_prefixes(node_prefix: str, child_prefix: str, parent_filtered: bool, index: int, last: int,
                    child_indent: bool, ctx: _Ctx) -> tuple[str, str]:
    """The prefix of a child's row and the prefix its own children continue with."""
    part = subp = ""
    if ctx.utf8:
        if parent_filtered and child_indent:
            if last == 0:
                part, subp = "──", "  "
            elif index == 0:
                part, subp = "┬─", "│ "
            elif index == last:
                part, subp = "└─", "  "
            else:
                part, subp = "├─", "│ "
        elif not parent_filtered:
            part, subp = ("└─", "  ") if index == last else ("├─", "│ ")
    else:
        if parent_filtered and child_indent:
            if last == 0:
                part, subp = "--", "  "
            elif index == 0:
                part, subp = "+-", "| "
            elif index == last:
                part, subp = "`-", "  "
            else:
                part, subp = "|-", "| "
        elif not parent_filtered:
            part, subp = ("`-", "  ") if index == last else ("|-", "| ")
    if not parent_filtered:
        new_prefix = child_prefix + part
    else:
        new_prefix = (node_prefix if index == 0 else child_prefix) + part
    return new_prefix, child_prefix + subp


def _render_child(r: _RNode, node_prefix: str, child_prefix: str, parent_filtered: bool,
                  index: int, last: int, child_indent: bool, ctx: _Ctx) -> None:
    new_prefix, sub_prefix = _child_prefixes(node_prefix, child_prefix, parent_filtered, index, last,
                                             child_indent, ctx)
    _render(r, new_prefix, sub_prefix, ctx)


def _resources_duration(value: Any) -> str:
    """ResourcesDuration.String(): ``5s*(1 cpu),1m0s*(100Mi memory)`` (sorted for stable output)."""
    if not isinstance(value, Mapping) or not value:
        return ""
    denominators = {"memory": "100Mi", "storage": "10Gi", "ephemeral-storage": "10Gi"}
    parts = []
    for key in sorted(value):
        try:
            secs = int(value[key])
        except (TypeError, ValueError):
            continue
        parts.append(f"{_go_duration(secs)}*({denominators.get(key, '1')} {escape_text(key)})")
    return ",".join(parts)


def _walk(wf: Mapping[str, Any], mode: str, color: bool, utf8: bool, selector: _Selector | None,
          now: datetime, show_result: bool, fold: int = 0) -> _Ctx | None:
    main, on_exit = _find_roots(wf)
    if main is None:
        return None
    ctx = _Ctx(wf, mode, color, utf8, selector, now, show_result, fold)
    if mode == "wide":
        header = [_ansi("STEP", _FG_DEFAULT, color), "TEMPLATE", "PODNAME", "DURATION", "ARTIFACTS",
                  "MESSAGE", "RESOURCESDURATION", "NODENAME"]
        if show_result:
            header.append("RESULT")
    elif mode == "short":
        header = [_ansi("STEP", _FG_DEFAULT, color), "TEMPLATE", "PODNAME", "DURATION", "MESSAGE", "NODENAME"]
    else:
        header = [_ansi("STEP", _FG_DEFAULT, color), "TEMPLATE", "PODNAME", "DURATION", "MESSAGE"]
    ctx.rows.append(header)
    _render(main, " ", " ", ctx)
    if on_exit is not None:
        ctx.rows.append(["", "", "", "", "", ""])
        _render(on_exit, " ", " ", ctx)
    return ctx
