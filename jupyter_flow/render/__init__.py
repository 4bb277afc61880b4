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

The package holds one job per module: ``text`` (escaping, colour), ``humanize`` (times and durations),
``tabwriter`` (column alignment), ``fields`` (what is read off a node: glyphs, status, progress, selectors),
``tree`` (the node tree), ``get`` (``argo get``/``watch``), ``listing`` (``argo list``, log order).
This module re-exports their public names (and the private ones other modules and tests use).
"""

from __future__ import annotations

from .fields import (_node_icon, cache_hit, node_matches, phase_symbol, pod_name, progress,  # noqa: F401
                     workflow_status)
from .get import node_lines, render_get, render_watch  # noqa: F401
from .humanize import (_parse_time, _relative_duration_short, format_duration,  # noqa: F401
                       format_duration_long, format_timestamp)
from .listing import pods_in_order, render_list  # noqa: F401
from .tabwriter import _tabwrite  # noqa: F401
from .text import CLEAR_SCREEN, escape_text  # noqa: F401
from .tree import RESULT_WIDTH, _insert_sorted, _order_children, _recover_index, _RNode  # noqa: F401

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
