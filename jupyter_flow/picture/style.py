"""How a run's picture looks: the phase palette (Argo UI's), the cytoscape stylesheet, node sizes.

One source: the notebook widget sends it to its model, the server hands it to the lab's run view
(``GET /jupyter-flow/api/runs/NAME/graph``), and the SVG picture draws with the same colours.
"""
from __future__ import annotations

from .elements import PHASE_COLOURS, GNode

CACHED = "#17806d"   # the border of a node reused from the content step cache


def stylesheet() -> list[dict]:
    """Cytoscape styles: shape per node type, colour per phase."""
    style: list[dict] = [
        {"selector": "node", "style": {
            "label": "data(label)", "font-size": "11px", "text-valign": "center", "text-halign": "center",
            "color": "#1b2733", "background-color": "#dde3e8", "border-width": 1, "border-color": "#8fa4b1",
            "shape": "round-rectangle", "width": "data(w)", "height": 26, "padding": "8px",
            "text-wrap": "ellipsis", "text-max-width": "160px", "min-zoomed-font-size": 8}},
        {"selector": "node.StepGroup, node.TaskGroup", "style": {
            "shape": "ellipse", "width": 12, "height": 12, "padding": "0px", "label": ""}},
        {"selector": "node.Steps, node.DAG", "style": {
            "shape": "round-hexagon", "border-width": 2, "font-weight": "bold"}},
        {"selector": "node.Retry", "style": {"shape": "round-tag", "border-style": "dashed", "border-width": 2}},
        {"selector": "node.Suspend", "style": {"shape": "round-octagon"}},
        {"selector": "node.Skipped, node.Omitted", "style": {"border-style": "dashed", "color": "#6d7f8b"}},
        {"selector": "node.onExit", "style": {"border-style": "double", "border-width": 3}},
        {"selector": "node.Cached", "style": {"border-style": "double", "border-width": 4, "border-color": CACHED,
                                              "font-style": "italic"}},
        {"selector": "node.Group", "style": {
            "shape": "ellipse", "width": GROUP_SIZE, "height": GROUP_SIZE, "padding": "0px",
            "background-color": "#ffffff", "border-width": 3, "text-valign": "bottom", "text-margin-y": 3,
            "font-weight": "bold", "pie-size": "100%",
            **{k: v for i, phase in enumerate(PIE_PHASES) for k, v in (
                (f"pie-{i + 1}-background-color", PHASE_COLOURS[phase]),
                (f"pie-{i + 1}-background-size", f"mapData(p{i}, 0, 100, 0, 100)"))}}},
        {"selector": "edge", "style": {
            "width": 1.5, "line-color": "#8fa4b1", "target-arrow-color": "#8fa4b1",
            "target-arrow-shape": "triangle", "curve-style": "bezier", "arrow-scale": 0.8}},
        {"selector": "edge.onExit", "style": {"line-style": "dashed"}},
        {"selector": "node.picked", "style": {"border-width": 3, "border-color": "#1b2733"}},
    ]
    for phase, colour in PHASE_COLOURS.items():
        style.append({"selector": f"node.{phase}", "style": {"background-color": colour}})
    style.append({"selector": "node.Running, node.Suspended", "style": {"border-color": "#1b2733"}})
    # a group: the pie shows its members' phases; the ring, the worst of them
    for phase, colour in PHASE_COLOURS.items():
        style.append({"selector": f"node.Group.{phase}", "style": {"background-color": "#ffffff",
                                                                  "border-color": colour}})
    style.append({"selector": "node.Group.picked", "style": {"border-color": "#1b2733"}})
    style.append({"selector": "node.found", "style": {"overlay-color": "#1b2733", "overlay-opacity": 0.25,
                                                      "overlay-padding": 6}})
    return style


def legend_html() -> str:
    """Static legend (no user text)."""
    items = "".join(
        f'<span style="display:inline-flex;align-items:center;margin-right:10px">'
        f'<span style="width:10px;height:10px;border-radius:2px;background:{c};display:inline-block;'
        f'margin-right:4px;border:1px solid #8fa4b1"></span>{p}</span>'
        for p, c in PHASE_COLOURS.items())
    shapes = ('<span style="color:#6d7f8b">&#9645; step &nbsp; &#11041; steps/DAG &nbsp; '
              '&#8226; group &nbsp; dashed: retry/skipped</span>')
    return f'<div style="font-size:11px;line-height:18px">{items}{shapes}</div>'


LAYOUT = {"name": "preset", "fit": True, "padding": 12, "animate": False}
NODE_HEIGHT, RANK_SEP, NODE_SEP = 26.0, 36.0, 18.0
_SMALL = ("StepGroup", "TaskGroup")


def label_width(label: str) -> float:
    """The text width a node is drawn with (``width: data(w)``): ~6.6 px a character at 11 px,
    at most 160 px (the stylesheet's ``text-max-width``). Computed here rather than cytoscape's
    deprecated ``width: label``, which measured 0 for nodes added before their first frame (they
    stayed invisible until restyled), and the layout needs the same number."""
    return min(max(len(label), 1) * 6.6, 160.0) + 2.0


GROUP_SIZE = 34.0     # a group node is a disc this wide: a pie of its members' phases, its label below
PIE_PHASES = ("Succeeded", "Running", "Pending", "Suspended", "Failed", "Error", "Skipped", "Omitted")


def node_data(n: GNode) -> dict:
    """A node's cytoscape ``data``: id, label, tip, drawn width and, for a group, its members by
    phase as pie slices in percent (``p0``..``p7`` in ``PIE_PHASES`` order) and ``n`` in all."""
    data = {"id": n.id, "label": n.label, "tip": n.tip, "w": label_width(n.label)}
    if n.counts:
        counts = dict(n.counts)
        total = sum(counts.values()) or 1
        data["n"] = total
        for i, phase in enumerate(PIE_PHASES):
            data[f"p{i}"] = round(100.0 * counts.get(phase, 0) / total, 2)
    return data


def node_width(n: GNode) -> float:
    """The drawn width: text plus 8 px padding each side plus the border; group dots are 12 px."""
    classes = n.classes.split()
    if any(c in _SMALL for c in classes):
        return 12.0
    if "Group" in classes:
        return max(GROUP_SIZE, label_width(n.label))
    return label_width(n.label) + 18.0

