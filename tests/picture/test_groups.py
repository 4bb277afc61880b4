"""What a picture of a big run draws (picture.groups): group nodes, budgets, opening, search."""
from __future__ import annotations

from jupyter_flow.picture import groups as GR
from jupyter_flow.picture.groups import Picture, grouped
from jupyter_flow.picture.style import PIE_PHASES, node_data, stylesheet


def _n(id, type_, phase="Succeeded", children=(), boundary="", display=None):
    return {"id": id, "name": id, "displayName": display or id, "type": type_, "phase": phase,
            "boundaryID": boundary, "children": list(children)}


def loop_run(n: int, *, failed=()):
    """wf (Steps) -> [0] (StepGroup) -> n loop pods -> [1] -> done."""
    kids = [f"p{i}" for i in range(n)]
    nodes = {"wf": _n("wf", "Steps", "Running", ["g0"]), "g0": _n("g0", "StepGroup", "Running", kids, "wf")}
    for i, k in enumerate(kids):
        nodes[k] = _n(k, "Pod", "Failed" if i in failed else "Succeeded", ["g1"], "wf", f"work({i}:{i})")
    nodes["g1"] = _n("g1", "StepGroup", "Pending", ["done"], "wf")
    nodes["done"] = _n("done", "Pod", "Pending", (), "wf")
    return nodes


def nested_run(subs: int, per: int):
    """wf (DAG) with ``subs`` sub-DAG tasks of ``per`` pods each (under FANOUT: no loop groups)."""
    nodes = {"wf": _n("wf", "DAG", "Running", [f"s{j}" for j in range(subs)])}
    for j in range(subs):
        pods = [f"s{j}p{i}" for i in range(per)]
        nodes[f"s{j}"] = _n(f"s{j}", "DAG", "Running", pods[:1], "wf")
        for i, p in enumerate(pods):
            nodes[p] = _n(p, "Pod", "Running" if i == 0 else "Succeeded",
                          [pods[i + 1]] if i + 1 < per else [], f"s{j}")
    return nodes


def test_a_loop_fan_out_is_one_group_with_counts_and_the_flow_goes_through_it():
    els = grouped(loop_run(1000, failed={5, 6}), "wf")
    assert set(els.nodes) == {"wf", "g0", "g0::group", "g1", "done"}
    g = els.nodes["g0::group"]
    assert g.classes == "Group Failed" and g.counts == (("Failed", 2), ("Succeeded", 998))
    assert g.label == "work \u00d71000"
    pairs = {(e.source, e.target) for e in els.edges.values()}
    assert pairs == {("wf", "g0"), ("g0", "g0::group"), ("g0::group", "g1"), ("g1", "done")}
    data = node_data(g)
    assert data["n"] == 1000 and data[f"p{PIE_PHASES.index('Failed')}"] == 0.2
    assert sum(data[f"p{i}"] for i in range(len(PIE_PHASES))) == 100.0


def test_small_fan_outs_are_drawn_whole():
    els = grouped(loop_run(GR.FANOUT), "wf")
    assert "g0::group" not in els.nodes and len(els.nodes) == GR.FANOUT + 4


def test_opening_a_group_draws_a_page_of_members_and_the_rest_stays_grouped():
    pic = Picture("wf")
    pic.set_nodes(loop_run(1200))
    assert pic.is_group("g0::group")
    pic.open("g0::group")
    els = pic.elements
    assert "p0" in els.nodes and f"p{GR.PAGE - 1}" in els.nodes and f"p{GR.PAGE}" not in els.nodes
    assert els.nodes["g0::group"].counts == (("Succeeded", 1200 - GR.PAGE),)
    pic.open("g0::group")
    pic.open("g0::group")
    assert "g0::group" not in pic.elements.nodes and len(pic.elements.nodes) == 1204


def test_past_the_budget_sub_dags_collapse_innermost_first_and_open_on_click():
    nodes = nested_run(25, 40)           # 1,026 nodes, no loop
    assert len(grouped(nodes, "wf").nodes) == len(nodes)        # under the default budget
    pic = Picture("wf", budget=200)
    els = pic.set_nodes(nodes)
    assert len(els.nodes) <= 200
    collapsed = [nid for nid, n in els.nodes.items() if "Group" in n.classes.split()]
    assert collapsed and all(nid.startswith("s") and "p" not in nid for nid in collapsed)
    s0 = next(c for c in collapsed)
    assert els.nodes[s0].counts == (("Running", 1), ("Succeeded", 39))
    assert "wf" in els.nodes and "Group" not in els.nodes["wf"].classes     # the root never collapses
    pic.open(s0)
    assert f"{s0}p39" in pic.elements.nodes and "Group" not in pic.elements.nodes[s0].classes


def test_phase_changes_update_only_the_group_they_fall_in_without_a_rebuild():
    nodes = loop_run(5000)
    pic = Picture("wf")
    pic.set_nodes(nodes)
    drawn = pic.elements
    structure = pic.structure
    for i in range(1000):
        touched = pic.update({f"p{i}": dict(nodes[f"p{i}"], phase="Running")})
        assert touched == {"g0::group"}
    assert pic.elements is drawn and pic.structure is structure     # no rebuild: O(changes), not O(nodes)
    assert pic.elements.nodes["g0::group"].counts == (("Running", 1000), ("Succeeded", 4000))
    assert pic.elements.nodes["g0::group"].classes == "Group Running"
    # a new node is structure: rebuilt
    assert pic.update({"extra": _n("extra", "Pod", "Pending", (), "wf")}) is None
    assert "extra" in pic.elements.nodes


def test_search_finds_by_phase_or_name_and_reveals_inside_its_groups():
    nodes = nested_run(25, 40)
    nodes["s7p13"]["phase"] = "Error"
    pic = Picture("wf", budget=200)
    pic.set_nodes(nodes)
    assert "s7p13" not in pic.elements.nodes
    assert pic.focus("error") == "s7p13"
    assert "s7p13" in pic.elements.nodes and "found" in pic.elements.nodes["s7p13"].classes.split()
    assert "s7" in pic.elements.nodes and "Group" not in pic.elements.nodes["s7"].classes
    assert pic.find("S3P2") == "s3p2"          # names, case-insensitive (first match)
    assert pic.find("nothing-like-it") is None and pic.find("  ") is None


def test_retry_attempts_belong_to_their_retry_node():
    kids = [f"r{i}" for i in range(GR.FANOUT + 5)]
    nodes = {"wf": _n("wf", "Steps", "Running", ["g0"]), "g0": _n("g0", "StepGroup", "Running", kids, "wf")}
    for k in kids:
        nodes[k] = _n(k, "Retry", "Succeeded", [f"{k}a0", f"{k}a1"], "wf")
        nodes[f"{k}a0"] = _n(f"{k}a0", "Pod", "Failed", (), "wf")
        nodes[f"{k}a1"] = _n(f"{k}a1", "Pod", "Succeeded", (), "wf")
    els = grouped(nodes, "wf")
    assert set(els.nodes) == {"wf", "g0", "g0::group"}
    assert dict(els.nodes["g0::group"].counts) == {"Succeeded": 2 * len(kids), "Failed": len(kids)}


def test_hostile_structure_and_names_are_safe():
    # a boundary cycle (never in Argo data) terminates; names reach the tooltip escaped
    nodes = {"a": _n("a", "DAG", "Running", ["b"], "b"), "b": _n("b", "DAG", "Running", [], "a")}
    els = grouped(nodes, "a")
    assert set(els.nodes) <= {"a", "b"}
    kids = [f"k{i}" for i in range(40)]
    nodes = {"wf": _n("wf", "DAG", "Running", kids)}
    for i, k in enumerate(kids):
        nodes[k] = _n(k, "Pod", "Running", (), "wf", display=f"<img src=x onerror=alert(1)>({i}:x)")
    g = grouped(nodes, "wf").nodes["wf::group"]
    assert "<" not in g.tip and "&lt;img" in g.tip


def test_the_stylesheet_draws_groups_as_pies_in_the_phase_palette():
    style = {s["selector"]: s["style"] for s in stylesheet()}
    group = style["node.Group"]
    for i, phase in enumerate(PIE_PHASES):
        assert group[f"pie-{i + 1}-background-size"] == f"mapData(p{i}, 0, 100, 0, 100)"
    assert style["node"]["min-zoomed-font-size"] >= 8     # labels only where readable
    assert "node.found" in style
