"""The picture as JSON: what the notebook widget's model holds and the server's graph endpoint
returns, so the lab's run view and the widget draw the same elements with the same stylesheet.

``{"nodes": [{"data", "classes", "position"}], "edges": [{"data", "classes"}]}``; a node's data
is ``style.node_data`` with ``tip`` as plain text (the page sets it as a ``title``, never as HTML).
"""
from __future__ import annotations

import html
from typing import Any, Iterable, Mapping

from .elements import GEdge, GNode
from .layout import layered_positions
from .style import node_data


def node_json(n: GNode) -> dict:
    data = node_data(n)
    data["tip"] = html.unescape(n.tip)
    return data


def graph_json(nodes: Mapping[str, GNode], edges: Iterable[GEdge],
               positions: Mapping[str, dict] | None = None) -> dict[str, Any]:
    """The elements at ``positions`` (laid out here when not given)."""
    edges = list(edges)
    if positions is None:
        positions = layered_positions(nodes, edges)
    return {"nodes": [{"data": node_json(n), "classes": n.classes, "position": positions[nid]}
                      for nid, n in nodes.items()],
            "edges": [{"data": {"id": e.id, "source": e.source, "target": e.target},
                       "classes": (e.classes + " directed").strip()}
                      for e in edges if e.source in nodes and e.target in nodes]}
