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

from typing import Any, Callable, Iterable, Mapping

# The pure half lives in ``jupyter_flow.picture`` (shared with the server and the lab's run view);
# these names stay importable from here.
from ..picture.elements import (NODE_TYPES, PHASE_COLOURS, Elements, GEdge, GNode,  # noqa: F401
                                display_phase, node_classes, node_label, node_tip)
from ..picture.groups import FANOUT, Picture, View, group_id, grouped  # noqa: F401
from ..picture.layout import layered_positions  # noqa: F401
from ..picture.style import (CACHED, LAYOUT, NODE_HEIGHT, NODE_SEP, RANK_SEP, label_width,  # noqa: F401
                             legend_html, node_data, node_width, stylesheet)


def elements(nodes: Mapping[str, Mapping[str, Any]], run_name: str = "", *, selected: str | None = None,
             expanded: Iterable[str] = (), budget: int | None = None) -> Elements:
    """Graph elements for ``status.nodes`` (id -> NodeStatus dict), big fan-outs and sub-DAGs as
    group nodes (``picture.groups``); ``expanded``: groups opened whole."""
    view = View()
    for gid in expanded:
        view.opened[gid] = 1 << 30
    kw = {} if budget is None else {"budget": budget}
    return grouped(nodes, run_name, selected=selected, view=view, **kw)


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
