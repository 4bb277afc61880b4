"""A node reused from the content step cache looks different in the DAG (the lab widget's
stylesheet, the SVG picture) and in the text tree; an Argo memoize hit keeps Argo's look."""
from __future__ import annotations

import pytest

pytest.importorskip("ipywidgets")

from jupyter_flow import render  # noqa: E402
from jupyter_flow.notebook import graph as G  # noqa: E402
from jupyter_flow.notebook.svg import draw  # noqa: E402

HIT = {"hit": True, "key": "k" * 64, "cacheName": "jupyter-flow"}
ARGO_HIT = {"hit": True, "key": "mine", "cacheName": "my-cache"}


def _node(memo=None):
    d = {"id": "n", "name": "wf.prep", "displayName": "prep", "type": "Pod", "phase": "Succeeded"}
    if memo:
        d["memoizationStatus"] = memo
    return d


def test_classes_and_stylesheet_mark_a_cache_hit_only():
    assert G.node_classes(_node(HIT)).split() == ["Pod", "Succeeded", "Cached"]
    assert "Cached" not in G.node_classes(_node(ARGO_HIT)) and "Cached" not in G.node_classes(_node())
    rules = {r["selector"]: r["style"] for r in G.stylesheet()}
    assert rules["node.Cached"]["border-color"] == G.CACHED


def test_svg_picture_draws_a_hit_with_the_cached_stroke():
    nodes = {"a": G.GNode(id="a", label="prep", classes="Pod Succeeded Cached", tip="prep"),
             "b": G.GNode(id="b", label="train", classes="Pod Succeeded", tip="train")}
    svg = draw(nodes, [G.GEdge("a", "b")], G.layered_positions(nodes, [G.GEdge("a", "b")]))
    assert svg.count(f'stroke="{G.CACHED}"') == 1


def test_text_tree_glyph_and_message():
    assert render.cache_hit(_node(HIT)) and not render.cache_hit(_node(ARGO_HIT))
    assert "↺" in render._node_icon(_node(HIT), False, True)
    assert render._node_icon(_node(ARGO_HIT), False, True) == render.phase_symbol("Succeeded")
