"""``argo get`` and ``argo watch``: the header block over the node tree (``PrintWorkflowHelper``)."""
from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any, Mapping

from .fields import _d, _nodes, _parse_selector, _template_label, progress, workflow_status
from .humanize import _SECOND, _now, _parse_time, _us, format_duration_long, format_timestamp
from .tabwriter import _tabwrite
from .text import CLEAR_SCREEN, _FG_RED, _FG_YELLOW, _ansi, _to_str, escape_text
from .tree import _resources_duration, _walk

_CONDITION_ICONS: dict[str, tuple[str, str, int]] = {
    "MetricsError": ("✖", "Error", _FG_RED),
    "SpecWarning": ("⚠", "Warning", _FG_YELLOW),
}


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
    fold: int = 0,
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
    header timestamps (default: local zone). ``fold`` (``get --fold N``, off by default: argo prints
    every node) shows at most N children of a node that ended quietly (Succeeded, Skipped, Omitted)
    and one line counting the rest by phase; a Failed, Errored, Running or Pending child is always shown.
    """
    if status and node_field_selector:
        raise ValueError("cannot use both --status and --node-field-selector")
    selector_text = f"phase={status}" if status else node_field_selector
    selector = _parse_selector(selector_text) if selector_text else None
    current = _now(now)
    mode = "wide" if wide else ("short" if short else "default")
    out = _header(wf, current, tz, color, utf8)  # argo keeps it for -o short when there is no tree
    import gc
    paused = gc.isenabled()
    gc.disable()   # a row list per node: the collector would rescan them all every 700 (a third of the time)
    try:
        ctx = _walk(wf, mode, color, utf8, selector, current, show_result and wide, fold)
        if ctx is not None:
            table = _tabwrite(ctx.rows, 2)
            out = table if short else out + "\n" + table
    finally:
        if paused:
            gc.enable()
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
