"""What the DAG view draws for Argo node trees (pure: no widgets)."""
from __future__ import annotations

from jupyter_flow.notebook import graph as G


def _n(id, name, display, type_, phase="Succeeded", children=(), boundary="", **extra):
    d = {"id": id, "name": name, "displayName": display, "type": type_, "phase": phase, "boundaryID": boundary,
         "templateName": extra.pop("template", "t")}
    if children:
        d["children"] = list(children)
    d.update(extra)
    return d


def steps_tree():
    """wf: [0] loop fan(0:a), fan(1:b) -> [1] flaky (Retry: flaky(0) Failed, flaky(1) Succeeded); onExit."""
    return {n["id"]: n for n in [
        _n("wf", "wf", "wf", "Steps", children=["g0"], outboundNodes=["r1"]),
        _n("g0", "wf[0]", "[0]", "StepGroup", children=["fa", "fb"], boundary="wf"),
        _n("fa", "wf[0].fan(0:a)", "fan(0:a)", "Pod", children=["g1"], boundary="wf"),
        _n("fb", "wf[0].fan(1:b)", "fan(1:b)", "Pod", children=["g1"], boundary="wf"),
        _n("g1", "wf[1]", "[1]", "StepGroup", children=["r"], boundary="wf"),
        _n("r", "wf[1].flaky", "flaky", "Retry", children=["r0", "r1"], boundary="wf"),
        _n("r0", "wf[1].flaky(0)", "flaky(0)", "Pod", phase="Failed", boundary="wf"),
        _n("r1", "wf[1].flaky(1)", "flaky(1)", "Pod", boundary="wf"),
        _n("x", "wf.onExit", "wf.onExit", "Pod", phase="Running"),
    ]}


def test_every_node_is_drawn_with_type_and_phase_classes():
    els = G.elements(steps_tree(), "wf")
    assert set(els.nodes) == set(steps_tree())
    assert els.nodes["wf"].classes == "Steps Succeeded"
    assert els.nodes["g0"].classes == "StepGroup Succeeded"
    assert els.nodes["g0"].label == ""              # groups are dots; the tooltip names them
    assert "[0]" in els.nodes["g0"].tip
    assert els.nodes["r"].classes == "Retry Succeeded"
    assert els.nodes["r0"].classes == "Pod Failed"
    assert els.nodes["fa"].label == "fan(0:a)"       # loop children keep Argo's display names
    assert els.nodes["x"].classes == "Pod Running onExit"


def test_edges_follow_children_and_onexit_hangs_off_the_outbound_nodes():
    els = G.elements(steps_tree(), "wf")
    pairs = {(e.source, e.target) for e in els.edges.values()}
    assert {("wf", "g0"), ("g0", "fa"), ("g0", "fb"), ("fa", "g1"), ("fb", "g1"), ("g1", "r"),
            ("r", "r0"), ("r", "r1")} <= pairs
    exit_edges = [e for e in els.edges.values() if e.target == "x"]
    assert [(e.source, e.classes) for e in exit_edges] == [("r1", "onExit")]


def test_children_that_are_not_known_yet_draw_no_dangling_edge():
    tree = steps_tree()
    del tree["g1"]
    els = G.elements(tree, "wf")
    assert all(e.target in els.nodes and e.source in els.nodes for e in els.edges.values())


def test_suspended_node_and_selection_classes():
    tree = {"wf": _n("wf", "wf", "wf", "Steps", phase="Running", children=["s"]),
            "s": _n("s", "wf[0].approve", "approve", "Suspend", phase="Running", boundary="wf")}
    els = G.elements(tree, "wf", selected="s")
    assert els.nodes["s"].classes == "Suspend Suspended picked"


def test_tooltips_are_escaped():
    tree = {"wf": _n("wf", "wf", "fan(0:<img src=x onerror=alert(1)>)", "Pod", template='"><script>')}
    tip = G.elements(tree, "wf").nodes["wf"].tip
    assert "<" not in tip and ">" not in tip and '"' not in tip
    assert "&lt;img src=x onerror=alert(1)&gt;" in tip


def test_stylesheet_has_a_colour_for_every_phase_and_a_legend():
    selectors = " ".join(s["selector"] for s in G.stylesheet())
    for phase in G.PHASE_COLOURS:
        assert f"node.{phase}" in selectors
        assert phase in G.legend_html()


def test_large_fan_outs_collapse_into_a_group_node_with_phase_counts():
    kids = [f"k{i}" for i in range(100)]
    tree = {"wf": _n("wf", "wf", "wf", "DAG", phase="Running", children=["tg"]),
            "tg": _n("tg", "wf.loop", "loop", "TaskGroup", phase="Running", children=kids, boundary="wf")}
    for i, k in enumerate(kids):
        tree[k] = _n(k, f"wf.loop({i})", f"loop({i}:{i})", "Pod", boundary="wf", children=["next"],
                     phase="Failed" if i == 77 else "Succeeded")
    tree["next"] = _n("next", "wf.next", "next", "Pod", phase="Pending", boundary="wf")
    els = G.elements(tree, "wf")
    assert set(els.nodes) == {"wf", "tg", "tg::group", "next"}
    group = els.nodes["tg::group"]
    assert group.label == "loop \u00d7100" and group.classes == "Group Failed"
    assert group.counts == (("Failed", 1), ("Succeeded", 99))
    assert "1 Failed" in group.tip and "99 Succeeded" in group.tip
    data = G.node_data(group)
    assert data["n"] == 100 and data["p0"] == 99.0 and data["p4"] == 1.0     # PIE_PHASES order
    pairs = {(e.source, e.target) for e in els.edges.values()}
    assert pairs == {("wf", "tg"), ("tg", "tg::group"), ("tg::group", "next")}
    assert els.hidden["k99"] == "tg::group" and els.hidden["k0"] == "tg::group"
    # opened: everything drawn
    assert len(G.elements(tree, "wf", expanded={"tg::group"}).nodes) == 103


def test_layered_positions_top_to_bottom_without_overlap():
    nodes = {i: G.GNode(i, i, "Pod Pending", i) for i in ("a", "b", "c", "d", "e")}
    nodes["g"] = G.GNode("g", "", "StepGroup Running", "g")
    edges = [G.GEdge("a", "b"), G.GEdge("a", "c"), G.GEdge("b", "d"), G.GEdge("c", "d"), G.GEdge("d", "g"),
             G.GEdge("a", "e")]
    pos = G.layered_positions(nodes, edges)
    assert set(pos) == set(nodes)
    assert pos["a"]["y"] < pos["b"]["y"] == pos["c"]["y"] == pos["e"]["y"] < pos["d"]["y"] < pos["g"]["y"]
    row = sorted((pos[i]["x"], i) for i in ("b", "c", "e"))
    for (x1, i1), (x2, i2) in zip(row, row[1:]):      # neighbours in a rank never overlap
        assert x2 - x1 >= (G.node_width(nodes[i1]) + G.node_width(nodes[i2])) / 2 + G.NODE_SEP - 0.2
    assert pos == G.layered_positions(nodes, edges)   # deterministic: a redraw does not shuffle
    # a cycle (never in Argo's node tree) still places every node
    cyc = G.layered_positions(nodes, edges + [G.GEdge("g", "a")])
    assert set(cyc) == set(nodes)
