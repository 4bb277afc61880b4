"""What the renderers laid out in the kernel share (``dagmodel.DagRenderer``, ``svg.SvgRenderer``).

Both keep the graph they last drew (nodes and edges by id, positions from
``graph.layered_positions``), take the same structural calls from ``RunWidget`` and pass a
node pick on to its click handlers; they differ only in how a drawing reaches the page
(``_relayout`` after a structural change, ``_node_data`` for what ``state`` reports).
"""
from __future__ import annotations

from typing import Callable, Iterable

from . import graph as G


class LaidOutRenderer:
    """The graph as drawn, plus ``add``/``replace``/``on_click``/``state``; subclasses draw."""

    batched = True

    def __init__(self) -> None:
        self._gnodes: dict[str, G.GNode] = {}
        self._gedges: dict[str, G.GEdge] = {}
        self._positions: dict[str, dict] = {}
        self._click: list[Callable[[str], None]] = []
        self.structural_updates = 0
        self.messages = 0                      # messages sent to the page (tests, benchmarks)

    # -- structure ----------------------------------------------------------------------------------
    def add(self, nodes: Iterable[G.GNode], edges: Iterable[G.GEdge]) -> None:
        nodes = [n for n in nodes if n.id not in self._gnodes]
        edges = [e for e in edges if e.id not in self._gedges]
        if not nodes and not edges:
            return
        self._gnodes.update((n.id, n) for n in nodes)
        self._gedges.update((e.id, e) for e in edges)
        self._layout()

    def replace(self, nodes: Iterable[G.GNode], edges: Iterable[G.GEdge]) -> None:
        """Start over (a retried run drops nodes)."""
        self._gnodes = {n.id: n for n in nodes}
        self._gedges = {e.id: e for e in edges}
        self._layout()

    def _layout(self) -> None:
        self._positions = G.layered_positions(self._gnodes, self._gedges.values())
        self.structural_updates += 1
        self._relayout()

    def _relayout(self) -> None:
        """Send the whole graph at ``self._positions`` to the page."""
        raise NotImplementedError

    def _changed(self, nodes: Iterable[G.GNode]) -> list[tuple[G.GNode, G.GNode]]:
        """Record drawn nodes' new state; returns (old, new) for each that differs."""
        out = []
        for node in nodes:
            old = self._gnodes.get(node.id)
            if old is None or old == node:
                continue
            self._gnodes[node.id] = node
            out.append((old, node))
        return out

    def update(self, node: G.GNode) -> bool:
        """Bring one drawn node up to date; returns whether anything was sent."""
        return self.update_many([node]) > 0

    def update_many(self, nodes: Iterable[G.GNode]) -> int:
        raise NotImplementedError

    # -- picks ----------------------------------------------------------------------------------------
    def on_click(self, fn: Callable[[str], None]) -> None:
        self._click.append(fn)

    def _picked(self, nid: object) -> None:
        if isinstance(nid, str) and nid in self._gnodes:
            for fn in list(self._click):
                fn(nid)

    # -- introspection (tests, debugging) ---------------------------------------------------------------
    def _node_data(self, n: G.GNode) -> dict:
        return G.node_data(n)

    def state(self) -> dict[str, dict]:
        """What the page was told, by node id: classes, data, position."""
        return {nid: {"classes": n.classes, "data": self._node_data(n), "position": self._positions[nid]}
                for nid, n in self._gnodes.items()}

    def node_ids(self) -> set[str]:
        return set(self._gnodes)

    def edge_ids(self) -> set[str]:
        return set(self._gedges)
