"""Text rendering of workflows the way the ``argo`` CLI prints them.

Why this module exists: users of jupyter-flow already know ``argo get``,
``argo list`` and ``argo watch``; showing them the very same layout (header
block, node tree, glyphs, column alignment, duration wording) means nothing
new has to be learnt and output can be compared line by line with a real
cluster.  The code is a port of ``cmd/argo/commands/common/get.go``,
``util/printer/workflow-printer.go``, ``util/humanize`` and Go's
``text/tabwriter`` (argo-workflows v4.1), written as pure functions over the
Argo-shaped ``Workflow`` dict produced by the engine/store.

Design constraints:

* stdlib only (plus the engine's tiny node-id helper) and cheap to import: the CLI imports it for every command;
* pure: the current time (``now``) and the display time zone (``tz``) are
  parameters, so output is reproducible in tests;
* safe: every user-controlled string (names, messages, parameter values,
  results) goes through :func:`escape_text`, so a hostile log line or
  message cannot inject terminal escape sequences or break the table.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any, Iterable, Mapping, Sequence

from .engine.nodes import node_id, pod_name_version   # Argo's node ids, one definition
from .engine.nodes import pod_name as _pod_name

__all__ = [
    "render_get",
    "render_list",
    "render_watch",
    "node_lines",
    "phase_symbol",
    "format_duration",
    "format_duration_long",
    "format_timestamp",
    "progress",
    "pod_name",
    "pods_in_order",
    "workflow_status",
    "escape_text",
    "node_matches",
    "CLEAR_SCREEN",
]

# ---------------------------------------------------------------------------
# Constants (values copied from argo so output matches byte for byte)
# ---------------------------------------------------------------------------

#: What ``argo watch`` prints before each refresh (common/watch.go).
CLEAR_SCREEN = "\033[H\033[2J\033[0;0H"

_ESC = "\x1b"
_FG_RED, _FG_GREEN, _FG_YELLOW, _FG_CYAN, _FG_DEFAULT = 31, 32, 33, 36, 39

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
_CONDITION_ICONS: dict[str, tuple[str, str, int]] = {
    "MetricsError": ("✖", "Error", _FG_RED),
    "SpecWarning": ("⚠", "Warning", _FG_YELLOW),
}

_BOUNDARY_TYPES = frozenset({"DAG", "Steps"})
_NON_BOUNDARY_PARENT_TYPES = frozenset({"StepGroup", "Retry"})
_EXECUTION_TYPES = frozenset({"Pod", "Skipped", "Suspend", "HTTP", "Plugin"})
# workflow/progress/updater.go: node types whose progress is counted directly.
_EXECUTABLE_TYPES = frozenset({"Pod", "HTTP", "Plugin", "Container", "Suspend"})


#: Width of the extra RESULT column of ``render_get(wide=True)``.
RESULT_WIDTH = 40

# ---------------------------------------------------------------------------
# Escaping
# ---------------------------------------------------------------------------


def _build_escape_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in list(range(0x00, 0x20)) + [0x7F] + list(range(0x80, 0xA0)):
        table[cp] = "\\x%02x" % cp
    table[ord("\n")] = "\\n"
    table[ord("\r")] = "\\r"
    table[ord("\t")] = "\\t"
    # Invisible formatting characters that can reorder or hide text on a
    # terminal ("trojan source"): bidi overrides/isolates, line separators.
    for cp in [0x061C, 0x200E, 0x200F, 0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]:
        table[cp] = "\\u%04x" % cp
    return table


_ESCAPE_TABLE = _build_escape_table()
_NEEDS_ESCAPE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def escape_text(value: Any) -> str:
    """Return ``value`` as text with control characters made visible.

    Why: messages, results and names come from user code and logs; printing
    an ESC byte verbatim would let them recolour, move the cursor or clear
    the terminal, and a newline or tab would break the table.  ESC becomes
    ``\\x1b``, newline ``\\n``, tab ``\\t``; bidi overrides ``\\u202e``.
    Everything else (including non-ASCII text) is kept as-is.
    """
    s = _to_str(value)
    if _NEEDS_ESCAPE.search(s) is None:
        return s
    return s.translate(_ESCAPE_TABLE)


def _to_str(value: Any) -> str:
    """Parameter values are strings in Argo; show other JSON values as Go would marshal them."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    import json  # lazily: only structured (non-Argo) values need it

    try:
        return json.dumps(value, separators=(",", ":"), sort_keys=False, default=str)
    except (TypeError, ValueError):
        return str(value)


def _ansi(s: str, code: int, color: bool) -> str:
    """argo's ansiFormat: wrap in an SGR sequence only when colour is on."""
    if not color:
        return s
    return f"{_ESC}[{code}m{s}{_ESC}[0m"


# ---------------------------------------------------------------------------
# Time and duration helpers (util/humanize + dustin/go-humanize)
# ---------------------------------------------------------------------------

_US = 1
_SECOND = 1_000_000
_MINUTE = 60 * _SECOND
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR
_WEEK = 7 * _DAY
_MONTH = 30 * _DAY
_YEAR = 12 * _MONTH
_LONG_TIME = 37 * _YEAR
_MAX_DURATION_US = (2**63 - 1) // 1000  # Go's time.Duration saturates here

# (upper bound, format, divisor) -- first entry whose bound exceeds diff wins.
_Mag = tuple[int, str, int]
_SHORT_MAGNITUDES: list[_Mag] = [
    (_SECOND, "0s", _SECOND),
    (2 * _SECOND, "1s %s", 1),
    (_MINUTE, "%ds %s", _SECOND),
    (2 * _MINUTE, "1m %s", 1),
    (_HOUR, "%dm %s", _MINUTE),
    (2 * _HOUR, "1h %s", 1),
    (_DAY, "%dh %s", _HOUR),
    (2 * _DAY, "1d %s", 1),
    (_WEEK, "%dd %s", _DAY),
]
_LONG_TAIL: list[_Mag] = [
    (2 * _DAY, "1 day %s", 1),
    (_WEEK, "%d days %s", _DAY),
    (2 * _WEEK, "1 week %s", 1),
    (_MONTH, "%d weeks %s", _WEEK),
    (2 * _MONTH, "1 month %s", 1),
    (_YEAR, "%d months %s", _MONTH),
    (18 * _MONTH, "1 year %s", 1),
    (2 * _YEAR, "2 years %s", 1),
    (_LONG_TIME, "%d years %s", _YEAR),
    (2**63 - 1, "a long while %s", 1),
]
_RELATIVE_MAGNITUDES: list[_Mag] = [
    (_SECOND, "0 seconds", _SECOND),
    (2 * _SECOND, "1 second %s", 1),
    (_MINUTE, "%d seconds %s", _SECOND),
    (2 * _MINUTE, "1 minute %s", 1),
    (_HOUR, "%d minutes %s", _MINUTE),
    (2 * _HOUR, "1 hour %s", 1),
    (_DAY, "%d hours %s", _HOUR),
    *_LONG_TAIL,
]
_DEFAULT_MAGNITUDES: list[_Mag] = [(_SECOND, "now", _SECOND), *_RELATIVE_MAGNITUDES[1:]]

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _rel(diff_us: int, magnitudes: Sequence[_Mag], label: str) -> str:
    """go-humanize CustomRelTime on an absolute difference in microseconds."""
    diff_us = min(abs(diff_us), _MAX_DURATION_US)
    chosen = magnitudes[-1]
    for mag in magnitudes:
        if mag[0] > diff_us:
            chosen = mag
            break
    _, fmt, div = chosen
    return fmt.replace("%d", str(diff_us // div)).replace("%s", label)


def _parse_time(value: Any) -> datetime | None:
    """Parse an RFC 3339 string / datetime / epoch number to an aware UTC datetime.

    Missing or empty values mean Go's zero time (``IsZero()``) and give None.
    """
    if value is None or value == "" or value == 0:
        return None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, (int, float)):
        dt = datetime.fromtimestamp(float(value), tz=timezone.utc)
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        # Python 3.10's fromisoformat accepts only 0, 3 or 6 fraction digits.
        m = re.match(r"^(.*T\d\d:\d\d:\d\d)\.(\d+)(.*)$", text)
        if m:
            text = f"{m.group(1)}.{(m.group(2) + '000000')[:6]}{m.group(3)}"
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    if dt.year <= 1:
        return None  # Go zero time
    return dt.astimezone(timezone.utc)


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(timezone.utc)
    if now.tzinfo is None:
        return now.replace(tzinfo=timezone.utc)
    return now


def _us(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * _SECOND + delta.microseconds


_GO_ZERO = datetime(1, 1, 1, tzinfo=timezone.utc)


def _diff_us(start: datetime | None, finish: datetime | None) -> int:
    """finish - start with Go's zero time for None (saturated like time.Sub)."""
    a = start or _GO_ZERO
    b = finish or _GO_ZERO
    return max(-_MAX_DURATION_US, min(_MAX_DURATION_US, _us(b - a)))


def _relative_duration_short(start: Any, finish: Any, now: datetime) -> str:
    """humanize.RelativeDurationShort: unfinished-but-started runs to ``now``."""
    s, f = _parse_time(start), _parse_time(finish)
    if f is None and s is not None:
        f = now
    return _rel(_diff_us(s, f), _SHORT_MAGNITUDES, "").strip()


def format_duration(seconds: float, *, units: int = 1) -> str:
    """Format a duration as argo's tree/list columns do (``5s``, ``1m``, ``2h``, ``3d``).

    Why single-unit by default: argo uses ``humanize.RelativeDurationShort``,
    which truncates to the largest unit (90 s -> ``1m``, not ``1m 30s``).
    ``units=2`` gives the more precise ``1m 30s`` / ``2h 3m`` form for places
    where jupyter-flow wants more detail than argo shows.
    """
    us = min(abs(int(round(seconds * _SECOND))), _MAX_DURATION_US)
    if units <= 1:
        return _rel(us, _SHORT_MAGNITUDES, "").strip()
    parts: list[tuple[int, str]] = []
    for size, suffix in ((_DAY, "d"), (_HOUR, "h"), (_MINUTE, "m"), (_SECOND, "s")):
        if len(parts) == units:
            break
        q = us // size
        if q or parts:
            parts.append((q, suffix))
            us -= q * size
    while len(parts) > 1 and parts[-1][0] == 0:
        parts.pop()
    return " ".join(f"{q}{suffix}" for q, suffix in parts) if parts else "0s"


def format_duration_long(seconds: float) -> str:
    """Format like argo's header ``Duration:`` line (``humanize.Duration``).

    Gives up to two units spelled out: ``16 seconds``, ``1 minute 30 seconds``,
    ``2 hours 3 minutes``, ``1 day 4 hours``.
    """
    us = min(int(seconds * _SECOND), _MAX_DURATION_US) if seconds >= 0 else max(int(seconds * _SECOND), -_MAX_DURATION_US)
    trunc = _rel(us, _RELATIVE_MAGNITUDES, "").strip()
    secs = us / _SECOND
    if secs < 60:
        return trunc
    if secs < 3600:
        return f"{trunc} {int(secs % 60)} seconds"
    if secs < 86400:
        return f"{trunc} {int((secs / 60) % 60)} minutes"
    return f"{trunc} {int((secs / 3600) % 24)} hours"


def _go_duration(seconds: int) -> str:
    """Go's time.Duration.String() for whole seconds (``5s``, ``1m30s``, ``1h0m0s``)."""
    neg = seconds < 0
    s = abs(int(seconds))
    if s == 0:
        return "0s"
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    if h:
        out = f"{h}h{m}m{sec}s"
    elif m:
        out = f"{m}m{sec}s"
    else:
        out = f"{sec}s"
    return "-" + out if neg else out


def format_timestamp(value: Any, *, now: datetime | None = None, tz: tzinfo | None = None) -> str:
    """Format like ``humanize.Timestamp``: ``Mon Dec 02 09:55:33 -0800 (16 seconds ago)``.

    ``tz`` defaults to the machine's local zone, as the argo CLI does.
    """
    dt = _parse_time(value)
    if dt is None:
        return "Mon Jan 01 00:00:00 +0000 (a long while ago)"
    local = dt.astimezone(tz) if tz is not None else dt.astimezone()
    off = local.utcoffset() or timedelta(0)
    off_min = int(off.total_seconds()) // 60
    sign = "-" if off_min < 0 else "+"
    off_min = abs(off_min)
    stamp = (
        f"{_WEEKDAYS[local.weekday()]} {_MONTHS[local.month - 1]} {local.day:02d} "
        f"{local.hour:02d}:{local.minute:02d}:{local.second:02d} {sign}{off_min // 60:02d}{off_min % 60:02d}"
    )
    diff = _us(_now(now) - dt)
    rel = _rel(diff, _DEFAULT_MAGNITUDES, "ago" if diff >= 0 else "from now")
    return f"{stamp} ({rel})"


# ---------------------------------------------------------------------------
# Go text/tabwriter port
# ---------------------------------------------------------------------------


def _tabwrite(lines: list[list[str]], padding: int) -> str:
    """Align cells exactly like Go's ``tabwriter.NewWriter(w, 0, 0, padding, ' ', 0)``.

    Each line is a list of cells; all but the last are tab-terminated (and so
    take part in column alignment, including trailing padding), the last is
    the text before the newline.  Column widths are computed per contiguous
    block of lines that have that column, as Go does, so a short line (argo's
    onExit separator) splits blocks the same way.  Widths count code points,
    like Go counts runes, so ANSI colour codes affect alignment identically.
    """
    out: list[str] = []
    widths: list[int] = []

    def write_lines(line0: int, line1: int) -> None:
        for i in range(line0, line1):
            line = lines[i]
            buf: list[str] = []
            for j, cell in enumerate(line):
                buf.append(cell)
                if j < len(widths):
                    buf.append(" " * (widths[j] - len(cell)))
            out.append("".join(buf))

    def fmt(line0: int, line1: int) -> None:
        column = len(widths)
        this = line0
        while this < line1:
            if column >= len(lines[this]) - 1:
                this += 1
                continue
            write_lines(line0, this)
            line0 = this
            width = 0
            while this < line1:
                line = lines[this]
                if column >= len(line) - 1:
                    break
                width = max(width, len(line[column]) + padding)
                this += 1
            widths.append(width)
            fmt(line0, this)
            widths.pop()
            line0 = this
        write_lines(line0, line1)

    fmt(0, len(lines))
    return "".join(s + "\n" for s in out)


# ---------------------------------------------------------------------------
# Small accessors
# ---------------------------------------------------------------------------


def _d(obj: Any) -> Mapping[str, Any]:
    return obj if isinstance(obj, Mapping) else {}


def _nodes(wf: Mapping[str, Any]) -> Mapping[str, Mapping[str, Any]]:
    nodes = _d(wf.get("status")).get("nodes")
    if not isinstance(nodes, Mapping):
        return {}
    if all(isinstance(n, Mapping) for n in nodes.values()):
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
    meta = _d(wf.get("metadata"))
    ref = _d(node.get("templateRef"))
    template = _to_str(ref.get("template")) if ref else _to_str(node.get("templateName"))
    return _pod_name(_to_str(meta.get("name")), _to_str(node.get("name")), template, _to_str(node.get("id")),
                     pod_name_version(wf))


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


# ---------------------------------------------------------------------------
# Tree construction (port of convertToRenderTrees)
# ---------------------------------------------------------------------------


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
    __slots__ = ("wf", "nodes", "mode", "color", "utf8", "selector", "now", "show_result", "rows", "visit", "seen")

    def __init__(self, wf: Mapping[str, Any], mode: str, color: bool, utf8: bool,
                 selector: _Selector | None, now: datetime, show_result: bool) -> None:
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


def _print_node(node: Mapping[str, Any], prefix: str, ctx: _Ctx) -> None:
    ctx.visit.append(node)
    name = f"{_node_icon(node, ctx.color, ctx.utf8)} {escape_text(node.get('displayName'))}"
    template = escape_text(_template_label(node))
    message = escape_text(node.get("message")) or ("(cached)" if cache_hit(node) else "")
    is_pod = node.get("type") == "Pod"
    pod = escape_text(pod_name(ctx.wf, node)) if is_pod else ""
    duration = _relative_duration_short(node.get("startedAt"), node.get("finishedAt"), ctx.now) if is_pod else ""
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
    last = len(r.children) - 1
    for i, child in enumerate(r.children):
        _render_child(child, prefix, child_prefix, filtered, i, last, child_indent, ctx)


def _render_child(r: _RNode, node_prefix: str, child_prefix: str, parent_filtered: bool,
                  index: int, last: int, child_indent: bool, ctx: _Ctx) -> None:
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
    _render(r, new_prefix, child_prefix + subp, ctx)


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
          now: datetime, show_result: bool) -> _Ctx | None:
    main, on_exit = _find_roots(wf)
    if main is None:
        return None
    ctx = _Ctx(wf, mode, color, utf8, selector, now, show_result)
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


# ---------------------------------------------------------------------------
# Public renderers
# ---------------------------------------------------------------------------


def _artifact_location(art: Mapping[str, Any]) -> str:
    """A readable location for a workflow output artifact (argo prints Go struct dumps here)."""
    s3 = _d(art.get("s3"))
    if s3:
        return f"s3://{_to_str(s3.get('bucket'))}/{_to_str(s3.get('key'))}"
    gcs = _d(art.get("gcs"))
    if gcs:
        return f"gs://{_to_str(gcs.get('bucket'))}/{_to_str(gcs.get('key'))}"
    oss = _d(art.get("oss"))
    if oss:
        return f"oss://{_to_str(oss.get('bucket'))}/{_to_str(oss.get('key'))}"
    azure = _d(art.get("azure"))
    if azure:
        return f"azblob://{_to_str(azure.get('container'))}/{_to_str(azure.get('blob'))}"
    hdfs = _d(art.get("hdfs"))
    if hdfs:
        return f"hdfs://{_to_str(hdfs.get('path'))}"
    for key, field in (("http", "url"), ("artifactory", "url"), ("git", "repo")):
        sub = _d(art.get(key))
        if sub:
            return _to_str(sub.get(field))
    if art.get("raw") is not None:
        return "raw"
    local = art.get("local") or art.get("uri")
    return _to_str(local) if local else ""


def _header(wf: Mapping[str, Any], now: datetime, tz: tzinfo | None, color: bool, utf8: bool) -> str:
    meta, spec, status = _d(wf.get("metadata")), _d(wf.get("spec")), _d(wf.get("status"))
    lines: list[str] = []

    def add(label: str, value: Any) -> None:
        lines.append(f"{label:<20} {value}\n")

    add("Name:", escape_text(meta.get("name")))
    add("Namespace:", escape_text(meta.get("namespace")))
    sa = escape_text(spec.get("serviceAccountName"))
    if not sa:
        sa = "unset" if spec.get("workflowTemplateRef") else "unset (will run with the default ServiceAccount)"
    add("ServiceAccount:", sa)
    add("Status:", escape_text(workflow_status(wf)))
    if status.get("message"):
        add("Message:", escape_text(status.get("message")))
    conditions = [c for c in status.get("conditions") or [] if isinstance(c, Mapping)]
    if conditions:
        add("Conditions:", "")
        for c in conditions:
            ctype = _to_str(c.get("type"))
            icon = _CONDITION_ICONS.get(ctype)
            glyph = _ansi(icon[0] if utf8 else icon[1], icon[2], color) if icon else ""
            add(f"{glyph} {escape_text(ctype)}", escape_text(c.get("message") or c.get("status")))
    add("Created:", format_timestamp(meta.get("creationTimestamp"), now=now, tz=tz))
    started = _parse_time(status.get("startedAt"))
    finished = _parse_time(status.get("finishedAt"))
    if started is not None:
        add("Started:", format_timestamp(started, now=now, tz=tz))
    if finished is not None:
        add("Finished:", format_timestamp(finished, now=now, tz=tz))
    if started is not None:
        add("Duration:", format_duration_long(_us((finished or now) - started) / _SECOND))
    if status.get("phase") == "Running":
        est = status.get("estimatedDuration")
        if isinstance(est, (int, float)) and est > 0:
            add("EstimatedDuration:", format_duration_long(float(est)))
    prog = status.get("progress")
    add("Progress:", escape_text(prog) if prog else progress(_nodes(wf)))
    res = _resources_duration(status.get("resourcesDuration"))
    if res:
        add("ResourcesDuration:", res)
    params = [p for p in _d(spec.get("arguments")).get("parameters") or [] if isinstance(p, Mapping)]
    if params:
        add("Parameters:", "")
        for p in params:
            if p.get("value") is None:
                continue
            add(f"  {escape_text(p.get('name'))}:", escape_text(p.get("value")))
    outputs = _d(status.get("outputs"))
    out_params = [p for p in outputs.get("parameters") or [] if isinstance(p, Mapping)]
    if out_params:
        add("Output Parameters:", "")
        for p in out_params:
            value = p.get("value") if p.get("value") is not None else p.get("default")
            if value is not None:
                add(f"  {escape_text(p.get('name'))}:", escape_text(value))
    arts = [a for a in outputs.get("artifacts") or [] if isinstance(a, Mapping)]
    if arts:
        add("Output Artifacts:", "")
        for a in arts:
            loc = _artifact_location(a)
            if loc:
                add(f"  {escape_text(a.get('name'))}:", escape_text(loc))
    return "".join(lines)


def render_get(
    wf: Mapping[str, Any],
    *,
    wide: bool = False,
    color: bool = False,
    now: datetime | None = None,
    short: bool = False,
    utf8: bool = True,
    status: str | None = None,
    node_field_selector: str | None = None,
    tz: tzinfo | None = None,
    show_result: bool = True,
) -> str:
    """Render a workflow exactly as ``argo get`` does (``PrintWorkflowHelper``).

    Header block, a blank line, then the node tree (only if the root node,
    whose id is the workflow name, exists), then the onExit tree after an
    empty row.  ``wide`` adds ARTIFACTS, RESOURCESDURATION and NODENAME like
    ``-o wide``, plus a jupyter-flow RESULT column (truncated
    ``outputs.result``) unless ``show_result=False``.  ``short`` is
    ``-o short`` (tree only, with NODENAME).  ``status`` / ``node_field_selector``
    filter nodes like the CLI flags; ``utf8=False`` is ``--no-utf8``.
    ``now`` is used for running durations and "x ago"; ``tz`` for the
    header timestamps (default: local zone).
    """
    if status and node_field_selector:
        raise ValueError("cannot use both --status and --node-field-selector")
    selector_text = f"phase={status}" if status else node_field_selector
    selector = _parse_selector(selector_text) if selector_text else None
    current = _now(now)
    mode = "wide" if wide else ("short" if short else "default")
    out = _header(wf, current, tz, color, utf8)  # argo keeps it for -o short when there is no tree
    ctx = _walk(wf, mode, color, utf8, selector, current, show_result and wide)
    if ctx is not None:
        table = _tabwrite(ctx.rows, 2)
        out = table if short else out + "\n" + table
    return out


def render_watch(
    wf: Mapping[str, Any],
    *,
    now: datetime | None = None,
    color: bool = False,
    wide: bool = False,
    clear: bool = False,
    tz: tzinfo | None = None,
    status: str | None = None,
    node_field_selector: str | None = None,
) -> str:
    """One frame of ``argo watch``: the ``argo get`` output, optionally prefixed
    with the clear-screen sequence argo writes before each refresh."""
    body = render_get(wf, now=now, color=color, wide=wide, tz=tz, status=status,
                      node_field_selector=node_field_selector)
    return (CLEAR_SCREEN + body) if clear else body


def node_lines(wf: Mapping[str, Any]) -> list[str]:
    """One plain line per displayed node: ``<node name>  <Phase>  (<template>)[  <message>]``.

    Why: when stdout is not a terminal, ``--watch`` cannot redraw the screen;
    callers print the lines that changed since the previous poll instead.
    Nodes appear in the same order (and with the same visibility rules) as
    in the ``argo get`` tree, main tree first, then the onExit tree.
    """
    ctx = _walk(wf, "default", False, True, None, _now(None), False)
    if ctx is None:
        return []
    lines: list[str] = []
    for node in ctx.visit:
        line = f"{escape_text(node.get('name'))}  {escape_text(node.get('phase') or 'Pending')}"
        template = _template_label(node)
        if template:
            line += f"  ({escape_text(template)})"
        if node.get("message"):
            line += f"  {escape_text(node.get('message'))}"
        lines.append(line)
    return lines


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
        fulfilled = (phase in ("Succeeded", "Failed", "Error") and synced is not False) or phase in ("Skipped", "Omitted")
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
