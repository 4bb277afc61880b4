"""The drawn pieces of a run's picture: one ``GNode`` per drawn node, ``GEdge`` per edge (pure).

Classes carry Argo's node type and the phase (``Pod Succeeded``), so a phase change is a class
change, never a relayout; labels and tooltips are display text (tooltips already HTML-escaped).
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, Mapping

# Argo UI's palette, so the colours mean what Argo users expect.
PHASE_COLOURS: dict[str, str] = {
    "Pending": "#f4c030",
    "Running": "#0dadea",
    "Suspended": "#7f6fd9",
    "Succeeded": "#18be94",
    "Failed": "#e96d76",
    "Error": "#c4323e",
    "Skipped": "#ccd6dd",
    "Omitted": "#dde3e8",
}
NODE_TYPES = ("Pod", "Steps", "StepGroup", "DAG", "TaskGroup", "Retry", "Suspend", "Skipped", "HTTP", "Plugin")


@dataclass(frozen=True)
class GNode:
    """One drawn node: ``classes`` carry type and phase; ``label``/``tip`` are display text."""

    id: str
    label: str
    classes: str
    tip: str                 # already HTML-escaped: ipycytoscape inserts tooltips as innerHTML
    parent_hint: str = ""    # boundary id, kept for renderers that draw compound groups
    counts: tuple = ()       # a group node's members by phase: ((phase, n), ...), worst first


@dataclass(frozen=True)
class GEdge:
    source: str
    target: str
    classes: str = ""

    @property
    def id(self) -> str:
        return f"{self.source}->{self.target}"


@dataclass
class Elements:
    nodes: dict[str, GNode] = field(default_factory=dict)
    edges: dict[str, GEdge] = field(default_factory=dict)
    hidden: dict[str, str] = field(default_factory=dict)   # node id -> the group node drawn instead


def display_phase(node: Mapping[str, Any]) -> str:
    """The phase class: a running Suspend node is drawn as 'Suspended'."""
    phase = node.get("phase") or "Pending"
    if node.get("type") == "Suspend" and phase == "Running":
        return "Suspended"
    return phase


def node_classes(node: Mapping[str, Any], *, selected: bool = False) -> str:
    type_ = node.get("type") or "Pod"
    classes = [type_ if type_ in NODE_TYPES else "Other", display_phase(node)]
    name = node.get("name") or ""
    if name.endswith(".onExit"):
        classes.append("onExit")
    memo = node.get("memoizationStatus")
    if isinstance(memo, Mapping) and memo.get("hit") is True and memo.get("cacheName") == "jupyter-flow":
        classes.append("Cached")   # reused from the content step cache: no process ran
    if selected:
        classes.append("picked")
    return " ".join(classes)


def node_label(node: Mapping[str, Any]) -> str:
    type_ = node.get("type")
    if type_ in ("StepGroup", "TaskGroup"):
        return ""     # drawn as a small dot, as in the Argo UI; the tooltip names it
    return str(node.get("displayName") or node.get("name") or node.get("id") or "")


def node_tip(node: Mapping[str, Any]) -> str:
    """Name and template; not the phase (the colour shows it, the panel spells it), so a phase
    change touches only the node's classes."""
    parts = [str(node.get("displayName") or node.get("name") or "")]
    if node.get("templateName"):
        parts.append(str(node["templateName"]))
    return html.escape(" \u00b7 ".join(parts), quote=True)



def _outbound(nodes: Mapping[str, Mapping[str, Any]], nid: str, depth: int = 0) -> list[str]:
    node = nodes.get(nid)
    if node is None or depth > 50:
        return []
    if node.get("outboundNodes"):
        return list(node["outboundNodes"])
    if node.get("type") in ("Pod", "Suspend", "Skipped", "HTTP", "Plugin") or not node.get("children"):
        return [nid]
    if node.get("type") == "Retry":
        return [node["children"][-1]]
    out: list[str] = []
    for c in node["children"]:
        out.extend(_outbound(nodes, c, depth + 1))
    return out

