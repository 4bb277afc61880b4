"""The picture of a run (picture/groups.py, served by ``GET runs/NAME/graph`` and drawn by the
widget) is hostile workflow data: its size stays within the drawing budget whatever the shape of
the run, and its text is inert in every renderer."""
from __future__ import annotations

import json

import pytest

from jupyter_flow.notebook import svg
from jupyter_flow.picture.groups import BUDGET, Picture
from jupyter_flow.server.picture import run_picture

XSS = '<script>alert(1)</script><img src=x onerror=alert(2)>"}</style><style>*{fill:red}'


def chain(n: int, name: str = "wf") -> dict:
    """``status.nodes`` of a steps template of ``n`` steps one after another, as Argo nests them:
    the root Steps node, then a StepGroup and its Pod per step, each Pod leading to the next group."""
    nodes = {name: {"id": name, "name": name, "displayName": name, "type": "Steps", "phase": "Running",
                    "children": [f"{name}-g0"]}}
    for i in range(n):
        nodes[f"{name}-g{i}"] = {"id": f"{name}-g{i}", "name": f"{name}[{i}]", "displayName": f"[{i}]",
                                 "type": "StepGroup", "phase": "Succeeded", "boundaryID": name,
                                 "children": [f"{name}-p{i}"]}
        nodes[f"{name}-p{i}"] = {"id": f"{name}-p{i}", "name": f"{name}[{i}].s{i}", "displayName": f"s{i}",
                                 "type": "Pod", "phase": "Succeeded", "boundaryID": name,
                                 "children": [f"{name}-g{i + 1}"] if i < n - 1 else []}
    return nodes


def test_a_long_chain_of_steps_is_drawn_within_the_budget():
    """20,000 steps in a row had no fan-out to group and nothing but the root around them: all
    40,001 nodes were laid out and sent (a 100,000-step run: 13 s and 23 MB every poll)."""
    wf = {"metadata": {"name": "wf"}, "status": {"phase": "Running", "nodes": chain(20_000)}}
    out = run_picture(wf)
    drawn = out["graph"]["nodes"]
    assert len(drawn) <= BUDGET + 10 and out["total"] == 40_001
    assert len(json.dumps(out)) < 1_000_000
    more = [n for n in drawn if "Group" in n["classes"].split()]
    assert len(more) == 1 and more[0]["data"]["n"] == 40_000 - BUDGET
    gid = more[0]["data"]["id"]
    # a click opens PAGE more; a search reveals the last step wherever it is
    assert len(run_picture(wf, opened=[gid])["graph"]["nodes"]) > len(drawn)
    found = run_picture(wf, find="s19999")
    assert found["found"] == "wf-p19999"
    assert "wf-p19999" in {n["data"]["id"] for n in found["graph"]["nodes"]}


def test_hostile_display_names_are_text_in_the_picture_and_its_svg():
    nodes = chain(3)
    for n in nodes.values():
        n["displayName"] = XSS
        n["templateName"] = XSS
    pic = Picture("wf")
    els = pic.set_nodes(nodes)
    page = svg.draw(els.nodes, els.edges.values(), {nid: {"x": 10.0 * i, "y": 0.0} for i, nid in enumerate(els.nodes)})
    for raw in ("<script", "<img", "</style", "<style"):
        assert raw not in page
    # the server's JSON carries plain text for the page to set as text (title, cytoscape label)
    out = run_picture({"metadata": {"name": "wf"}, "status": {"nodes": nodes}})
    assert {n["data"]["label"] for n in out["graph"]["nodes"] if n["data"]["label"]} == {XSS}
    assert all(rule["selector"].startswith(("node", "edge")) for rule in out["style"])
    assert XSS not in json.dumps(out["style"])


def test_find_is_plain_text_never_a_pattern():
    """``find=`` is compared as text (a name containing it, or a phase), never compiled: a pattern
    finds only a node whose name holds those very characters."""
    nodes = chain(50)
    nodes["wf-p7"]["displayName"] = "(a+)+$"
    wf = {"metadata": {"name": "wf"}, "status": {"phase": "Running", "nodes": nodes}}
    assert run_picture(wf, find="(a+)+$")["found"] == "wf-p7"
    for pattern in (".*", "s[0-9]+", "^wf", "(x+x+)+y", "\\"):
        assert run_picture(wf, find=pattern)["found"] is None
    assert run_picture(wf, find="a" * 4000 + "!")["found"] is None


def test_picture_queries_over_their_bounds_are_refused():
    """What the endpoint answers 400 (``PictureRequestError``) rather than working through."""
    from jupyter_flow.server.picture import MAX_OPEN, PictureRequestError
    wf = {"metadata": {"name": "wf"}, "status": {"nodes": chain(3)}}
    for kwargs in ({"opened": ["wf::more"] * (MAX_OPEN + 1)}, {"reveal": ["wf-p1"] * (MAX_OPEN + 1)},
                   {"opened": ["x" * 5000]}, {"node": "x" * 5000}, {"find": "x" * 5000}):
        with pytest.raises(PictureRequestError):
            run_picture(wf, **kwargs)
    # ids that name nothing change nothing
    plain = run_picture(wf)["graph"]
    assert run_picture(wf, opened=["../../etc", "wf-p1::group"], reveal=["nope"], node="nope")["graph"] == plain
