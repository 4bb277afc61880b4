"""The run's graph: what to draw (pure) and a thin adapter over the drawing library.

``elements(nodes, run_name)`` turns Argo ``status.nodes`` into graph elements the way the Argo
UI draws them: every node of the tree, an edge from a node to each of its ``children`` (Argo
links a steps group's outbound nodes to the next group and a DAG task's outbound nodes to its
dependents, so following ``children`` gives the whole picture), and a dashed edge from the
workflow's outbound nodes to the ``onExit`` node. Node types keep their Argo meaning through
CSS classes (``Pod``, ``StepGroup``, ``TaskGroup``, ``DAG``, ``Steps``, ``Retry``,
``Suspend``, ``Skipped``), so step groups, DAG boundaries, loop children and retry attempts stay
readable; the phase is a class too (``Succeeded``, ``Failed``...), so a status change is a
``classes`` update, never a relayout.

Two renderers draw them with the same four methods (``add``, ``replace``, ``update``,
``on_click``), so the widget does not care which: ``dagmodel.DagRenderer`` (the default: the whole
graph as one widget model, drawn by the jupyter-flow lab extension) and ``CytoscapeRenderer``
here, the only code that knows ipycytoscape (its last release is from 2022), for frontends
without the lab extension (``JUPYTER_FLOW_GRAPH=ipycytoscape``).

Both draw the layout computed here, in the kernel (``layered_positions``: longest-path ranks,
barycentre ordering, top to bottom, like dagre, ~30 ms for 1,000 nodes; the runs panel's
``layout.ts`` is the same algorithm), with cytoscape's ``preset`` layout: dagre's
network-simplex ranking took ~4 s of browser CPU for 1,000 nodes, on every structural change.
Node widths come from the kernel too (``data(w)``).

``CytoscapeRenderer`` follows what was measured with ipycytoscape 1.3.3: status through
``classes`` or a whole-``data`` reassignment (mutating ``node.data[k]`` is never sent),
structural changes batched in one message so the frontend relayouts once, positions in the
preset layout's ``positions`` map (one message however many nodes move), no tap-threshold or
pixel-ratio changes after display, default height, and tooltips (inserted as HTML) built from
escaped text only. Each element is opened as ipycytoscape's ``NodeModel``/``EdgeModel``
directly on a comm (``_Element``) instead of through its traitlets widgets, which cost ~1 ms of
kernel time each; what is left is one message per element and one per changed node (~4 s to
first paint for a 1,000-node DAG: ``benchmarks/RESULTS.md``, W7 history).
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

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
    hidden: dict[str, str] = field(default_factory=dict)   # node id -> the "+N more" node drawn instead


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


COLLAPSE_AFTER = 30          # a group with more leaf children than this shows the first ones and a "+N more" node
LEAF_TYPES = ("Pod", "Skipped", "Suspend", "HTTP", "Plugin", "Container")
_WORST = ("Error", "Failed", "Running", "Suspended", "Pending", "Succeeded", "Omitted", "Skipped")


def more_id(parent: str) -> str:
    return f"{parent}::more"


def elements(nodes: Mapping[str, Mapping[str, Any]], run_name: str = "", *,
             selected: str | None = None, collapse_after: int | None = COLLAPSE_AFTER,
             expanded: Iterable[str] = ()) -> Elements:
    """Graph elements for ``status.nodes`` (id -> NodeStatus dict).

    A loop's fan-out can be hundreds of pods: past ``collapse_after`` leaf children of one
    parent (not in ``expanded``), the rest are drawn as one ``+N more`` node whose colour is
    the worst phase among them; ``hidden`` maps each of those to it.
    """
    out = Elements()
    expanded = set(expanded)
    if collapse_after:
        for pid, parent in nodes.items():
            kids = [c for c in parent.get("children") or [] if c in nodes]
            leaves = [c for c in kids if nodes[c].get("type") in LEAF_TYPES]
            if pid in expanded or len(leaves) <= collapse_after:
                continue
            for c in leaves[collapse_after - 1:]:
                out.hidden.setdefault(c, more_id(pid))
    for nid, node in nodes.items():
        if nid in out.hidden:
            continue
        out.nodes[nid] = GNode(id=nid, label=node_label(node), classes=node_classes(node, selected=nid == selected),
                               tip=node_tip(node), parent_hint=str(node.get("boundaryID") or ""))
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for nid, mid in out.hidden.items():
        groups.setdefault(mid, []).append(nodes[nid])
    for mid, members in groups.items():
        out.nodes[mid] = summary_node(mid, members)

    def vis(nid: str) -> str:
        return out.hidden.get(nid, nid)
    for nid, node in nodes.items():
        for child in node.get("children") or []:
            if child in nodes:
                src, dst = vis(nid), vis(child)
                if src != dst:
                    e = GEdge(src, dst)
                    out.edges[e.id] = e
    # onExit: Argo UI draws it after the workflow's outbound nodes
    root = nodes.get(run_name) if run_name else None
    for nid, node in nodes.items():
        name = node.get("name") or ""
        if run_name and name == f"{run_name}.onExit":
            sources = [o for o in _outbound(nodes, run_name) if o in nodes] if root else []
            for src in sources or ([run_name] if root else []):
                e = GEdge(vis(src), vis(nid), "onExit")
                out.edges[e.id] = e
    return out


def summary_node(mid: str, members: list[Mapping[str, Any]]) -> GNode:
    counts: dict[str, int] = {}
    for m in members:
        p = display_phase(m)
        counts[p] = counts.get(p, 0) + 1
    worst = next((p for p in _WORST if counts.get(p)), "Pending")
    detail = ", ".join(f"{counts[p]} {p}" for p in _WORST if counts.get(p))
    return GNode(id=mid, label=f"+{len(members)} more", classes=f"More {worst}",
                 tip=html.escape(f"{len(members)} more (click to show them): {detail}", quote=True))


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


CACHED = "#17806d"   # the border of a node reused from the content step cache


def stylesheet() -> list[dict]:
    """Cytoscape styles: shape per node type, colour per phase."""
    style: list[dict] = [
        {"selector": "node", "style": {
            "label": "data(label)", "font-size": "11px", "text-valign": "center", "text-halign": "center",
            "color": "#1b2733", "background-color": "#dde3e8", "border-width": 1, "border-color": "#8fa4b1",
            "shape": "round-rectangle", "width": "data(w)", "height": 26, "padding": "8px",
            "text-wrap": "ellipsis", "text-max-width": "160px", "min-zoomed-font-size": 5}},
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
        {"selector": "node.More", "style": {"shape": "round-rectangle", "border-style": "dotted",
                                            "border-width": 2, "font-style": "italic"}},
        {"selector": "edge", "style": {
            "width": 1.5, "line-color": "#8fa4b1", "target-arrow-color": "#8fa4b1",
            "target-arrow-shape": "triangle", "curve-style": "bezier", "arrow-scale": 0.8}},
        {"selector": "edge.onExit", "style": {"line-style": "dashed"}},
        {"selector": "node.picked", "style": {"border-width": 3, "border-color": "#1b2733"}},
    ]
    for phase, colour in PHASE_COLOURS.items():
        style.append({"selector": f"node.{phase}", "style": {"background-color": colour}})
    style.append({"selector": "node.Running, node.Suspended", "style": {"border-color": "#1b2733"}})
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


def node_data(n: GNode) -> dict:
    return {"id": n.id, "label": n.label, "tip": n.tip, "w": label_width(n.label)}


def node_width(n: GNode) -> float:
    """The drawn width: text plus 8 px padding each side plus the border; group dots are 12 px."""
    if any(c in _SMALL for c in n.classes.split()):
        return 12.0
    return label_width(n.label) + 18.0


def layered_positions(nodes: Mapping[str, GNode], edges: Iterable[GEdge], *, sweeps: int = 4) -> dict[str, dict]:
    """Top-to-bottom layered layout (what dagre draws, in O((n + e) * sweeps) Python).

    Rank = longest path from a source; order within a rank by barycentre sweeps (down, then up);
    x = each node as close to its median parent's x as the rank's order and spacing allow.
    Returns ``{id: {"x": .., "y": ..}}`` for every node.
    """
    from collections import deque

    ids = list(nodes)
    succ: dict[str, list[str]] = {i: [] for i in ids}
    pred: dict[str, list[str]] = {i: [] for i in ids}
    for e in edges:
        if e.source in succ and e.target in succ and e.source != e.target:
            succ[e.source].append(e.target)
            pred[e.target].append(e.source)
    indeg = {i: len(pred[i]) for i in ids}
    rank = dict.fromkeys(ids, 0)
    queue = deque(i for i in ids if indeg[i] == 0)
    seen: list[str] = []
    while queue:
        i = queue.popleft()
        seen.append(i)
        for j in succ[i]:
            if rank[i] + 1 > rank[j]:
                rank[j] = rank[i] + 1
            indeg[j] -= 1
            if indeg[j] == 0:
                queue.append(j)
    if len(seen) < len(ids):      # a cycle (never in a DAG of Argo nodes): put the rest below
        low = max(rank.values(), default=0) + 1
        done = set(seen)
        for i in ids:
            if i not in done:
                rank[i] = low
                seen.append(i)
    layers: list[list[str]] = [[] for _ in range(max(rank.values(), default=-1) + 1)]
    for i in seen:                # discovery order keeps siblings together
        layers[rank[i]].append(i)
    pos = {i: k for layer in layers for k, i in enumerate(layer)}

    def sort_by(layer: list[str], nbrs: dict[str, list[str]]) -> None:
        def key(i: str) -> float:
            ns = nbrs[i]
            return sum(pos[n] for n in ns) / len(ns) if ns else pos[i]
        layer.sort(key=key)
        for k, i in enumerate(layer):
            pos[i] = k
    for _ in range(sweeps):
        for layer in layers[1:]:
            sort_by(layer, pred)
        for layer in reversed(layers[:-1]):
            sort_by(layer, succ)
    width = {i: node_width(nodes[i]) for i in ids}
    x: dict[str, float] = {}
    for r, layer in enumerate(layers):
        # under the (lower) median parent: straight chains, and no drift where nodes have two parents
        placed = [[x[p] for p in pred[i] if p in x] for i in layer]    # parents in ranks above
        want: list[float | None] = [sorted(px)[(len(px) - 1) // 2] if px else None for px in placed]
        xs: list[float] = []
        cursor = float("-inf")
        packed = 0.0
        for k, i in enumerate(layer):
            half = width[i] / 2
            if want[k] is None:
                want[k] = packed + half
            left = max(want[k] - half, cursor)
            xs.append(left + half)
            cursor = left + width[i] + NODE_SEP
            packed = cursor
        wanted = [w for w in want if w is not None]
        shift = (sum(wanted) / len(wanted) - sum(xs) / len(xs)) if r and xs else -(sum(xs) / len(xs) if xs else 0.0)
        for i, xi in zip(layer, xs):
            x[i] = xi + shift
    return {i: {"x": round(x[i], 1), "y": rank[i] * (NODE_HEIGHT + RANK_SEP)} for i in ids}


_PROTOCOL = "2.1.0"     # the ipywidgets message protocol (ipywidgets 8)
_BASE_STATE: dict[str, dict] = {}


def _base_state(model_name: str) -> dict:
    """The state ipycytoscape's own ``Node``/``Edge`` widget would send, without data and classes."""
    st = _BASE_STATE.get(model_name)
    if st is None:
        import ipycytoscape
        import traitlets
        cls = ipycytoscape.Node if model_name == "NodeModel" else ipycytoscape.Edge
        st = {}
        for name, trait in cls.class_traits(sync=True).items():
            value = trait.default()
            if value is not traitlets.Undefined:
                st[name] = value
        st.pop("data", None)
        st.pop("position", None)
        _BASE_STATE[model_name] = st
    return st


class _Element:
    """One cytoscape element: ipycytoscape's ``NodeModel``/``EdgeModel`` opened directly on a comm.

    The frontend gets exactly what ipycytoscape's widget sends (a ``comm_open`` on the
    ``jupyter.widget`` target with the model's state, then ``update`` messages), without a
    traitlets widget per element in the kernel. Messages the frontend sends back (selection,
    grab) are not needed and are dropped."""

    __slots__ = ("comm", "model_id", "classes", "data", "position")

    def __init__(self, model_name: str, data: dict, classes: str, position: dict | None = None):
        import comm
        state = dict(_base_state(model_name), data=data, classes=classes)
        if position is not None:
            state["position"] = position
        self.comm = comm.create_comm(target_name="jupyter.widget", data={"state": state, "buffer_paths": []},
                                     metadata={"version": _PROTOCOL})
        self.model_id = self.comm.comm_id
        self.classes, self.data, self.position = classes, data, position

    @property
    def ref(self) -> str:
        return f"IPY_MODEL_{self.model_id}"

    def send(self, state: dict) -> None:
        self.comm.send(data={"method": "update", "state": state, "buffer_paths": []})
        for k, v in state.items():
            setattr(self, k, v)

    def close(self) -> None:
        try:
            self.comm.close()
        except Exception:  # pragma: no cover - the kernel is shutting down
            pass


class CytoscapeRenderer:
    """The graph drawn by ipycytoscape: positions from ``layered_positions``, top to bottom."""

    def __init__(self) -> None:
        import ipycytoscape

        self.widget = ipycytoscape.CytoscapeWidget()
        self.widget.set_tooltip_source("tip")
        self.widget.cytoscape_layout = dict(LAYOUT)
        self.widget.set_style(stylesheet())
        self.widget.min_zoom = 0.05     # room for fit() to show a 1,000-node DAG whole
        self.widget.max_zoom = 3.0
        self.widget.layout.width = "auto"
        self.widget.layout.min_width = "0"
        self._nodes: dict[str, _Element] = {}
        self._edges: dict[str, _Element] = {}
        self._gnodes: dict[str, GNode] = {}

        self._click: list[Callable[[str], None]] = []
        self.widget.on("node", "click", self._clicked)
        self.structural_updates = 0

    # -- structure (batched: one message, one relayout in the frontend) -------------------------
    def add(self, nodes: Iterable[GNode], edges: Iterable[GEdge]) -> None:
        nodes = [n for n in nodes if n.id not in self._nodes]
        edges = [e for e in edges if e.id not in self._edges]
        if not nodes and not edges:
            return
        self._gnodes.update((n.id, n) for n in nodes)
        all_edges = [GEdge(e.data["source"], e.data["target"]) for e in self._edges.values()] + edges
        positions = layered_positions(self._gnodes, all_edges)
        for nid, w in self._nodes.items():        # nodes already drawn move with the layout's map (below)
            w.position = positions[nid]
        for n in nodes:
            self._make_node(n, positions[n.id])
        for e in edges:
            self._make_edge(e)
        self._publish(positions)
        self.structural_updates += 1

    def replace(self, nodes: Iterable[GNode], edges: Iterable[GEdge]) -> None:
        """Start over (a retried run drops nodes): one message with the new lists."""
        old = list(self._nodes.values()) + list(self._edges.values())
        self._nodes.clear()
        self._edges.clear()
        self._gnodes = {n.id: n for n in nodes}
        edges = list(edges)
        positions = layered_positions(self._gnodes, edges)
        for n in self._gnodes.values():
            self._make_node(n, positions[n.id])
        for e in edges:
            self._make_edge(e)
        self._publish(positions)
        for w in old:
            w.close()
        self.structural_updates += 1

    def _publish(self, positions: dict[str, dict]) -> None:
        # Every position goes in the preset layout's ``positions`` map: one message however many
        # nodes move (a per-node ``position`` message each could be a thousand messages for one
        # structural change, past Jupyter's iopub rate limit). The layout is sent first, then the
        # graph model's node/edge lists (model references, as ipycytoscape's Graph widget serializes
        # them; its Python-side lists stay empty); adding elements reruns the layout in the page.
        self.widget.cytoscape_layout = dict(LAYOUT, positions=positions)
        self.widget.graph._send({"method": "update", "buffer_paths": [], "state": {
            "nodes": [w.ref for w in self._nodes.values()], "edges": [w.ref for w in self._edges.values()]}})

    # -- status (in place, no relayout) ------------------------------------------------------------
    # One ``classes`` message per changed node: cheap in the page (cytoscape restyles that one
    # element). Measured alternative, not used: one ``cytoscape_style`` message a flush colouring
    # ranges of nodes; one message instead of hundreds, but the page restyles and redraws all
    # 2,500 elements of a 1,000-node DAG for each (~0.3-0.5 s of browser CPU), so the final state
    # came 2.7-5 s after the last change instead of ~1 s.
    def update(self, node: GNode) -> bool:
        """Bring one drawn node up to date (one message); returns whether anything was sent."""
        w = self._nodes.get(node.id)
        if w is None:
            return False
        self._gnodes[node.id] = node
        data = node_data(node)
        state: dict[str, Any] = {}
        if w.classes != node.classes:
            state["classes"] = node.classes
        if w.data != data:
            state["data"] = data       # whole dict: the frontend replaces the element's data
        if not state:
            return False
        w.send(state)
        return True

    def update_many(self, nodes: Iterable[GNode]) -> int:
        """``update`` each node (one message each); returns how many changed."""
        return sum(self.update(n) for n in nodes)

    def on_click(self, fn: Callable[[str], None]) -> None:
        self._click.append(fn)

    def _clicked(self, event: dict) -> None:
        nid = ((event or {}).get("data") or {}).get("id")
        if nid is None:
            return
        for fn in list(self._click):
            fn(nid)

    # -- introspection (tests, debugging) --------------------------------------------------------------
    def state(self) -> dict[str, dict]:
        """What the frontend was told, by node id: classes, data, position."""
        return {nid: {"classes": w.classes, "data": dict(w.data), "position": w.position}
                for nid, w in self._nodes.items()}

    def node_ids(self) -> set[str]:
        return set(self._nodes)

    def edge_ids(self) -> set[str]:
        return set(self._edges)

    def _make_node(self, n: GNode, position: dict) -> _Element:
        w = _Element("NodeModel", node_data(n), n.classes, position)
        self._nodes[n.id] = w
        return w

    def _make_edge(self, e: GEdge) -> _Element:
        w = _Element("EdgeModel", {"id": e.id, "source": e.source, "target": e.target},
                     (e.classes + " directed").strip())
        self._edges[e.id] = w
        return w
