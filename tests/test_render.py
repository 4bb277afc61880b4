"""Tests for jupyter_flow.render: output must match the argo CLI.

Expected strings come from the real samples quoted in
/work/shared/argo/cli_ui.md (argo docs), from argo's own unit test
``cmd/argo/commands/common/get_test.go`` (IndexOrdering) and from tracing
argo's ``get.go`` / Go ``text/tabwriter`` by hand for the other shapes.
Docs samples lose trailing whitespace, so tree comparisons strip line ends;
one test pins the trailing padding Go's tabwriter really emits.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone

import pytest

from jupyter_flow.render import (
    CLEAR_SCREEN,
    escape_text,
    format_duration,
    format_duration_long,
    format_timestamp,
    node_lines,
    node_matches,
    phase_symbol,
    pod_name,
    progress,
    render_get,
    render_list,
    render_watch,
    workflow_status,
)

UTC = timezone.utc
PST = timezone(timedelta(hours=-8))
T0 = datetime(2019, 12, 2, 17, 55, 33, tzinfo=UTC)  # a Monday
V1 = {"workflows.argoproj.io/pod-name-format": "v1"}
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def ts(sec: float | None) -> str | None:
    return None if sec is None else (T0 + timedelta(seconds=sec)).strftime("%Y-%m-%dT%H:%M:%SZ")


def at(sec: float) -> datetime:
    return T0 + timedelta(seconds=sec)


def node(nid, name, display, ntype, phase, *, template=None, boundary=None, children=(), start=0, end=None,
         message=None, **extra):
    n = {"id": nid, "name": name, "displayName": display, "type": ntype, "phase": phase,
         "children": list(children), "startedAt": ts(start)}
    if template:
        n["templateName"] = template
    if boundary:
        n["boundaryID"] = boundary
    if end is not None:
        n["finishedAt"] = ts(end)
    if message:
        n["message"] = message
    n.update(extra)
    return n


def workflow(name, nodes, *, phase="Succeeded", start=0, end=None, annotations=None, spec=None, **status):
    meta = {"name": name, "namespace": "argo", "creationTimestamp": ts(start), "labels": {}}
    if annotations:
        meta["annotations"] = annotations
    st = {"phase": phase, "startedAt": ts(start), "nodes": {n["id"]: n for n in nodes}}
    if end is not None:
        st["finishedAt"] = ts(end)
    st.update(status)
    return {"metadata": meta, "spec": dict(spec or {"entrypoint": "main"}), "status": st}


def tree(output: str) -> str:
    """The tree part of `argo get` output (after the blank line), line ends stripped."""
    body = output.split("\n\n", 1)[1]
    return "\n".join(line.rstrip() for line in body.splitlines())


def step_column(output: str) -> list[str]:
    lines = tree(output).splitlines()
    width = lines[0].index("TEMPLATE")
    return [line[:width].rstrip() for line in lines[1:]]


def fnv32a(text: str) -> int:  # independent re-implementation for expected pod names
    h = 2166136261
    for b in text.encode():
        h = ((h ^ b) * 16777619) % 2**32
    return h


# --------------------------------------------------------------------------- fixtures

def steps_wf() -> dict:
    """examples/steps.yaml as in docs/walk-through/steps.md (sample 1)."""
    w = "steps-z2zdn"
    return workflow(w, [
        node(w, w, w, "Steps", "Succeeded", template="hello-hello-hello", children=[w + "-1"], end=6),
        node(w + "-1", w + "[0]", "[0]", "StepGroup", "Succeeded", template="hello-hello-hello", boundary=w,
             children=[w + "-27420706"], end=2),
        node(w + "-27420706", w + "[0].hello1", "hello1", "Pod", "Succeeded", template="print-message",
             boundary=w, children=[w + "-2"], end=2),
        node(w + "-2", w + "[1]", "[1]", "StepGroup", "Succeeded", template="hello-hello-hello", boundary=w,
             children=[w + "-2006760091", w + "-2023537710"], start=2, end=5),
        node(w + "-2006760091", w + "[1].hello2a", "hello2a", "Pod", "Succeeded", template="print-message",
             boundary=w, start=2, end=5),
        node(w + "-2023537710", w + "[1].hello2b", "hello2b", "Pod", "Succeeded", template="print-message",
             boundary=w, start=2, end=5),
    ], end=6, annotations=V1)


def diamond_wf(phase_d="Succeeded", end=15) -> dict:
    w = "dag-diamond-x7k2p"
    ids = {t: f"{w}-{fnv32a(f'{w}.{t}')}" for t in "ABCD"}
    times = {"A": (0, 5), "B": (5, 10), "C": (5, 12), "D": (12, 15)}
    nodes = [node(w, w, w, "DAG", "Succeeded" if phase_d == "Succeeded" else "Running", template="diamond",
                  children=[ids["A"]], end=end)]
    for t in "ABCD":
        s, e = times[t]
        phase = phase_d if t == "D" else "Succeeded"
        nodes.append(node(ids[t], f"{w}.{t}", t, "Pod", phase, template="echo", boundary=w, start=s,
                          end=e if phase == "Succeeded" else None,
                          inputs={"parameters": [{"name": "message", "value": t}]}))
    return workflow(w, nodes, end=end if phase_d == "Succeeded" else None,
                    phase="Succeeded" if phase_d == "Succeeded" else "Running",
                    spec={"entrypoint": "diamond", "arguments": {"parameters": [{"name": "greeting", "value": "hi"}]}})


# --------------------------------------------------------------------------- argo get: real samples

def test_steps_tree_matches_docs_sample_1():
    out = render_get(steps_wf(), now=at(6), tz=UTC)
    assert tree(out) == textwrap.dedent("""\
        STEP            TEMPLATE           PODNAME                 DURATION  MESSAGE
         ✔ steps-z2zdn  hello-hello-hello
         ├───✔ hello1   print-message      steps-z2zdn-27420706    2s
         └─┬─✔ hello2a  print-message      steps-z2zdn-2006760091  3s
           └─✔ hello2b  print-message      steps-z2zdn-2023537710  3s""")


def test_tabwriter_padding_is_byte_exact():
    """Go's tabwriter pads every tab-terminated cell, so argo rows carry trailing blanks."""
    lines = render_get(steps_wf(), now=at(6), tz=UTC).split("\n\n", 1)[1].split("\n")
    assert lines[0] == "STEP            TEMPLATE           PODNAME                 DURATION  MESSAGE"
    assert lines[1] == " ✔ steps-z2zdn  hello-hello-hello" + " " * 38
    assert lines[2] == " ├───✔ hello1   print-message      steps-z2zdn-27420706    2s" + " " * 10
    assert lines[-1] == ""  # output ends with a newline


def test_header_block_for_steps():
    out = render_get(steps_wf(), now=at(6), tz=UTC)
    assert out.split("\n\n")[0] == textwrap.dedent("""\
        Name:                steps-z2zdn
        Namespace:           argo
        ServiceAccount:      unset (will run with the default ServiceAccount)
        Status:              Succeeded
        Created:             Mon Dec 02 17:55:33 +0000 (6 seconds ago)
        Started:             Mon Dec 02 17:55:33 +0000 (6 seconds ago)
        Finished:            Mon Dec 02 17:55:39 +0000 (now)
        Duration:            6 seconds
        Progress:            3/3""")


def test_header_matches_pr_1810_sample():
    w = "brackets-test-dl284"
    msg = ("Invalid 'when' expression '{true} == {true}': Invalid token: '{' "
           "(Hint: try wrapping the affected expression in quotes (\"))")
    wf = workflow(w, [node(w, w, w, "Steps", "Failed", template="brackets-test", end=16, message=msg)],
                  phase="Failed", end=16, message=msg, progress="2/3",
                  spec={"serviceAccountName": "default"})
    head = render_get(wf, now=at(16), tz=PST).split("\n\n")[0]
    assert head == textwrap.dedent(f"""\
        Name:                brackets-test-dl284
        Namespace:           argo
        ServiceAccount:      default
        Status:              Failed
        Message:             {msg}
        Created:             Mon Dec 02 09:55:33 -0800 (16 seconds ago)
        Started:             Mon Dec 02 09:55:33 -0800 (16 seconds ago)
        Finished:            Mon Dec 02 09:56:49 -0800 (now)
        Duration:            16 seconds
        Progress:            2/3""").replace("09:56:49", "09:55:49")


def test_step_level_exit_hooks_match_template_on_exit_sample():
    w = "container-on-exit-fp8r5"
    wf = workflow(w, [
        node(w, w, w, "Steps", "Succeeded", template="step-template", children=[w + "-1"], end=19),
        node(w + "-1", w + "[0]", "[0]", "StepGroup", "Succeeded", boundary=w, children=[w + "-2775884244"],
             end=12),
        node(w + "-2775884244", w + "[0].stepA", "stepA", "Pod", "Succeeded", template="hello-world", boundary=w,
             children=[w + "-2"], end=12),
        node(w + "-2310719573", w + "[0].stepA.onExit", "stepA.onExit", "Pod", "Succeeded",
             template="exitContainer", boundary=w, start=12, end=14),
        node(w + "-2", w + "[1]", "[1]", "StepGroup", "Succeeded", boundary=w, children=[w + "-3252557200"],
             start=14, end=17),
        node(w + "-3252557200", w + "[1].stepB", "stepB", "Pod", "Succeeded", template="hello-world", boundary=w,
             start=14, end=17),
        node(w + "-949151358", w + "[1].stepB.onExit", "stepB.onExit", "Pod", "Succeeded",
             template="exitContainer", boundary=w, start=17, end=19),
    ], end=19, annotations=V1)
    assert tree(render_get(wf, now=at(30), tz=UTC)) == textwrap.dedent("""\
        STEP                        TEMPLATE       PODNAME                             DURATION  MESSAGE
         ✔ container-on-exit-fp8r5  step-template
         ├───✔ stepA                hello-world    container-on-exit-fp8r5-2775884244  12s
         ├─✔ stepA.onExit           exitContainer  container-on-exit-fp8r5-2310719573  2s
         ├───✔ stepB                hello-world    container-on-exit-fp8r5-3252557200  3s
         └─✔ stepB.onExit           exitContainer  container-on-exit-fp8r5-949151358   2s""")


def test_recursion_with_skipped_nodes_matches_sample_3():
    w = "coinflip-recursive-tzcb5"
    t = w + "-tails"
    wf = workflow(w, [
        node(w, w, w, "Steps", "Succeeded", template="coinflip", children=[w + "-g0"], end=40),
        node(w + "-g0", w + "[0]", "[0]", "StepGroup", "Succeeded", boundary=w, children=[w + "-f1"], end=5),
        node(w + "-f1", w + "[0].flip-coin", "flip-coin", "Pod", "Succeeded", template="flip-coin", boundary=w,
             children=[w + "-g1"], end=5),
        node(w + "-g1", w + "[1]", "[1]", "StepGroup", "Succeeded", boundary=w, children=[w + "-h1", t],
             start=5, end=40),
        node(w + "-h1", w + "[1].heads", "heads", "Skipped", "Skipped", template="heads", boundary=w, start=5,
             end=5, message="when 'tails == heads' evaluated false"),
        node(t, w + "[1].tails", "tails", "Steps", "Succeeded", template="coinflip", boundary=w,
             children=[t + "-g0"], start=5, end=40),
        node(t + "-g0", w + "[1].tails[0]", "[0]", "StepGroup", "Succeeded", boundary=t, children=[t + "-f"],
             start=5, end=10),
        node(t + "-f", w + "[1].tails[0].flip-coin", "flip-coin", "Pod", "Succeeded", template="flip-coin",
             boundary=t, children=[t + "-g1"], start=5, end=10),
        node(t + "-g1", w + "[1].tails[1]", "[1]", "StepGroup", "Succeeded", boundary=t,
             children=[t + "-h", t + "-t"], start=10, end=40),
        node(t + "-h", w + "[1].tails[1].heads", "heads", "Pod", "Succeeded", template="heads", boundary=t,
             start=10, end=14),
        node(t + "-t", w + "[1].tails[1].tails", "tails", "Skipped", "Skipped", template="coinflip", boundary=t,
             start=10, end=10),
    ], end=40)
    assert step_column(render_get(wf, now=at(40), tz=UTC)) == [
        " ✔ coinflip-recursive-tzcb5",
        " ├───✔ flip-coin",
        " └─┬─○ heads",
        "   └─✔ tails",
        "     ├───✔ flip-coin",
        "     └─┬─✔ heads",
        "       └─○ tails",
    ]


INDEX_ORDERING_NODES = {  # from argo's get_test.go Test_printWorkflowHelper/IndexOrdering
    "753834747": ("sleep(8:eight)", "21", "42"), "1052882686": ("sleep(10:ten)", "22", "45"),
    "1774150289": ("sleep(3:three)", "21", "54"), "1939921510": ("sleep(0:zero)", "21", "48"),
    "1942531647": ("sleep(5:five)", "21", "47"), "2156977535": ("sleep(1:one)", "21", "53"),
    "2619926859": ("sleep(9:nine)", "21", "40"), "3011405271": ("sleep(11:eleven)", "22", "44"),
    "3031375822": ("sleep(7:seven)", "21", "57"), "3126938806": ("sleep(12:twelve)", "22", "59"),
    "3178865096": ("sleep(6:six)", "21", "56"), "3409403178": ("sleep(2:two)", "21", "51"),
    "3491220632": ("sleep(4:four)", "21", "50"),
}


def test_index_ordering_port_of_argo_unit_test():
    w = "many-items-z26lj"
    nodes = {
        w: {"id": w, "name": w, "displayName": w, "type": "Steps", "phase": "Succeeded",
            "templateName": "parallel-sleep", "children": [w + "-1414877240"],
            "startedAt": "2020-06-02T16:04:21Z", "finishedAt": "2020-06-02T16:05:01Z"},
        w + "-1414877240": {"id": w + "-1414877240", "name": w + "[0]", "displayName": "[0]", "type": "StepGroup",
                            "phase": "Succeeded", "boundaryID": w, "templateName": "parallel-sleep",
                            "children": [f"{w}-{k}" for k in INDEX_ORDERING_NODES],
                            "startedAt": "2020-06-02T16:04:21Z", "finishedAt": "2020-06-02T16:05:01Z"},
    }
    for k, (display, start, end) in INDEX_ORDERING_NODES.items():
        nodes[f"{w}-{k}"] = {"id": f"{w}-{k}", "name": f"{w}[0].{display}", "displayName": display, "type": "Pod",
                             "phase": "Succeeded", "boundaryID": w, "templateName": "sleep",
                             "startedAt": f"2020-06-02T16:04:{start}Z", "finishedAt": f"2020-06-02T16:04:{end}Z"}
    wf = {"metadata": {"name": w, "namespace": "argo", "creationTimestamp": "2020-06-02T16:04:21Z"},
          "spec": {"entrypoint": "parallel-sleep"},
          "status": {"phase": "Succeeded", "startedAt": "2020-06-02T16:04:21Z",
                     "finishedAt": "2020-06-02T16:05:01Z", "nodes": nodes,
                     "conditions": [{"status": "True", "type": "Completed"}]}}
    out = render_get(wf, now=datetime(2020, 6, 2, 17, tzinfo=UTC), tz=UTC)
    for display, dur in (("sleep(9:nine)     ", "19s"), ("sleep(10:ten)     ", "23s"), ("sleep(11:eleven)  ", "22s")):
        pod = f"{w}-sleep-{fnv32a(f'{w}[0].{display.strip()}')}"
        assert f"{display}sleep           {pod}  {dur}" in out
    names = [c.split()[-1] for c in step_column(out)[1:]]
    assert names == ["sleep(%d:%s)" % (i, n) for i, n in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve".split())]
    # conditions: no icon for Completed, so a leading blank as in Go
    assert "Conditions:          \n Completed           True\n" in out


# --------------------------------------------------------------------------- argo get: other shapes

def test_dag_diamond_full_output():
    wf = diamond_wf()
    w = "dag-diamond-x7k2p"
    pod = {t: f"{w}-echo-{fnv32a(f'{w}.{t}')}" for t in "ABCD"}
    out = render_get(wf, now=at(15), tz=UTC)
    width = max(len(p) for p in pod.values()) + 2
    expected = [
        "Name:                dag-diamond-x7k2p",
        "Namespace:           argo",
        "ServiceAccount:      unset (will run with the default ServiceAccount)",
        "Status:              Succeeded",
        "Created:             Mon Dec 02 17:55:33 +0000 (15 seconds ago)",
        "Started:             Mon Dec 02 17:55:33 +0000 (15 seconds ago)",
        "Finished:            Mon Dec 02 17:55:48 +0000 (now)",
        "Duration:            15 seconds",
        "Progress:            4/4",
        "Parameters:",
        "  greeting:          hi",
        "",
        "STEP                 TEMPLATE  " + "PODNAME".ljust(width) + "DURATION  MESSAGE",
        " ✔ dag-diamond-x7k2p  diamond",
        " ├─✔ A               echo      " + pod["A"].ljust(width) + "5s",
        " ├─✔ B               echo      " + pod["B"].ljust(width) + "5s",
        " ├─✔ C               echo      " + pod["C"].ljust(width) + "7s",
        " └─✔ D               echo      " + pod["D"].ljust(width) + "3s",
    ]
    expected[13] = " ✔ dag-diamond-x7k2p  diamond"
    got = [line.rstrip() for line in out.splitlines()]
    # STEP column is 22 wide (" ✔ dag-diamond-x7k2p" = 20 + 2)
    assert got[12].startswith("STEP" + " " * 18 + "TEMPLATE")
    assert got[14].startswith(" ├─✔ A" + " " * 16 + "echo")
    assert [g.split() for g in got] == [e.split() for e in expected]


def test_running_node_duration_uses_now_and_running_glyph():
    wf = diamond_wf(phase_d="Running")
    out = render_get(wf, now=at(12 + 95), tz=UTC)
    d_line = [l for l in out.splitlines() if "● D" in l][0]
    assert d_line.split()[-1] == "1m"  # argo truncates to one unit: 95 s -> 1m
    assert "Status:              Running\n" in out
    assert "Progress:            3/4\n" in out
    assert "Finished:" not in out
    assert "Duration:            1 minute 47 seconds\n" in out


def test_with_items_loop_orders_by_index_not_alphabetically():
    w = "loops-abcde"
    items = [f"item{i}" for i in range(12)]
    kids = [f"{w}-{i}" for i in range(12)]
    nodes = [node(w, w, w, "Steps", "Succeeded", template="loop-example", children=[w + "-g"], end=9),
             node(w + "-g", w + "[0]", "[0]", "StepGroup", "Succeeded", boundary=w, children=kids, end=9)]
    for i, kid in enumerate(reversed(kids)):
        j = 11 - i
        nodes.append(node(kid, f"{w}[0].print-message({j}:{items[j]})", f"print-message({j}:{items[j]})", "Pod",
                          "Succeeded", template="print-message", boundary=w, end=9))
    col = step_column(render_get(workflow(w, nodes, end=9), now=at(9), tz=UTC))
    assert col[1] == " └─┬─✔ print-message(0:item0)"
    assert col[2] == "   ├─✔ print-message(1:item1)"
    assert col[3] == "   ├─✔ print-message(2:item2)"
    assert col[11] == "   ├─✔ print-message(10:item10)"
    assert col[12] == "   └─✔ print-message(11:item11)"


def retry_wf(attempts: int) -> dict:
    w = "retry-kx9"
    kids = [f"{w}-a{i}" for i in range(attempts)]
    nodes = [node(w, w, w, "Steps", "Succeeded", template="retry-steps", children=[w + "-g"], end=20),
             node(w + "-g", w + "[0]", "[0]", "StepGroup", "Succeeded", boundary=w, children=[w + "-r"], end=20),
             node(w + "-r", w + "[0].flaky", "flaky", "Retry", "Succeeded", template="flaky", boundary=w,
                  children=kids, end=20)]
    for i, kid in enumerate(kids):
        last = i == attempts - 1
        nodes.append(node(kid, f"{w}[0].flaky({i})", f"flaky({i})", "Pod", "Succeeded" if last else "Failed",
                          template="flaky", boundary=w, start=i * 10, end=i * 10 + 3,
                          message=None if last else "Error (exit code 1)"))
    return workflow(w, nodes, end=20)


def test_retry_node_with_attempts_is_shown_with_children():
    out = render_get(retry_wf(2), now=at(30), tz=UTC)
    col = step_column(out)
    assert col == [" ✔ retry-kx9", " └───✔ flaky", "     ├─✖ flaky(0)", "     └─✔ flaky(1)"]
    failed = [l for l in tree(out).splitlines() if "flaky(0)" in l][0]
    assert failed.endswith("3s        Error (exit code 1)")  # DURATION is 8+2 wide
    assert "Progress:            1/2" in out


def test_retry_node_with_single_attempt_is_hidden():
    col = step_column(render_get(retry_wf(1), now=at(30), tz=UTC))
    assert col == [" ✔ retry-kx9", " └───✔ flaky(0)"]


def exit_wf(exit_id: str | None = None) -> dict:
    w = "exit-handlers-q8r2"
    e = exit_id or f"{w}-{fnv32a(w + '.onExit')}"
    return workflow(w, [
        node(w, w, w, "Steps", "Failed", template="intentional-fail", children=[w + "-g"], end=4,
             message="child 'exit-handlers-q8r2-1' failed"),
        node(w + "-g", w + "[0]", "[0]", "StepGroup", "Failed", boundary=w, children=[w + "-1"], end=4),
        node(w + "-1", w + "[0].fail", "fail", "Pod", "Failed", template="fail", boundary=w, end=4,
             message="Error (exit code 1)"),
        node(e, w + ".onExit", w + ".onExit", "Steps", "Succeeded", template="exit-handler", children=[e + "-g"],
             start=5, end=9),
        node(e + "-g", w + ".onExit[0]", "[0]", "StepGroup", "Succeeded", boundary=e,
             children=[e + "-n", e + "-c"], start=5, end=9),
        node(e + "-n", w + ".onExit[0].notify", "notify", "Pod", "Succeeded", template="send-email", boundary=e,
             start=5, end=8),
        node(e + "-c", w + ".onExit[0].celebrate", "celebrate", "Skipped", "Omitted", template="celebrate",
             boundary=e, start=5, end=5),
    ], phase="Failed", end=9, annotations=V1)


@pytest.mark.parametrize("exit_id", [None, "custom-exit-id"])
def test_on_exit_tree_follows_main_tree_after_empty_row(exit_id):
    out = render_get(exit_wf(exit_id), now=at(9), tz=UTC)
    e = exit_id or f"exit-handlers-q8r2-{fnv32a('exit-handlers-q8r2.onExit')}"
    lines = tree(out).splitlines()
    assert [l[:28].rstrip() for l in lines] == [
        "STEP",
        " ✖ exit-handlers-q8r2",
        " └───✖ fail",
        "",
        " ✔ exit-handlers-q8r2.onExit",
        # The Omitted sibling "celebrate" sorts first and is hidden, but, as in argo's
        # renderChild, it still counts for the connector choice of "notify".
        "   └─✔ notify",
    ]
    assert re.search(r" └───✖ fail +fail +exit-handlers-q8r2-1 +4s {8}Error \(exit code 1\)$", lines[2])
    assert lines[5].split()[-2:] == [e + "-n", "3s"]
    # the separator row is made only of padding
    raw = out.split("\n\n", 1)[1].splitlines()
    assert raw[3].strip() == "" and len(raw[3]) > 0


def test_suspend_node_and_suspended_status():
    w = "approval-p2"
    wf = workflow(w, [
        node(w, w, w, "Steps", "Running", template="main", children=[w + "-g"]),
        node(w + "-g", w + "[0]", "[0]", "StepGroup", "Running", boundary=w, children=[w + "-s"]),
        node(w + "-s", w + "[0].approve", "approve", "Suspend", "Running", template="approve", boundary=w),
    ], phase="Running")
    out = render_get(wf, now=at(5), tz=UTC)
    assert "Status:              Running (Suspended)\n" in out
    assert step_column(out)[1] == " └───ǁ approve"
    assert workflow_status(wf) == "Running (Suspended)"


def test_pending_root_only_and_missing_root():
    w = "hello-world-x"
    wf = workflow(w, [node(w, w, w, "Pod", "Pending", template="whalesay", start=None)], phase="Running")
    wf["status"].pop("startedAt")
    out = render_get(wf, now=at(3), tz=UTC)
    assert tree(out).splitlines()[1].split() == ["◷", w, "whalesay", w, "0s"]  # root pod keeps the wf name
    assert "Started:" not in out and "Duration:" not in out
    no_tree = render_get(workflow(w, []), now=at(1), tz=UTC)
    assert "STEP" not in no_tree and no_tree.endswith("Progress:            0/0\n")


def test_wide_output_adds_argo_columns_and_truncated_result():
    wf = diamond_wf()
    a = [n for n in wf["status"]["nodes"].values() if n["displayName"] == "A"][0]
    a["outputs"] = {"result": "x" * 100, "artifacts": [{"name": "out"}, {"name": "log"}], "exitCode": "0"}
    a["resourcesDuration"] = {"memory": 2, "cpu": 90}
    a["hostNodeName"] = "laptop"
    out = render_get(wf, wide=True, now=at(15), tz=UTC)
    header = tree(out).splitlines()[0].split()
    assert header == ["STEP", "TEMPLATE", "PODNAME", "DURATION", "ARTIFACTS", "MESSAGE", "RESOURCESDURATION",
                      "NODENAME", "RESULT"]
    row = [l for l in tree(out).splitlines() if "✔ A" in l][0].split()
    assert "out,log" in row and "laptop" in row and "1m30s*(1 cpu),2s*(100Mi memory)" in " ".join(row)
    assert row[-1] == "x" * 39 + "…"
    exact = render_get(wf, wide=True, now=at(15), tz=UTC, show_result=False)
    assert tree(exact).splitlines()[0].split()[-1] == "NODENAME"


def test_short_output_is_tree_only_with_nodename():
    out = render_get(steps_wf(), short=True, now=at(6), tz=UTC)
    assert out.startswith("STEP ")
    assert out.splitlines()[0].split() == ["STEP", "TEMPLATE", "PODNAME", "DURATION", "MESSAGE", "NODENAME"]


def test_status_filter_and_node_field_selector():
    out = render_get(exit_wf(), status="Failed", now=at(9), tz=UTC)
    assert [c.strip() for c in step_column(out)] == ["✖ exit-handlers-q8r2", "└───✖ fail"]
    sel = render_get(diamond_wf(), node_field_selector="inputs.parameters.message.value=B", now=at(15), tz=UTC)
    assert [c.strip() for c in step_column(sel)] == ["✔ B"]
    with pytest.raises(ValueError):
        render_get(diamond_wf(), status="Failed", node_field_selector="phase=Failed")
    n = diamond_wf()["status"]["nodes"]["dag-diamond-x7k2p"]
    assert node_matches(n, "phase=Succeeded,displayName!=A") and not node_matches(n, "phase!=Succeeded")


def test_no_utf8_uses_words_and_ascii_connectors():
    col = step_column(render_get(retry_wf(2), utf8=False, now=at(30), tz=UTC))
    assert col == [" Succeeded retry-kx9", " `---Succeeded flaky", "     |-Failed flaky(0)",
                   "     `-Succeeded flaky(1)"]
    col = step_column(render_get(steps_wf(), utf8=False, now=at(6), tz=UTC))
    assert col[2:] == [" `-+-Succeeded hello2a", "   `-Succeeded hello2b"]


def test_color_only_when_asked_and_alignment_kept():
    plain = render_get(exit_wf(), now=at(9), tz=UTC)
    colored = render_get(exit_wf(), color=True, now=at(9), tz=UTC)
    assert "\x1b" not in plain
    assert "\x1b[32m✔\x1b[0m" in colored and "\x1b[31m✖\x1b[0m" in colored
    assert colored.split("\n\n", 1)[1].startswith("\x1b[39mSTEP\x1b[0m")
    # every STEP cell carries the same escape overhead, so columns line up exactly as without colour
    strip = lambda text: [line.rstrip() for line in text.splitlines()]  # noqa: E731
    assert strip(ANSI.sub("", colored)) == strip(plain)
    steps_plain = render_get(steps_wf(), now=at(6), tz=UTC)
    assert ANSI.sub("", render_get(steps_wf(), color=True, now=at(6), tz=UTC)) == steps_plain


def test_hostile_text_cannot_inject_escape_sequences():
    wf = diamond_wf()
    a = [n for n in wf["status"]["nodes"].values() if n["displayName"] == "A"][0]
    a["message"] = "boom\x1b[2J\x1b]0;pwned\x07\nnext\tcol\u202eevil"
    a["displayName"] = "A\x1b[31m"
    wf["status"]["message"] = "bad\x1b[0m\r"
    wf["spec"]["arguments"]["parameters"].append({"name": "p\x1b", "value": "\x9b31m"})
    for out in (render_get(wf, now=at(15), tz=UTC), render_get(wf, now=at(15), tz=UTC, wide=True),
                "\n".join(node_lines(wf)), render_list([wf], now=at(20))):
        assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out and "\u202e" not in out
        assert "\r" not in out
    out = render_get(wf, now=at(15), tz=UTC)
    assert "boom\\x1b[2J\\x1b]0;pwned\\x07\\nnext\\tcol\\u202eevil" in out
    assert "Message:             bad\\x1b[0m\\r\n" in out
    assert "  p\\x1b:" in out and "\\x9b31m" in out
    assert escape_text("héllo ✔ 日本") == "héllo ✔ 日本"


def test_render_watch_is_get_with_optional_clear():
    wf = steps_wf()
    assert render_watch(wf, now=at(6)) == render_get(wf, now=at(6))
    assert render_watch(wf, now=at(6), clear=True) == CLEAR_SCREEN + render_get(wf, now=at(6))


# --------------------------------------------------------------------------- helpers

@pytest.mark.parametrize("seconds,expected", [
    (0, "0s"), (0.4, "0s"), (1, "1s"), (5, "5s"), (59, "59s"), (60, "1m"), (90, "1m"), (119, "1m"), (120, "2m"),
    (3599, "59m"), (3600, "1h"), (7380, "2h"), (86399, "23h"), (86400, "1d"), (10 * 86400, "10d"),
])
def test_format_duration_matches_argo_short(seconds, expected):
    assert format_duration(seconds) == expected


@pytest.mark.parametrize("seconds,expected", [
    (5, "5s"), (90, "1m 30s"), (7380, "2h 3m"), (3600, "1h"), (90061, "1d 1h"), (0, "0s"),
])
def test_format_duration_two_units(seconds, expected):
    assert format_duration(seconds, units=2) == expected


@pytest.mark.parametrize("seconds,expected", [
    (0, "0 seconds"), (1, "1 second"), (16, "16 seconds"), (60, "1 minute 0 seconds"),
    (90, "1 minute 30 seconds"), (7380, "2 hours 3 minutes"), (90000, "1 day 1 hours"),
])
def test_format_duration_long_matches_header(seconds, expected):
    assert format_duration_long(seconds) == expected


def test_format_timestamp_relative_words():
    assert format_timestamp(ts(0), now=at(0.5), tz=UTC) == "Mon Dec 02 17:55:33 +0000 (now)"
    assert format_timestamp(ts(0), now=at(1), tz=UTC).endswith("(1 second ago)")
    assert format_timestamp(ts(0), now=at(3 * 3600), tz=UTC).endswith("(3 hours ago)")
    assert format_timestamp(ts(0), now=at(-120), tz=UTC).endswith("(2 minutes from now)")
    assert format_timestamp("2019-12-02T17:55:33.123456789Z", now=at(0), tz=PST).startswith(
        "Mon Dec 02 09:55:33 -0800")


def test_phase_symbol():
    assert [phase_symbol(p) for p in ["Pending", "Running", "Succeeded", "Skipped", "Failed", "Error",
                                      "Omitted", None]] == ["◷", "●", "✔", "○", "✖", "⚠", "", ""]
    assert phase_symbol("Failed", color=True) == "\x1b[31m✖\x1b[0m"
    assert phase_symbol("Failed", utf8=False) == "Failed"


def test_progress_counts_executable_nodes():
    nodes = diamond_wf(phase_d="Running")["status"]["nodes"]
    assert progress(nodes) == "3/4"
    assert progress(list(nodes.values())) == "3/4"
    assert progress(retry_wf(3)["status"]["nodes"]) == "1/3"
    assert progress({}) == "0/0"
    custom = {"p": {"type": "Pod", "phase": "Running", "progress": "25/100"}}
    assert progress(custom) == "25/100"


def test_pod_name_versions():
    wf = diamond_wf()
    a = [n for n in wf["status"]["nodes"].values() if n["displayName"] == "A"][0]
    assert pod_name(wf, a) == f"dag-diamond-x7k2p-echo-{fnv32a('dag-diamond-x7k2p.A')}"
    wf["metadata"]["annotations"] = V1
    assert pod_name(wf, a) == a["id"]


def test_node_lines_for_piped_watch():
    assert node_lines(diamond_wf()) == [
        "dag-diamond-x7k2p  Succeeded  (diamond)",
        "dag-diamond-x7k2p.A  Succeeded  (echo)",
        "dag-diamond-x7k2p.B  Succeeded  (echo)",
        "dag-diamond-x7k2p.C  Succeeded  (echo)",
        "dag-diamond-x7k2p.D  Succeeded  (echo)",
    ]
    lines = node_lines(exit_wf())
    assert lines[1] == "exit-handlers-q8r2[0].fail  Failed  (fail)  Error (exit code 1)"
    assert lines[-1] == "exit-handlers-q8r2.onExit[0].notify  Succeeded  (send-email)"


# --------------------------------------------------------------------------- argo list

def test_render_list_table():
    done = steps_wf()
    running = diamond_wf(phase_d="Running")
    running["metadata"]["creationTimestamp"] = ts(60)
    running["status"]["startedAt"] = ts(60)
    running["spec"]["priority"] = 5
    failed = exit_wf()
    failed["status"]["message"] = "child failed"
    out = render_list([done, failed, running], now=at(600))
    assert out == (
        "NAME                 STATUS      AGE   DURATION   PRIORITY   MESSAGE\n"
        "dag-diamond-x7k2p    Running     9m    9m         5          \n"
        "exit-handlers-q8r2   Failed      10m   9s         0          child failed\n"
        "steps-z2zdn          Succeeded   10m   6s         0          \n"
    )
    wide = render_list([running], now=at(600), wide=True, all_namespaces=True).splitlines()
    assert wide[0].split() == ["NAMESPACE", "NAME", "STATUS", "AGE", "DURATION", "PRIORITY", "MESSAGE", "P/R/C",
                               "PARAMETERS"]
    assert wide[1].split() == ["argo", "dag-diamond-x7k2p", "Running", "9m", "9m", "5", "0/1/3", "greeting=hi"]
    assert render_list([running], now=at(600), no_headers=True).startswith("dag-diamond-x7k2p   Running")
    assert render_list([]) == "No workflows found\n"


def test_render_list_truncates_long_parameters():
    wf = steps_wf()
    wf["spec"]["arguments"] = {"parameters": [{"name": "p", "value": "a" * 40 + "b" * 20}]}
    row = render_list([wf], now=at(60), wide=True).splitlines()[1]
    assert row.endswith("p=" + "a" * 32 + "..." + "b" * 15)


def test_module_is_stdlib_only_and_light():
    code = ("import sys, jupyter_flow.render; "
            "bad = [m for m in ('yaml', 'jsonschema', 'sqlite3', 'asyncio') if m in sys.modules]; print(bad)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == "[]"


def test_fast_child_ordering_equals_argo_insertion():
    """The O(n log n) ordering must give exactly what argo's repeated insertSorted gives."""
    import random

    from jupyter_flow import render as r

    rng = random.Random(7)
    names = ["a", "b", "c(1:x)", "c(2:y)", "c(10:z)", "d(0:q)", "[0]", "zz"]
    for _ in range(300):
        keys = {}
        items = []
        for i in range(rng.randint(0, 12)):
            name = rng.choice(names)
            keys[str(i)] = (at(rng.randint(0, 2)), name, r._recover_index(name))
            items.append(r._RNode(str(i), "exec"))
        literal: list = []
        for item in items:
            r._insert_sorted(keys, literal, item)
        assert [x.id for x in r._order_children(keys, list(items))] == [x.id for x in literal]
