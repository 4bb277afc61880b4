"""GET runs/NAME/graph: the grouped picture the lab's run view draws (one source with the widget)."""
from __future__ import annotations

from jupyter_flow.picture.style import stylesheet

from .test_rest import api, submit_wait

LOOP = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: loop-
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: work
        template: say
        arguments: {parameters: [{name: n, value: "{{item}}"}]}
        withSequence: {count: "40"}
  - name: say
    inputs: {parameters: [{name: n}]}
    container: {image: busybox, command: [echo], args: ["{{inputs.parameters.n}}"]}
"""


async def test_graph_endpoint_groups_a_loop_and_opens_and_finds(jp_fetch):
    wf = await submit_wait(jp_fetch, LOOP)
    name = wf["metadata"]["name"]
    code, data = await api(jp_fetch, "runs", name, "graph")
    assert code == 200, data
    assert data["style"] == stylesheet()                        # the widget's own stylesheet
    assert data["total"] == 42 and data["wf"]["status"]["nodes"] == {}  # no nodes sent but the asked one
    assert data["wf"]["status"]["phase"] == "Succeeded"
    nodes = {n["data"]["id"]: n for n in data["graph"]["nodes"]}
    groups = [n for n in nodes.values() if "Group" in n["classes"].split()]
    assert len(groups) == 1 and len(nodes) == 3               # root, the step group, the loop's group
    group = groups[0]
    assert group["classes"] == "Group Succeeded" and group["data"]["n"] == 40 and group["data"]["p0"] == 100.0
    assert group["data"]["label"] == "work \u00d740" and "position" in group
    assert all(e["data"]["source"] in nodes and e["data"]["target"] in nodes for e in data["graph"]["edges"])
    # a click on the group (open=) draws its members
    code, opened = await api(jp_fetch, "runs", name, "graph", params={"open": group["data"]["id"]})
    assert code == 200 and len(opened["graph"]["nodes"]) == 42
    # find by name: revealed, found, and the panel's node comes with ?node=
    pod = "work(7:7)"
    code, found = await api(jp_fetch, "runs", name, "graph", params={"find": pod})
    hit = found["found"]
    assert hit and any(n["data"]["id"] == hit and "found" in n["classes"] for n in found["graph"]["nodes"])
    code, one = await api(jp_fetch, "runs", name, "graph", params={"node": hit, "reveal": hit})
    assert list(one["wf"]["status"]["nodes"]) == [hit]
    assert hit in {n["data"]["id"] for n in one["graph"]["nodes"]}     # the next polls keep it drawn
    assert one["wf"]["status"]["nodes"][hit]["displayName"] == pod


async def test_graph_endpoint_refuses_bad_queries(jp_fetch):
    wf = await submit_wait(jp_fetch)
    name = wf["metadata"]["name"]
    code, _ = await api(jp_fetch, "runs", name, "graph", params={"find": "x" * 5000})
    assert code == 400
    code, _ = await api(jp_fetch, "runs", "missing-run", "graph")
    assert code == 404
    code, data = await api(jp_fetch, "runs", name, "graph", params={"find": "<img src=x onerror=alert(1)>"})
    assert code == 200 and data["found"] is None


def test_the_picture_says_when_a_suspend_step_waits():
    """The view gets no nodes, yet Resume must be offered while a Suspend step waits (Argo UI's
    isWorkflowSuspended) and Suspend while none does."""
    from jupyter_flow.server.picture import run_picture

    def wf(phase, suspend_phase):
        return {"metadata": {"name": "w"}, "status": {"phase": phase, "nodes": {
            "w": {"id": "w", "name": "w", "displayName": "w", "type": "Steps", "phase": phase, "children": ["a"]},
            "a": {"id": "a", "name": "w[0].approve", "displayName": "approve", "type": "Suspend",
                  "phase": suspend_phase}}}}
    assert run_picture(wf("Running", "Running"))["suspended"] is True
    assert run_picture(wf("Running", "Succeeded"))["suspended"] is False
    assert run_picture(wf("Failed", "Running"))["suspended"] is False
