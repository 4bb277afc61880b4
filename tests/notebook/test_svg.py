"""The graph as a picture (notebook/svg.py) and the switch to it when the page lacks the lab extension."""
from __future__ import annotations

import asyncio
import time

import pytest

pytest.importorskip("ipywidgets")

from jupyter_flow.notebook import graph as G  # noqa: E402
from jupyter_flow.notebook import widget as widget_mod  # noqa: E402
from jupyter_flow.notebook.dagmodel import DagRenderer, default_renderer  # noqa: E402
from jupyter_flow.notebook.svg import SvgRenderer, draw  # noqa: E402
from jupyter_flow.notebook.widget import RunWidget  # noqa: E402

from .test_widget import _synthetic, until  # noqa: E402


def gnode(nid: str, label: str, classes: str, tip: str = "") -> G.GNode:
    return G.GNode(id=nid, label=label, classes=classes, tip=tip or label)


def test_picture_colours_phases_escapes_text_and_draws_edges():
    nodes = {"a": gnode("a", "fetch <data>", "Pod Succeeded", "fetch &lt;data&gt; \u00b7 t"),
             "b": gnode("b", "train", "Pod Failed"),
             "g": gnode("g", "", "StepGroup Running")}
    edges = [G.GEdge("a", "g"), G.GEdge("g", "b")]
    svg = draw(nodes, edges, G.layered_positions(nodes, edges))
    assert svg.count("<line ") == 2 and svg.count("<rect ") == 2 and svg.count("<circle ") == 1
    assert G.PHASE_COLOURS["Succeeded"] in svg and G.PHASE_COLOURS["Failed"] in svg
    assert "fetch &lt;data&gt;" in svg and "<data>" not in svg
    assert "<title>fetch &lt;data&gt; \u00b7 t</title>" in svg        # the tip once escaped, not twice
    assert draw({}, [], {}).startswith('<div class="jf-dag-svg"')


def test_renderer_redraws_on_change_only_and_the_dropdown_stands_in_for_clicks():
    r = SvgRenderer()
    clicked = []
    r.on_click(clicked.append)
    r.add([gnode("a", "a", "Pod Pending"), gnode("b", "b", "Pod Pending")], [G.GEdge("a", "b")])
    assert r.node_ids() == {"a", "b"} and r.edge_ids() == {"a->b"}
    assert [v for _, v in r.picker.options] == ["", "a", "b"]
    drawn, picture = r.messages, r.picture.value
    assert r.update_many([gnode("a", "a", "Pod Pending")]) == 0 and r.messages == drawn
    assert r.update(gnode("a", "a", "Pod Succeeded")) and r.messages == drawn + 1
    # a phase change restyles through the small <style> widget: the picture is not sent again
    assert r.picture.value == picture and r.picture_draws == 1
    assert f".{r.uid} .n0>rect:first-of-type" in r.paint.value and G.PHASE_COLOURS["Succeeded"] in r.paint.value
    assert ".n1" not in r.paint.value
    assert r.state()["a"]["classes"] == "Pod Succeeded" and set(r.state()["a"]["position"]) == {"x", "y"}
    r.picker.value = "b"
    assert clicked == ["b"]
    r.replace([gnode("c", "c", "Pod Running")], [])        # a new structure resets the dropdown quietly
    assert r.picker.value == "" and clicked == ["b"] and r.node_ids() == {"c"}


def test_groups_draw_a_stacked_bar_that_follows_their_counts_without_a_redraw():
    from jupyter_flow.picture.groups import Picture
    kids = [f"k{i}" for i in range(50)]
    nodes = {"wf": {"id": "wf", "name": "wf", "type": "DAG", "phase": "Running", "children": ["tg"]},
             "tg": {"id": "tg", "name": "wf.loop", "displayName": "loop", "type": "TaskGroup", "phase": "Running",
                    "boundaryID": "wf", "children": kids}}
    for i, k in enumerate(kids):
        nodes[k] = {"id": k, "name": f"wf.loop({i})", "displayName": f"loop({i}:{i})", "type": "Pod",
                    "phase": "Succeeded" if i < 25 else "Running", "boundaryID": "wf"}
    pic = Picture("wf")
    els = pic.set_nodes(nodes)
    r = SvgRenderer()
    r.add(els.nodes.values(), els.edges.values())
    svg = r.picture.value
    assert "loop \u00d750" in svg and svg.count('class="b') == 8        # one segment per phase of the bar
    group_index = list(r._gnodes).index("tg::group")
    # half the loop fails: the group's ring and its bar change in the <style> widget only
    for i in range(25, 50):
        pic.update({f"k{i}": dict(nodes[f"k{i}"], phase="Failed")})
    r.update_many(pic.elements.nodes[t] for t in ["tg::group"])
    assert r.picture.value == svg and r.picture_draws == 1
    paint = r.paint.value
    assert f".n{group_index}>rect:first-of-type" in paint and G.PHASE_COLOURS["Failed"] in paint
    assert f".n{group_index}>.b4{{" in paint        # the Failed segment (PIE_PHASES[4]) got its width


@pytest.mark.parametrize("value, kind, fallback", [
    ("", DagRenderer, True), ("dag", DagRenderer, False), ("lab", DagRenderer, False),
    ("svg", SvgRenderer, None), ("whatever", DagRenderer, True)])
def test_graph_choice(monkeypatch, value, kind, fallback):
    monkeypatch.setenv("JUPYTER_FLOW_GRAPH", value)
    r = default_renderer()()
    assert isinstance(r, kind)
    if fallback is not None:
        assert r.fallback is fallback and r.awaits_frontend is fallback


def _graph_kind(w: RunWidget) -> type:
    assert w.body.children[0] is w.graph.widget      # what is shown is what the widget draws with
    return type(w.graph)


def test_no_answer_from_the_page_means_a_picture_and_a_late_answer_brings_the_graph_back(store, monkeypatch):
    monkeypatch.setattr(widget_mod, "FRONTEND_WAIT_S", 0.05)
    run, ctl = _synthetic(store, 3)
    w = RunWidget(run)
    lab = w.graph

    async def displayed_then_idle():
        w.check_frontend()
        w.check_frontend()                               # a second display arms nothing more
        await asyncio.sleep(0.3)
    asyncio.run(displayed_then_idle())
    assert _graph_kind(w) is SvgRenderer and w.graph.node_ids() == lab.node_ids()
    assert "p1" in w.graph.picture.value
    # the picture follows the run
    node = ctl.nodes["synthetic-1"]
    node.phase, node.finished_at = "Succeeded", time.time()
    ctl.emit({"kind": "node", "run": ctl.name, "node": node.to_dict()})
    assert until(lambda: w.graph.state()["synthetic-1"]["classes"] == "Pod Succeeded", 2.0)
    # the dropdown opens a node in the side panel, as a click would
    w.graph.picker.value = "synthetic-2"
    assert w.selected == "synthetic-2"
    # the page answers after all: the lab extension's graph again, with the current phases
    lab._message(lab.widget, {"event": "ready"}, [])
    assert _graph_kind(w) is DagRenderer and w.graph is lab
    assert lab.state()["synthetic-1"]["classes"] == "Pod Succeeded"
    lab._message(lab.widget, {"event": "click", "id": "synthetic-0"}, [])
    assert w.selected == "synthetic-0"


def test_a_page_that_answers_keeps_the_graph(store, monkeypatch):
    monkeypatch.setattr(widget_mod, "FRONTEND_WAIT_S", 0.05)
    run, _ = _synthetic(store, 2)
    w = RunWidget(run)

    async def displayed_and_answered():
        w.check_frontend()
        w.graph._message(w.graph.widget, {"event": "ready"}, [])
        await asyncio.sleep(0.2)
    asyncio.run(displayed_and_answered())
    assert _graph_kind(w) is DagRenderer
    w.check_frontend()                                   # no loop, nothing to wait for: no error


def test_a_busy_kernel_waits_another_round_instead_of_deciding(store, monkeypatch):
    """A check that runs late (a cell held the loop) may be ahead of the page's queued answer."""
    monkeypatch.setattr(widget_mod, "FRONTEND_WAIT_S", 0.1)
    monkeypatch.setattr(widget_mod, "FRONTEND_LATE_S", 0.05)
    run, _ = _synthetic(store, 2)
    w = RunWidget(run)
    seen = []

    async def busy_then_answered():
        w.check_frontend()
        time.sleep(0.3)                                  # a cell runs: the check comes late
        await asyncio.sleep(0.02)
        seen.append(type(w.graph))                       # not decided yet: armed again
        w.graph._message(w.graph.widget, {"event": "ready"}, [])   # the queued answer
        await asyncio.sleep(0.25)
    asyncio.run(busy_then_answered())
    assert seen == [DagRenderer] and _graph_kind(w) is DagRenderer
