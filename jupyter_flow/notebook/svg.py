"""The run's DAG as a picture: the renderer for frontends that lack the jupyter-flow lab extension.

``DagRenderer`` draws with a widget model that only the lab extension knows. VS Code, Colab, or a
JupyterLab whose server runs in another environment than the kernel (a conda kernel, say) cannot
create that model and show "model not found". This renderer needs nothing but core ipywidgets:
an SVG in an ``HTML`` widget, drawn here from the same kernel-side layout (``graph.layered_positions``)
and colours (``graph.PHASE_COLOURS``), redrawn on each of the run widget's flushes (at most 8 a
second). What it cannot do is take a click, so a dropdown of the drawn nodes opens one in the
side panel instead. ``RunWidget`` switches to it by itself when the page never reports the lab
extension's model (see ``RunWidget.check_frontend``); ``JUPYTER_FLOW_GRAPH=svg`` chooses it outright.
"""
from __future__ import annotations

import html
from typing import Any, Iterable

import ipywidgets as W

from . import graph as G
from .laidout import LaidOutRenderer

PAD = 12.0
MAX_HEIGHT_PX = 560        # taller pictures scroll inside the output


def _phase(classes: str) -> str:
    for c in classes.split():
        if c in G.PHASE_COLOURS:
            return c
    return ""


def draw(nodes: dict[str, G.GNode], edges: Iterable[G.GEdge], positions: dict[str, dict]) -> str:
    """The SVG text of a graph at ``positions`` (node centres). Every run-provided string is escaped."""
    if not nodes:
        return '<div class="jf-dag-svg" style="color:#6d7f8b;font-size:12px">(no nodes yet)</div>'
    half_w = {nid: G.node_width(n) / 2 for nid, n in nodes.items()}
    half_h = {nid: (6.0 if half_w[nid] == 6.0 else G.NODE_HEIGHT / 2) for nid in nodes}
    xs = [positions[nid]["x"] for nid in nodes]
    ys = [positions[nid]["y"] for nid in nodes]
    left = min(x - half_w[nid] for nid, x in zip(nodes, xs)) - PAD
    top = min(ys) - G.NODE_HEIGHT / 2 - PAD
    width = max(x + half_w[nid] for nid, x in zip(nodes, xs)) - left + PAD
    height = max(ys) + G.NODE_HEIGHT / 2 - top + PAD
    out = [f'<div class="jf-dag-svg" style="max-height:{MAX_HEIGHT_PX}px;overflow:auto">'
           f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
           f'viewBox="{left:.1f} {top:.1f} {width:.1f} {height:.1f}" font-family="sans-serif" font-size="11">'
           '<defs><marker id="jf-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
           'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#8fa4b1"/>'
           '</marker></defs>']
    for e in edges:
        if e.source not in nodes or e.target not in nodes:
            continue
        a, b = positions[e.source], positions[e.target]
        dash = ' stroke-dasharray="4 3"' if "onExit" in e.classes.split() else ""
        out.append(f'<line x1="{a["x"]:.1f}" y1="{a["y"] + half_h[e.source]:.1f}" x2="{b["x"]:.1f}" '
                   f'y2="{b["y"] - half_h[e.target]:.1f}" stroke="#8fa4b1" stroke-width="1.5"{dash} '
                   'marker-end="url(#jf-arrow)"/>')
    for nid, n in nodes.items():
        p = positions[nid]
        classes = n.classes.split()
        fill = G.PHASE_COLOURS.get(_phase(n.classes), "#dde3e8")
        stroke = "#1b2733" if "picked" in classes or "Running" in classes else "#8fa4b1"
        if "Cached" in classes:
            stroke = G.CACHED
        dash = ' stroke-dasharray="4 3"' if {"Retry", "Skipped", "Omitted", "More"} & set(classes) else ""
        tip = html.escape(html.unescape(n.tip), quote=False)
        if half_w[nid] == 6.0:      # a step/task group: a dot, as in the interactive graph
            out.append(f'<g><title>{tip}</title><circle cx="{p["x"]:.1f}" cy="{p["y"]:.1f}" r="6" '
                       f'fill="{fill}" stroke="{stroke}"/></g>')
            continue
        w, h = half_w[nid] * 2, G.NODE_HEIGHT
        bold = ' font-weight="bold"' if {"Steps", "DAG"} & set(classes) else ""
        width_px = 3 if "picked" in classes or "Cached" in classes else (2 if bold else 1)
        out.append(f'<g><title>{tip}</title><rect x="{p["x"] - w / 2:.1f}" y="{p["y"] - h / 2:.1f}" '
                   f'width="{w:.1f}" height="{h:.1f}" rx="5" fill="{fill}" stroke="{stroke}" '
                   f'stroke-width="{width_px}"{dash}/><text x="{p["x"]:.1f}" y="{p["y"] + 4:.1f}" '
                   f'text-anchor="middle" fill="#1b2733"{bold}>{html.escape(_short(n.label), quote=False)}'
                   '</text></g>')
    out.append("</svg></div>")
    return "".join(out)


def _short(label: str, limit: int = 24) -> str:
    """What fits the node's 160 px (the interactive graph's ``text-max-width``), with an ellipsis."""
    return label if len(label) <= limit else label[:limit - 1] + "\u2026"


class SvgRenderer(LaidOutRenderer):
    """``RunWidget``'s renderer as a picture (same methods as ``DagRenderer``; see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self.picture = W.HTML()
        self.picker = W.Dropdown(options=[("open a node\u2026", "")], value="", layout=W.Layout(width="auto"))
        self.picker.observe(self._on_pick, "value")
        self.note = W.HTML('<span style="color:#6d7f8b;font-size:11px">A picture of the graph: this '
                           'frontend has no jupyter-flow extension (pick a node above to open it).</span>')
        self.widget = W.VBox([self.picker, self.picture, self.note])
        self.widget.add_class("jf-dag-svg-box")

    def _relayout(self) -> None:
        options = [("open a node\u2026", "")] + [(n.label, nid) for nid, n in self._gnodes.items()
                                                   if not nid.endswith("::more")]
        self.picker.unobserve(self._on_pick, "value")
        try:
            self.picker.options = options
            self.picker.value = ""
        finally:
            self.picker.observe(self._on_pick, "value")
        self._draw()

    def _draw(self) -> None:
        self.picture.value = draw(self._gnodes, self._gedges.values(), self._positions)
        self.messages += 1

    def update_many(self, nodes: Iterable[G.GNode]) -> int:
        """Redraw once for every node that changed; returns how many did."""
        changed = len(self._changed(nodes))
        if changed:
            self._draw()
        return changed

    def _on_pick(self, change: dict[str, Any]) -> None:
        """The dropdown stands in for clicks."""
        self._picked(change.get("new"))
