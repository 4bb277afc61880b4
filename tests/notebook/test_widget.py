"""The run widget's model state, in this process (widgets without a frontend; messages counted)."""
from __future__ import annotations

import base64
import threading
import time

import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("ipycytoscape")

import jupyter_flow  # noqa: E402
from jupyter_flow.notebook.widget import RunWidget  # noqa: E402

# 1x1 PNG
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


def wf(templates: str, entry: str = "main", name: str = "w-") -> str:
    return f"""apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {{generateName: {name}}}
spec:
  entrypoint: {entry}
  templates:
{templates}"""


PY = """    script:
      image: python:3.11
      command: [python]
      source: |
"""


def until(cond, timeout=5.0, step=0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


def classes(w) -> dict[str, str]:
    """display name -> classes, for the drawn nodes."""
    return {w.nodes[nid]["displayName"]: st["classes"] for nid, st in w.graph.state().items()}


LOOP_RETRY = wf("""  - name: main
    steps:
    - - name: fan
        template: echo
        arguments: {parameters: [{name: m, value: "{{item}}"}]}
        withItems: [a, b, c]
    - - name: flaky
        template: flaky
  - name: echo
    inputs: {parameters: [{name: m}]}
""" + PY + """        print("{{inputs.parameters.m}}")
  - name: flaky
    retryStrategy: {limit: 1}
""" + PY + """        import sys; sys.exit(3)
""")


def test_graph_after_a_run_shows_groups_loops_and_retries(store):
    run = jupyter_flow.submit(LOOP_RETRY, wait=True, store=store)
    w = RunWidget(run)
    got = classes(w)
    assert got[run.name] == "Steps Failed"
    assert got["[0]"] == "StepGroup Succeeded" and got["[1]"] == "StepGroup Failed"
    assert {got[f"fan({i}:{x})"] for i, x in enumerate("abc")} == {"Pod Succeeded"}
    assert got["flaky"] == "Retry Failed"
    assert got["flaky(0)"] == got["flaky(1)"] == "Pod Failed"
    by_name = {n["displayName"]: nid for nid, n in w.nodes.items()}
    edges = w.graph.edge_ids()
    assert f'{by_name["[0]"]}->{by_name["fan(0:a)"]}' in edges
    assert f'{by_name["fan(2:c)"]}->{by_name["[1]"]}' in edges
    assert f'{by_name["flaky"]}->{by_name["flaky(1)"]}' in edges
    # header: name, phase, progress; Retry offered, Stop and Resume hidden
    assert run.name in w.header.value and "Failed" in w.header.value and "5/5" in w.header.value
    assert (w.btn_resume.layout.display, w.btn_stop.layout.display, w.btn_retry.layout.display) == \
        ("none", "none", None)
    # laid out in the kernel, top to bottom: parent above child
    pos = {nid: st["position"] for nid, st in w.graph.state().items()}
    assert pos[by_name["[0]"]]["y"] < pos[by_name["fan(0:a)"]]["y"] < pos[by_name["[1]"]]["y"]
    assert pos[by_name["fan(0:a)"]]["y"] == pos[by_name["fan(2:c)"]]["y"]


def test_live_updates_reach_the_final_state_within_a_second(store):
    run = jupyter_flow.submit(wf("""  - name: main
    steps:
    - - {name: one, template: nap}
    - - {name: two, template: nap}
    - - {name: three, template: nap}
  - name: nap
""" + PY + """        import time; time.sleep(0.3); print("done")
"""), store=store)
    w = RunWidget(run)
    assert run.phase in ("Pending", "Running")
    seen_running = []
    while not run.finished:
        seen_running.append(dict(classes(w)))
        time.sleep(0.05)
    finished = time.monotonic()
    assert until(lambda: set(classes(w).get(x) for x in ("one", "two", "three")) == {"Pod Succeeded"}, 1.0)
    assert until(lambda: "Succeeded" in w.header.value, 1.0)
    assert time.monotonic() - finished < 1.0
    assert any("Pod Running" in c.values() for c in seen_running), "no intermediate state was drawn"
    assert w.flushes >= 3 and w.events >= 10


def _synthetic(store, n_pods: int):
    """A controller that never runs: the test drives its nodes and emits events like the engine."""
    from jupyter_flow.api import Run
    from jupyter_flow.engine.controller import Controller
    from jupyter_flow.engine.nodes import Node

    name = "synthetic"
    ctl = Controller({"metadata": {"name": name}, "spec": {"entrypoint": "main", "templates": []}},
                     name=name, store=None)
    root = Node(id=name, name=name, display_name=name, type="DAG", template_name="main", phase="Running")
    ctl.nodes[name] = root
    for i in range(n_pods):
        node = Node(id=f"{name}-{i}", name=f"{name}.p{i}", display_name=f"p{i}", type="Pod",
                    template_name="t", boundary_id=name)
        ctl.nodes[node.id] = node
        root.children.append(node.id)
    ctl.phase = "Running"
    ctl.started_at = time.time()
    return Run(name, store=store, controller=ctl), ctl


def test_a_thousand_phase_changes_become_a_bounded_number_of_widget_updates(store, comm_log):
    run, ctl = _synthetic(store, 20)
    w = RunWidget(run)
    start_msgs = len(comm_log)
    pods = [n for n in ctl.nodes.values() if n.type == "Pod"]
    phases = ["Pending", "Running"]

    def engine():
        for i in range(1000):
            node = pods[i % len(pods)]
            node.phase = phases[(i // len(pods)) % 2]
            ctl.emit({"kind": "node", "run": ctl.name, "node": node.to_dict()})
            time.sleep(0.001)
        for node in pods + [ctl.nodes[ctl.name]]:
            node.phase = "Succeeded"
            node.finished_at = time.time()
            ctl.emit({"kind": "node", "run": ctl.name, "node": node.to_dict()})
        ctl.phase = "Succeeded"
        ctl.finished_at = time.time()
        ctl.emit({"kind": "run", "run": ctl.name, "phase": "Succeeded"})
        ctl.done.set()

    t0 = time.monotonic()
    thread = threading.Thread(target=engine)
    thread.start()
    thread.join()
    emitted_for = time.monotonic() - t0
    last_event = time.monotonic()
    assert until(lambda: set(classes(w).values()) == {"Pod Succeeded", "DAG Succeeded"}, 1.0), classes(w)
    assert time.monotonic() - last_event < 1.0
    time.sleep(0.3)   # nothing else may trickle in
    assert w.events == 1000 + 21 + 1
    # at most ~10 flushes a second while events pour in, plus the final one
    assert w.flushes <= emitted_for * 10 + 3, (w.flushes, emitted_for)
    sent = comm_log[start_msgs:]
    patches = [m for m in sent if m[1] == "custom" and m[2].get("type") == "patch"]
    # each flush sends one patch for all the nodes that changed, and a header
    assert 1 <= len(patches) <= w.flushes
    assert len([m for m in sent if m[1] in ("update", "custom")]) <= w.flushes * 2
    assert not [m for m in sent if m[0] == "comm_open"], "no structural change expected"
    assert not [m for m in sent if "graph" in m[2]], "no structural change expected"


def test_fan_out_is_added_in_batches_not_node_by_node(store, comm_log):
    run, ctl = _synthetic(store, 0)
    w = RunWidget(run)
    root = ctl.nodes[ctl.name]
    from jupyter_flow.engine.nodes import Node
    for i in range(200):
        node = Node(id=f"f{i}", name=f"synthetic.f({i})", display_name=f"f({i}:{i})", type="Pod",
                    boundary_id=ctl.name, phase="Running")
        ctl.nodes[node.id] = node
        root.children.append(node.id)
        ctl.emit({"kind": "node", "run": ctl.name, "node": node.to_dict()})
        ctl.emit({"kind": "node", "run": ctl.name, "node": root.to_dict()})
    # 200 loop children: one group node with their phase counts
    group = f"{ctl.name}::group"
    assert until(lambda: w.graph.state().get(group, {}).get("data", {}).get("n") == 200, 2.0)
    assert len(w.graph.state()) == 1 + 1
    assert w.graph.state()[group]["data"]["label"] == "f \u00d7200"
    # one relayout per batch: the nodes arrived in a burst
    assert w.graph.structural_updates <= 4
    graph_updates = [m for m in comm_log if m[1] == "update" and "graph" in m[2]]
    assert 1 <= len(graph_updates) <= 4
    assert w.graph.state()[group]["classes"] == "Group Running"
    # a member failing turns the group red and moves its pie, without a relayout
    assert until(lambda: not w._struct_deferred, 2.0)
    time.sleep(w.structure_interval + 0.1)      # a batch the worker had already taken lands first
    before = w.graph.structural_updates
    last = ctl.nodes["f199"]
    last.phase = "Failed"
    ctl.emit({"kind": "node", "run": ctl.name, "node": last.to_dict()})
    assert until(lambda: w.graph.state()[group]["classes"] == "Group Failed", 1.0)
    assert w.graph.state()[group]["data"]["p4"] == 0.5        # 1 of 200 Failed (PIE_PHASES[4])
    assert w.graph.structural_updates == before
    # a click on it opens it (the first page of members: all 200 here)
    w.select(group)
    assert len(w.graph.state()) == 201 and group not in w.graph.state()
    assert w.graph.state()["f199"]["classes"] == "Pod Failed"
    assert w.selected is None                   # a group click opens, it does not select


def test_search_reveals_a_node_inside_a_group_and_selects_it(store):
    run, ctl = _synthetic(store, 0)
    w = RunWidget(run)
    root = ctl.nodes[ctl.name]
    from jupyter_flow.engine.nodes import Node
    for i in range(100):
        node = Node(id=f"f{i}", name=f"synthetic.f({i})", display_name=f"f({i}:{i})", type="Pod",
                    boundary_id=ctl.name, phase="Failed" if i == 61 else "Succeeded")
        ctl.nodes[node.id] = node
        root.children.append(node.id)
        ctl.emit({"kind": "node", "run": ctl.name, "node": node.to_dict()})
    ctl.emit({"kind": "node", "run": ctl.name, "node": root.to_dict()})
    group = f"{ctl.name}::group"
    assert until(lambda: group in w.graph.state() and w.graph.state()[group]["data"]["n"] == 100, 2.0)
    # by phase: the one Failed node is drawn on its own, beside the group of the other 99
    assert w.search("failed") == "f61"
    state = w.graph.state()
    assert "f61" in state and "found" in state["f61"]["classes"].split()
    assert state[group]["data"]["n"] == 99 and w.selected == "f61"
    # by name
    assert w.search("f(7:") == "f7" and "f7" in w.graph.state()
    assert w.search("no-such-node") is None and "no match" in w.find_note.value
    # the search box does the same
    w.find.value = "f(42:42)"
    assert w.selected == "f42"


def test_panel_shows_inputs_outputs_and_escaped_log(store):
    evil = "<img src=x onerror=alert(1)>"
    run = jupyter_flow.submit(wf("""  - name: main
    inputs: {parameters: [{name: p, value: "%s"}]}
    outputs:
      parameters:
      - name: out
        valueFrom: {path: /tmp/out.txt}
      artifacts:
      - {name: text, path: /tmp/out.txt}
      - {name: table, path: /tmp/data.csv}
      - {name: picture, path: /tmp/pixel.png}
""" % evil + PY + """        import base64
        open("/tmp/out.txt", "w").write("value <b>bold</b>")
        open("/tmp/data.csv", "w").write("name,score\\n<i>ann</i>,3\\nbob,4\\n")
        open("/tmp/pixel.png", "wb").write(base64.b64decode("%s"))
        print("{{inputs.parameters.p}}")
""" % base64.b64encode(PNG).decode()), wait=True, store=store)
    assert run.phase == "Succeeded", run.to_dict()["status"]
    w = RunWidget(run)
    w.select(run.name)
    info, log = w.panel.info.value, w.panel.log.value
    assert "main" in info and "Succeeded" in info
    assert "&lt;img src=x onerror=alert(1)&gt;" in info and evil not in info       # input parameter, result
    assert "&lt;img src=x onerror=alert(1)&gt;" in log and evil not in log
    assert "value &lt;b&gt;bold&lt;/b&gt;" in info                                   # output parameter
    # the exit code is an output: listed under "outputs" with the output parameters, not under inputs
    heads = [(info.index(h), h) for h in ("<b>inputs</b>", "<b>outputs</b>") if h in info]
    assert [h for _, h in sorted(heads)] == ["<b>inputs</b>", "<b>outputs</b>"]
    outputs_part = info[info.index("<b>outputs</b>"):]
    assert "exit code" in outputs_part and "exit code" not in info[:info.index("<b>outputs</b>")]
    assert outputs_part.index("exit code") < outputs_part.index("value &lt;b&gt;bold&lt;/b&gt;")
    import ipywidgets as W
    kids = w.panel.outputs.children
    previews = {k.value.split("artifact ")[1].split("<")[0]: kids[i + 1] for i, k in enumerate(kids)
                if isinstance(k, W.HTML) and k.value.startswith("<b>artifact ")}
    assert set(previews) == {"text", "table", "picture"}
    assert "value &lt;b&gt;bold&lt;/b&gt;" in previews["text"].value
    table = previews["table"].value
    assert "<table" in table and "&lt;i&gt;ann&lt;/i&gt;" in table and "<i>ann" not in table
    assert isinstance(previews["picture"], W.Image) and previews["picture"].value == PNG
    assert previews["picture"].format == "png"
    # full log downloadable (base64 data URI: the log text never appears raw in the page)
    w.panel.prepare_download()
    link = w.panel.download.value
    assert link.startswith("<a download=") and "base64," in link and "onerror" not in link
    w.select(None)
    assert w.panel.box.layout.display == "none"


def test_log_streams_while_the_node_runs(store):
    run = jupyter_flow.submit(wf("""  - name: main
""" + PY + """        import time, sys
        for i in range(6):
            print("line", i, flush=True)
            time.sleep(0.25)
"""), store=store)
    w = RunWidget(run)
    until(lambda: run.name in w.nodes, 3)
    w.select(run.name)
    assert until(lambda: "line 1" in w.panel.log.value, 3), w.panel.log.value
    assert not run.finished, "the log must be visible while the step still runs"
    run.wait()
    assert until(lambda: "line 5" in w.panel.log.value, 2)


def test_log_tail_is_limited(store, tmp_path):
    from jupyter_flow.notebook import preview as P
    log = tmp_path / "big.log"
    log.write_text("".join(f"line {i}\n" for i in range(10000)))
    text, size = P.tail(log)
    assert size == log.stat().st_size
    assert text.splitlines()[-1] == "line 9999"
    assert len(text.splitlines()) <= P.LOG_TAIL_LINES + 1
    assert "earlier lines" in text.splitlines()[0]


def test_resume_and_stop_buttons(store):
    run = jupyter_flow.submit(wf("""  - name: main
    steps:
    - - {name: approve, template: approve}
    - - {name: after, template: hello}
  - name: approve
    suspend: {}
  - name: hello
""" + PY + """        print("after approval")
"""), store=store)
    w = RunWidget(run)
    # 10 s: on a loaded 2-core CI machine the run's first steps were once not done within 3 s
    assert until(lambda: w.btn_resume.layout.display is None, 10), "Resume must show while suspended"
    assert "Suspended" in w.header.value
    assert until(lambda: classes(w).get("approve") == "Suspend Suspended", 1)
    w.btn_resume.click()
    assert run.wait(10) == "Succeeded"
    assert until(lambda: classes(w).get("after") == "Pod Succeeded", 1)
    assert until(lambda: w.btn_resume.layout.display == "none" and w.btn_stop.layout.display == "none", 1)

    long = jupyter_flow.submit(wf("""  - name: main
""" + PY + """        import time; time.sleep(30)
"""), store=store)
    w2 = RunWidget(long)
    assert until(lambda: w2.btn_stop.layout.display is None and long.phase == "Running", 3)
    w2.btn_stop.click()
    assert long.wait(10) == "Failed"   # Argo: a stopped workflow is Failed
    assert until(lambda: w2.btn_retry.layout.display is None, 1)


def test_retry_button_reruns_failed_nodes_in_the_same_widget(store):
    run = jupyter_flow.submit(LOOP_RETRY, wait=True, store=store)
    w = RunWidget(run)
    first_ctl = run._live
    w.btn_retry.click()
    assert w.error.value == ""
    assert w.run._live is not first_ctl
    w.run.wait(10)
    assert until(lambda: classes(w).get("flaky") == "Retry Failed" and w.info["phase"] == "Failed", 2)
    assert classes(w)["fan(0:a)"] == "Pod Succeeded"


def test_runs_owned_by_another_process_are_polled_from_the_store(store):
    from jupyter_flow import api
    name, wfd = api.create(wf("""  - name: main
    steps:
    - - {name: one, template: nap}
    - - {name: two, template: nap}
  - name: nap
""" + PY + """        import time; time.sleep(0.4)
"""), store=store)
    api.start_detached(name, store)           # the engine runs in its own process, as `jupyter-flow submit`
    run = api.get(name, store=store)
    assert run._live is None
    w = RunWidget(run, poll_interval=0.2)
    assert w.feed.polling
    assert until(lambda: classes(w).get("one") in ("Pod Running", "Pod Succeeded"), 10)
    assert run.wait(20) == "Succeeded"
    assert until(lambda: classes(w).get("two") == "Pod Succeeded" and "Succeeded" in w.header.value, 1.5)
    assert until(lambda: w.feed._worker is None, 2), "the poller stops once the run has finished"


def test_redisplay_shares_one_widget_and_text_fallback_outside_a_kernel(store):
    from jupyter_flow.notebook import display
    run = jupyter_flow.submit(wf("""  - name: main
    container: {image: busybox, command: [echo, hi]}
"""), wait=True, store=store)
    assert display.widget_for(run) is display.widget_for(jupyter_flow.get(run.name))
    # no kernel here (plain Python, like nbconvert or a terminal): the `get` tree
    bundle = run._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert bundle["text/plain"].startswith("Name:") and run.name in bundle["text/plain"]
    assert "Succeeded" in bundle["text/plain"]


def test_notebook_artifact_outputs_are_rendered(tmp_path):
    import json

    import ipywidgets as W

    from jupyter_flow.notebook.widget import preview_widget
    nb = {"cells": [{"cell_type": "code", "source": "x", "metadata": {}, "execution_count": 1, "outputs": [
        {"output_type": "stream", "name": "stdout", "text": ["hello ", "<b>\n"]},
        {"output_type": "execute_result", "execution_count": 1, "metadata": {},
         "data": {"text/plain": "42", "image/png": base64.b64encode(PNG).decode()}},
        {"output_type": "display_data", "metadata": {}, "data": {"text/html": "<table><tr><td>7</td></tr></table>"}}]}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "notebook"
    path.write_text(json.dumps(nb))
    out = preview_widget(path, "/tmp/executed.ipynb")
    # static HTML, not an Output widget (JupyterLab renders an Output's mime bundles trusted)
    assert isinstance(out, W.HTML)
    assert "hello &lt;b&gt;" in out.value
    assert f'src="data:image/png;base64,{base64.b64encode(PNG).decode()}"' in out.value
    assert "<td>7</td>" in out.value


def _add_second_layer(ctl, w) -> None:
    """Five Pods under p0..p4, emitted like the engine does: the first layer's x positions shift."""
    from jupyter_flow.engine.nodes import Node
    for i in range(5):
        node = Node(id=f"q{i}", name=f"synthetic.q{i}", display_name=f"q{i}", type="Pod", boundary_id=ctl.name)
        ctl.nodes[node.id] = node
        ctl.nodes[f"synthetic-{i}"].children.append(node.id)
        ctl.emit({"kind": "node", "run": ctl.name, "node": node.to_dict()})
        ctl.emit({"kind": "node", "run": ctl.name, "node": ctl.nodes[f"synthetic-{i}"].to_dict()})
    assert until(lambda: {"q0", "q4"} <= w.graph.node_ids(), 3.0)
    time.sleep(0.3)


def test_ipycytoscape_structural_change_moves_drawn_nodes_with_one_layout_message(store, comm_log):
    """``JUPYTER_FLOW_GRAPH=ipycytoscape``: positions come from the kernel's layout and travel in the
    preset layout's ``positions`` map: one message however many drawn nodes move, never one
    ``position`` message per node."""
    from jupyter_flow.notebook.graph import CytoscapeRenderer
    run, ctl = _synthetic(store, 25)
    w = RunWidget(run, renderer_factory=CytoscapeRenderer)
    layouts = [m for m in comm_log if m[1] == "update" and "cytoscape_layout" in m[2]]
    assert layouts and set(layouts[-1][2]["cytoscape_layout"]["positions"]) == set(w.graph.node_ids())
    start = len(comm_log)
    root = ctl.nodes[ctl.name]
    _add_second_layer(ctl, w)
    new = comm_log[start:]
    assert not [m for m in new if m[1] == "update" and "position" in m[2]], "per-node position messages"
    layout = [m[2]["cytoscape_layout"] for m in new if m[1] == "update" and "cytoscape_layout" in m[2]]
    assert layout and layout[-1]["name"] == "preset" and set(layout[-1]["positions"]) == w.graph.node_ids()
    pos = layout[-1]["positions"]
    assert pos["synthetic-0"]["y"] < pos["q0"]["y"] and pos[root.id]["y"] < pos["synthetic-0"]["y"]
    assert [m for m in new if m[0] == "comm_open"]        # the new nodes (and edges) themselves


def test_ipycytoscape_node_updates_stay_under_the_servers_iopub_rate_limit_and_none_is_lost(
        store, comm_log, monkeypatch):
    # With ipycytoscape (a message per node) the Jupyter server's iopub rate limit binds; a dropped
    # update would leave a node drawn in a stale phase. Scaled down: 10 updates per 0.6 s window.
    from jupyter_flow.notebook import widget as widget_mod
    from jupyter_flow.notebook.graph import CytoscapeRenderer
    monkeypatch.setattr(widget_mod, "MSG_BUDGET", 10)
    monkeypatch.setattr(widget_mod, "MSG_WINDOW_S", 0.6)
    run, ctl = _synthetic(store, 30)
    w = RunWidget(run, renderer_factory=CytoscapeRenderer)
    start = len(comm_log)
    pods = [n for n in ctl.nodes.values() if n.type == "Pod"]
    sent_at: list[float] = []
    real_update = w.graph.update

    def counting_update(gnode):
        sent = real_update(gnode)
        if sent:
            sent_at.append(time.monotonic())
        return sent
    w.graph.update = counting_update
    for node in pods:                       # 30 nodes change at once: three windows' budget
        node.phase = "Succeeded"
        node.finished_at = time.time()
        ctl.emit({"kind": "node", "run": ctl.name, "node": node.to_dict()})
    assert until(lambda: list(classes(w).values()).count("Pod Succeeded") == 30, 5.0), classes(w)
    assert len(sent_at) == 30                                # every node's newest state, once
    for t in sent_at:                                        # never more than the budget in a window
        assert sum(1 for u in sent_at if t - 0.6 < u <= t) <= 10
    assert sent_at[-1] - sent_at[0] >= 0.6 * 2               # so the rest waited for later windows
    assert [m for m in comm_log[start:] if m[1] == "update"]


def test_a_structural_change_is_one_graph_message_with_every_position(store, comm_log):
    """The lab extension's DAG model: the whole graph (positions from the kernel's layout) in one
    ``graph`` message per structural change, however many nodes move or appear."""
    run, ctl = _synthetic(store, 25)
    w = RunWidget(run)
    graphs = [m[2]["graph"] for m in comm_log if m[1] == "update" and "graph" in m[2]]
    assert graphs and {n["data"]["id"] for n in graphs[-1]["nodes"]} == w.graph.node_ids()
    start = len(comm_log)
    _add_second_layer(ctl, w)
    new = comm_log[start:]
    assert not [m for m in new if m[0] == "comm_open"], "no model per element"
    graphs = [m[2]["graph"] for m in new if m[1] == "update" and "graph" in m[2]]
    assert 1 <= len(graphs) <= 2
    last = graphs[-1]
    pos = {n["data"]["id"]: n["position"] for n in last["nodes"]}
    assert set(pos) == w.graph.node_ids() and len(last["edges"]) == len(w.graph.edge_ids())
    assert pos["synthetic-0"]["y"] < pos["q0"]["y"] and pos[ctl.name]["y"] < pos["synthetic-0"]["y"]
    assert {e["data"]["id"] for e in last["edges"]} >= {"synthetic-0->q0", "synthetic-4->q4"}


def test_phase_changes_of_many_nodes_are_one_patch_and_clicks_come_back(store, comm_log):
    run, ctl = _synthetic(store, 30)
    w = RunWidget(run)
    start = len(comm_log)
    for node in ctl.nodes.values():
        if node.type == "Pod":
            node.phase = "Succeeded"
            node.finished_at = time.time()
            ctl.emit({"kind": "node", "run": ctl.name, "node": node.to_dict()})
    assert until(lambda: list(classes(w).values()).count("Pod Succeeded") == 30, 2.0), classes(w)
    time.sleep(0.3)
    patches = [m[2]["nodes"] for m in comm_log[start:] if m[1] == "custom" and m[2].get("type") == "patch"]
    assert sum(len(p) for p in patches) == 30 and len(patches) <= 3      # one per flush, whatever the count
    assert all(ch == {"classes": "Pod Succeeded"} for p in patches for ch in p.values())
    # a click in the page arrives as a custom message: the panel shows that node, the node is picked
    w.graph._message(w.graph.widget, {"event": "click", "id": "synthetic-3"}, [])
    assert w.selected == "synthetic-3" and "picked" in w.graph.state()["synthetic-3"]["classes"]
    # another click moves the highlight: the old and the new node change in one patch message
    before = len(comm_log)
    w.graph._message(w.graph.widget, {"event": "click", "id": "synthetic-4"}, [])
    moved = [m[2]["nodes"] for m in comm_log[before:] if m[1] == "custom" and m[2].get("type") == "patch"]
    assert len(moved) == 1 and set(moved[0]) == {"synthetic-3", "synthetic-4"}, moved
    assert "picked" not in w.graph.state()["synthetic-3"]["classes"]
    w.graph._message(w.graph.widget, {"event": "click", "id": "synthetic-3"}, [])
    w.graph._message(w.graph.widget, {"event": "click", "id": "no-such-node"}, [])
    w.graph._message(w.graph.widget, "garbage", [])
    assert w.selected == "synthetic-3"
    # tooltips travel as text (the page sets a title attribute), never as HTML
    assert w.graph.state()["synthetic-3"]["data"]["tip"] == "p3 \u00b7 t"


def test_panel_lists_the_nodes_metrics_escaped(store):
    evil = "<img src=x onerror=alert(1)>"
    run = jupyter_flow.submit(wf("""  - name: main
    metrics:
      prometheus:
      - name: step_score
        help: score
        labels: [{key: who, value: "{{outputs.result}}"}]
        gauge: {value: "2.5", realtime: false}
""" + PY + """        print("%s")
""" % evil), wait=True, store=store)
    assert run.phase == "Succeeded", run.to_dict()["status"]
    w = RunWidget(run)
    w.select(run.name)
    info = w.panel.info.value
    assert "<b>metrics</b>" in info
    part = info[info.index("<b>metrics</b>"):]
    assert "step_score{who=&quot;&lt;img src=x onerror=alert(1)&gt;&quot;}" in part and "2.5" in part
    assert evil not in info


def test_a_big_runs_display_carries_a_line_of_text_not_its_whole_tree(store, monkeypatch):
    from jupyter_flow.notebook import display as D
    monkeypatch.setattr(D, "widgets_available", lambda: True)     # as in a kernel
    big, _ctl = _synthetic(store, D.PLAIN_MAX_NODES + 10)
    bundle = D.mimebundle(big)
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"] == (f"synthetic  Running  {D.PLAIN_MAX_NODES + 11:,} nodes "
                                    "(jupyter-flow get synthetic prints the tree)")
    D.widget_for(big).close()
    D._widgets.clear()
    small, ctl = _synthetic(store, 3)
    ctl.done.set()                  # over: its state is the controller's (the store has no row)
    plain = D.mimebundle(small)["text/plain"]
    assert "p2" in plain and "nodes (jupyter-flow get" not in plain      # a small run: the get tree
    D.widget_for(small).close()
    D._widgets.clear()
