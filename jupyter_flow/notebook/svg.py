"""The run's DAG as a picture: the renderer for frontends that lack the jupyter-flow lab extension.

``DagRenderer`` draws with a widget model that only the lab extension knows. VS Code, Colab, or a
JupyterLab whose server runs in another environment than the kernel (a conda kernel, say) cannot
create that model and show "model not found". This renderer needs nothing but core ipywidgets:
an SVG in an ``HTML`` widget, drawn here from the same grouped picture (``picture.groups``: a loop
or a sub-DAG is one group node, with a stacked bar of its members' phases), layout
(``graph.layered_positions``) and colours (``picture.style.PHASE_COLOURS``) as the interactive graph.
The SVG is drawn only when the structure changes; a flush's phase changes go to a second, small
``HTML`` widget holding a ``<style>`` that overrides the fills, strokes and bar segments of the
nodes whose look changed since (CSS beats SVG presentation attributes; ``x``/``width`` are CSS
geometry properties in SVG 2), so following a big run never re-sends the picture. What it cannot
do is take a click, so a dropdown of the drawn nodes opens one in the side panel instead (a group
opens from there too). ``RunWidget`` switches to it by itself when the page never reports the lab
extension's model (see ``RunWidget.check_frontend``); ``JUPYTER_FLOW_GRAPH=svg`` chooses it outright.
"""
from __future__ import annotations

import html
import secrets
from typing import Any, Iterable

import ipywidgets as W

from ..picture.style import PIE_PHASES
from . import graph as G
from .laidout import LaidOutRenderer

PAD = 12.0
MAX_HEIGHT_PX = 560        # taller pictures scroll inside the output
BAR_H = 5.0                # a group's stacked bar of phases, along its bottom edge


def _phase(classes: str) -> str:
    for c in classes.split():
        if c in G.PHASE_COLOURS:
            return c
    return ""


def look(n: G.GNode) -> tuple[str, str, tuple]:
    """(fill, stroke, bar segments as (x offset, width) per ``PIE_PHASES`` entry) of a drawn node."""
    classes = n.classes.split()
    fill = G.PHASE_COLOURS.get(_phase(n.classes), "#dde3e8")
    stroke = "#1b2733" if "picked" in classes or "Running" in classes else "#8fa4b1"
    if "Cached" in classes:
        stroke = G.CACHED
    bar: tuple = ()
    if n.counts:
        stroke, fill = fill, "#ffffff"           # a group: ring in the worst phase, a bar of them all
        width = G.node_width(n)
        counts = dict(n.counts)
        total = sum(counts.values()) or 1
        segs, x = [], 0.0
        for phase in PIE_PHASES:
            w = width * counts.get(phase, 0) / total
            segs.append((round(x, 1), round(w, 1)))
            x += w
        bar = tuple(segs)
    return fill, stroke, bar


def draw(nodes: dict[str, G.GNode], edges: Iterable[G.GEdge], positions: dict[str, dict], uid: str = "") -> str:
    """The SVG text of a graph at ``positions`` (node centres); node ``i`` (in ``nodes`` order) is
    ``<g class="n{i}">`` so ``paint`` can restyle it. Every run-provided string is escaped."""
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
    out = [f'<div class="jf-dag-svg {uid}" style="max-height:{MAX_HEIGHT_PX}px;overflow:auto">'
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
    for i, (nid, n) in enumerate(nodes.items()):
        p = positions[nid]
        classes = n.classes.split()
        fill, stroke, bar = look(n)
        dash = ' stroke-dasharray="4 3"' if {"Retry", "Skipped", "Omitted", "More"} & set(classes) else ""
        tip = html.escape(html.unescape(n.tip), quote=False)
        if half_w[nid] == 6.0:      # a step/task group: a dot, as in the interactive graph
            out.append(f'<g class="n{i}"><title>{tip}</title><circle cx="{p["x"]:.1f}" cy="{p["y"]:.1f}" r="6" '
                       f'fill="{fill}" stroke="{stroke}"/></g>')
            continue
        w, h = half_w[nid] * 2, G.NODE_HEIGHT
        left, top = p["x"] - w / 2, p["y"] - h / 2
        bold = ' font-weight="bold"' if {"Steps", "DAG", "Group"} & set(classes) else ""
        width_px = 3 if "picked" in classes or "Cached" in classes or bar else (2 if bold else 1)
        part = [f'<g class="n{i}"><title>{tip}</title><rect x="{left:.1f}" y="{top:.1f}" '
                f'width="{w:.1f}" height="{h:.1f}" rx="5" fill="{fill}" stroke="{stroke}" '
                f'stroke-width="{width_px}"{dash}/>']
        for k, (dx, dw) in enumerate(bar):
            part.append(f'<rect class="b{k}" x="{left + dx:.1f}" y="{top + h - BAR_H:.1f}" width="{dw:.1f}" '
                        f'height="{BAR_H:.1f}" fill="{G.PHASE_COLOURS[PIE_PHASES[k]]}"/>')
        part.append(f'<text x="{p["x"]:.1f}" y="{p["y"] + (1 if bar else 4):.1f}" text-anchor="middle" '
                    f'fill="#1b2733"{bold}>{html.escape(_short(n.label), quote=False)}</text></g>')
        out.append("".join(part))
    out.append("</svg></div>")
    return "".join(out)


def _short(label: str, limit: int = 24) -> str:
    """What fits the node's 160 px (the interactive graph's ``text-max-width``), with an ellipsis."""
    return label if len(label) <= limit else label[:limit - 1] + "\u2026"


class SvgRenderer(LaidOutRenderer):
    """``RunWidget``'s renderer as a picture (same methods as ``DagRenderer``; see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self.uid = f"jf-svg-{secrets.token_hex(4)}"    # scopes ``paint``'s rules to this picture
        self.picture = W.HTML()
        self.paint = W.HTML()
        self.picker = W.Dropdown(options=[("open a node\u2026", "")], value="", layout=W.Layout(width="auto"))
        self.picker.observe(self._on_pick, "value")
        self.note = W.HTML('<span style="color:#6d7f8b;font-size:11px">A picture of the graph: this '
                           'frontend has no jupyter-flow extension (pick a node above to open it).</span>')
        self.widget = W.VBox([self.picker, self.paint, self.picture, self.note])
        self.widget.add_class("jf-dag-svg-box")
        self._index: dict[str, int] = {}
        self._drawn: dict[str, tuple] = {}       # node id -> its look in the picture as drawn
        self.picture_draws = 0                  # how often the whole SVG was sent (tests, benchmarks)

    def _relayout(self) -> None:
        options = [("open a node\u2026", "")] + [(n.label, nid) for nid, n in self._gnodes.items()]
        self.picker.unobserve(self._on_pick, "value")
        try:
            self.picker.options = options
            self.picker.value = ""
        finally:
            self.picker.observe(self._on_pick, "value")
        self._draw()

    def _draw(self) -> None:
        self.picture.value = draw(self._gnodes, self._gedges.values(), self._positions, self.uid)
        self._index = {nid: i for i, nid in enumerate(self._gnodes)}
        self._drawn = {nid: look(n) for nid, n in self._gnodes.items()}
        self.paint.value = ""
        self.picture_draws += 1
        self.messages += 1

    def _paint(self) -> None:
        """One ``<style>`` with the looks that differ from the picture as drawn."""
        rules = []
        for nid, n in self._gnodes.items():
            now = look(n)
            if now == self._drawn.get(nid):
                continue
            fill, stroke, bar = now
            sel = f".{self.uid} .n{self._index[nid]}"
            rules.append(f"{sel}>rect:first-of-type,{sel}>circle{{fill:{fill};stroke:{stroke}}}")
            drawn_bar = self._drawn[nid][2]
            if bar and drawn_bar:
                base = float(self._drawn_left(nid))
                for k, (dx, dw) in enumerate(bar):
                    rules.append(f"{sel}>.b{k}{{x:{base + dx:.1f}px;width:{dw:.1f}px}}")
        self.paint.value = f"<style>{''.join(rules)}</style>" if rules else ""

    def _drawn_left(self, nid: str) -> float:
        return self._positions[nid]["x"] - G.node_width(self._gnodes[nid]) / 2

    def update_many(self, nodes: Iterable[G.GNode]) -> int:
        """Restyle the nodes that changed (one small message, never the whole picture); returns how many."""
        changed = len(self._changed(nodes))
        if changed:
            self._paint()
            self.messages += 1
        return changed

    def _on_pick(self, change: dict[str, Any]) -> None:
        """The dropdown stands in for clicks."""
        self._picked(change.get("new"))
