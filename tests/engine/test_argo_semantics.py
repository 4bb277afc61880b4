"""Focused engine tests for Argo semantics fixed while running the upstream corpus (conformance).

Each is a small inline workflow run with real processes.
"""
from __future__ import annotations

import json
import shutil
import time

import pytest

import jupyter_flow
from jupyter_flow.store import open_store
from tests.engine.workflows import ALPINE, by_name, logs, run, sh, wf


# ---- loop aggregation (operator.go processAggregateNodeOutputs) ----------------------------------

def test_loop_output_parameters_aggregate_as_strings_and_results_as_json():
    doc = wf([
        {"name": "main", "steps": [
            [{"name": "gen", "template": "gen", "withItems": [1, 2],
              "arguments": {"parameters": [{"name": "n", "value": "{{item}}"}]}}],
            [{"name": "p1", "template": "show",
              "arguments": {"parameters": [{"name": "m", "value": "{{steps.gen.outputs.parameters.n}}"}]}},
             {"name": "p2", "template": "show",
              "arguments": {"parameters": [{"name": "m", "value": "{{steps.gen.outputs.result}}"}]}}]]},
        {"name": "gen", "inputs": {"parameters": [{"name": "n"}]},
         "outputs": {"parameters": [{"name": "n", "valueFrom": {"path": "/tmp/n"}}]},
         "container": dict(ALPINE, args=["echo {{inputs.parameters.n}} > /tmp/n; echo {{inputs.parameters.n}}"])},
        {"name": "show", "inputs": {"parameters": [{"name": "m"}]},
         "container": {"image": "busybox", "command": ["echo"], "args": ["{{inputs.parameters.m}}"]}},
    ])
    r = run(doc)
    assert r.phase == "Succeeded"
    assert logs(r, "p1") == '["1","2"]'     # values stay strings
    assert logs(r, "p2") == "[1,2]"         # each result is parsed as JSON


def _words(steps_ref: bool):
    show_arg = "{{steps.words.outputs.result}}" if steps_ref else "fixed"
    return wf([
        {"name": "main", "steps": [
            [{"name": "words", "template": "say", "withItems": ["alpha", "beta"],
              "arguments": {"parameters": [{"name": "w", "value": "{{item}}"}]}}],
            [{"name": "agg", "template": "show", "arguments": {"parameters": [{"name": "m", "value": show_arg}]}}]]},
        {"name": "say", "inputs": {"parameters": [{"name": "w"}]},
         "container": {"image": "busybox", "command": ["echo"], "args": ["{{inputs.parameters.w}}"]}},
        {"name": "show", "inputs": {"parameters": [{"name": "m"}]},
         "container": {"image": "busybox", "command": ["echo"], "args": ["got {{inputs.parameters.m}}"]}},
    ])


def test_referenced_loop_results_that_are_not_json_error_the_steps_node():
    """steps.go: Argo captured the results (they are referenced), could not unmarshal "alpha" into
    an Item, and errors the steps node; the referencing step never runs with a raw tag."""
    r = run(_words(True))
    assert r.phase == "Error"
    nodes = r.to_dict()["status"]["nodes"]
    root = next(n for n in nodes.values() if n["type"] == "Steps")
    assert root["phase"] == "Error" and root["message"] == "invalid character 'a' looking for beginning of value"
    assert not [n for n in nodes.values() if n["displayName"] == "agg"]
    assert [n["phase"] for n in nodes.values() if n["type"] == "StepGroup"] == ["Succeeded"]


def test_unreferenced_loop_results_that_are_not_json_are_no_error():
    """Argo captures a step's stdout only when the template references it, so nothing fails here."""
    r = run(_words(False))
    assert r.phase == "Succeeded" and logs(r, "agg") == "got fixed"


def test_dag_tasks_after_a_loop_with_uncombinable_referenced_results_error():
    doc = wf([
        {"name": "main", "dag": {"tasks": [
            {"name": "words", "template": "say", "withItems": ["alpha", "beta"],
             "arguments": {"parameters": [{"name": "w", "value": "{{item}}"}]}},
            {"name": "mid", "template": "say", "depends": "words",
             "arguments": {"parameters": [{"name": "w", "value": "x"}]}},
            {"name": "last", "template": "say", "depends": "mid",
             "arguments": {"parameters": [{"name": "w", "value": "{{tasks.words.outputs.result}}"}]}}]}},
        {"name": "say", "inputs": {"parameters": [{"name": "w"}]},
         "container": {"image": "busybox", "command": ["echo"], "args": ["{{inputs.parameters.w}}"]}},
    ])
    r = run(doc)
    nodes = {n["displayName"]: n for n in r.to_dict()["status"]["nodes"].values()}
    # dag.go buildLocalScopeFromTask: every task with the loop among its ancestors errors
    assert nodes["mid"]["phase"] == "Error" and nodes["mid"]["type"] == "Skipped"
    assert nodes["mid"]["message"] == "invalid character 'a' looking for beginning of value"
    assert nodes["last"]["phase"] == "Omitted" and r.phase == "Error"


def test_go_json_errors():
    from jupyter_flow.engine.variables import go_json_error, result_referenced
    assert go_json_error("") == "unexpected end of JSON input"
    assert go_json_error("1 2") == "invalid character '2' after top-level value"
    assert go_json_error("[1 2]") == "invalid character '2' after array element"
    assert go_json_error('{"a":1 "b":2}') == "invalid character '\"' after object key:value pair"
    assert go_json_error("{x") == "invalid character 'x' looking for beginning of object key string"
    assert result_referenced({"dag": {"tasks": [{"when": "{{= tasks['w'].outputs.result == '1' }}"}]}}, "w")
    assert not result_referenced({"steps": [[{"name": "x", "template": "w"}]]}, "w")


def test_inputs_parameters_is_null_without_parameters():
    """operator.go SubstituteParams: ``{{inputs.parameters}}`` is the JSON of the list, ``null``
    when there is none (Hera's runner scripts read it to call a function without arguments)."""
    doc = wf([
        {"name": "main", "steps": [[{"name": "none", "template": "none"}],
                                   [{"name": "one", "template": "one",
                                     "arguments": {"parameters": [{"name": "a", "value": "1"}]}}]]},
        {"name": "none", "container": {"image": "busybox", "command": ["echo", "{{inputs.parameters}}"]}},
        {"name": "one", "inputs": {"parameters": [{"name": "a"}]},
         "container": {"image": "busybox", "command": ["echo", "{{inputs.parameters}}"]}},
    ])
    r = run(doc)
    assert r.phase == "Succeeded"
    assert logs(r, "none") == "null" and logs(r, "one") == '[{"name":"a","value":"1"}]'


def test_loop_with_no_items_adds_no_aggregate():
    doc = wf([
        {"name": "main", "steps": [
            [{"name": "gen", "template": "noop", "withParam": "[]"}],
            [{"name": "after", "template": "show",
              "arguments": {"parameters": [{"name": "m", "value": "{{steps.gen.outputs.parameters}}"}]}}]]},
        sh("noop", "true"),
        {"name": "show", "inputs": {"parameters": [{"name": "m"}]},
         "container": {"image": "busybox", "command": ["echo"], "args": ["{{inputs.parameters.m}}"]}},
    ])
    r = run(doc)
    assert logs(r, "after") == "{{steps.gen.outputs.parameters}}"


# ---- skipped/omitted outputs (scope.go addSkippedNodeOutputsToScope) ------------------------------

def _skipped_producer(default=None, consumer_default=None, kind="dag"):
    out = {"name": "msg", "valueFrom": {"path": "/tmp/out.txt"}}
    if default is not None:
        out["valueFrom"]["default"] = default
    consume_in = {"name": "in"}
    if consumer_default is not None:
        consume_in["default"] = consumer_default
    produce = {"name": "produce", "outputs": {"parameters": [out]},
               "container": dict(ALPINE, args=["echo real > /tmp/out.txt"])}
    consume = {"name": "consume", "inputs": {"parameters": [consume_in]},
               "container": dict(ALPINE, args=["echo got [{{inputs.parameters.in}}]"])}
    args = {"parameters": [{"name": "in", "value": "{{tasks.producer.outputs.parameters.msg}}"}]}
    main = {"name": "main", "dag": {"tasks": [
        {"name": "producer", "template": "produce", "when": "false"},
        {"name": "consumer", "template": "consume", "depends": "producer.Succeeded || producer.Skipped",
         "arguments": args}]}}
    return wf([main, produce, consume])


def test_skipped_producer_default_reaches_consumer():
    r = run(_skipped_producer(default="from-producer"))
    assert r.phase == "Succeeded"
    assert logs(r, "consumer") == "got [from-producer]"


def test_skipped_producer_without_default_falls_back_to_consumer_input_default():
    r = run(_skipped_producer(consumer_default="from-input"))
    assert r.phase == "Succeeded"
    assert logs(r, "consumer") == "got [from-input]"
    assert r.node("consumer")["inputs"]["parameters"][0]["value"] == "from-input"


def test_skipped_producer_without_any_default_errors_the_consumer():
    r = run(_skipped_producer())
    assert r.phase == "Error"   # a DAG takes its errored task's phase (Argo's TestDAGSkippedOutputRef)
    consumer = r.node("consumer")
    assert consumer["phase"] == "Error" and "absent optional" in consumer["message"]


def test_expression_output_sees_skipped_output_as_nil():
    doc = wf([
        {"name": "main", "dag": {"tasks": [{"name": "producer", "template": "produce", "when": "false"}]},
         "outputs": {"parameters": [{"name": "result", "valueFrom": {
             "expression": "tasks.producer.outputs.parameters.msg ?? 'fallback'"}}]}},
        {"name": "produce", "outputs": {"parameters": [{"name": "msg", "valueFrom": {"path": "/tmp/o"}}]},
         "container": dict(ALPINE, args=["echo x > /tmp/o"])},
    ])
    r = run(doc)
    assert r.phase == "Succeeded"
    assert r.node(r.name)["outputs"]["parameters"][0]["value"] == "fallback"


# ---- retryStrategy.expression is substituted with the template's inputs ----------------------------

def test_retry_expression_sees_substituted_inputs():
    doc = wf([
        {"name": "main", "steps": [[{"name": "r", "template": "flaky",
                                     "arguments": {"parameters": [{"name": "ok", "value": "true"}]}}]]},
        {"name": "flaky", "inputs": {"parameters": [{"name": "ok"}]},
         "retryStrategy": {"limit": "2", "expression": "{{inputs.parameters.ok}} == true && asInt(lastRetry.exitCode) == 3"},
         "container": dict(ALPINE, args=["exit 3"])},
    ])
    r = run(doc)
    retry = r.node("r")
    assert retry["type"] == "Retry" and retry["phase"] == "Failed"
    assert len(retry["children"]) == 3      # retried twice: the expression evaluated true


# ---- workflowTemplateRef: the template's spec joined under the Workflow's ---------------------------

def test_workflow_template_ref_joins_arguments(flow_home):
    store = open_store(flow_home)
    store.put_template("WorkflowTemplate", "greet", {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate", "metadata": {"name": "greet"},
        "spec": {"entrypoint": "main", "arguments": {"parameters": [{"name": "a", "value": "A"},
                                                                     {"name": "b", "value": "B"}]},
                 "templates": [{"name": "main", "container": {
                     "image": "busybox", "command": ["echo"],
                     "args": ["{{workflow.parameters.a}}-{{workflow.parameters.b}}"]}}]}})
    doc = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "t-"},
           "spec": {"workflowTemplateRef": {"name": "greet"},
                    "arguments": {"parameters": [{"name": "b", "value": "override"}]}}}
    r = run(doc, store=store)
    assert r.phase == "Succeeded"
    assert r.logs().strip().endswith("A-override")


# ---- suspend: a supplied output without default takes the same-named input's default --------------

def test_resume_without_value_uses_input_default():
    doc = wf([
        {"name": "main", "steps": [
            [{"name": "approval", "template": "approval"}],
            [{"name": "deploy", "template": "deploy",
              "when": "{{steps.approval.outputs.parameters.approve}} == YES"}]]},
        {"name": "approval", "suspend": {},
         "inputs": {"parameters": [{"name": "approve", "default": "NO", "enum": ["YES", "NO"]}]},
         "outputs": {"parameters": [{"name": "approve", "valueFrom": {"supplied": {}}}]}},
        sh("deploy", "echo deploying"),
    ])
    r = jupyter_flow.submit(doc)
    deadline = time.time() + 30
    while not any(n["displayName"] == "approval" and n["phase"] == "Running" for n in r.nodes.values()):
        assert time.time() < deadline
        time.sleep(0.05)
    r.resume("approval")
    r.wait(30)
    assert r.phase == "Succeeded"
    nodes = by_name(r)
    assert nodes["approval"]["outputs"]["parameters"][0]["value"] == "NO"
    assert nodes["deploy"]["phase"] == "Skipped"


# ---- containerSet ------------------------------------------------------------------------------

def test_container_set_runs_a_graph_of_containers():
    say = {"image": "busybox", "command": ["sh", "-c"]}
    doc = wf([{"name": "main", "containerSet": {"containers": [
        dict(say, name="a", args=["echo a > /tmp/shared; echo a"]),
        dict(say, name="b", args=["cat /tmp/shared; echo b"], dependencies=["a"]),
        dict(say, name="main", args=["echo hi"], dependencies=["b"]),
    ]}}])
    r = run(doc)
    assert r.phase == "Succeeded"
    nodes = by_name(r)
    pod = nodes[r.name]
    assert pod["type"] == "Pod" and pod["outputs"]["result"] == "hi"
    assert [nodes[x]["type"] for x in "ab"] == ["Container", "Container"]
    assert nodes["b"]["id"] in nodes["a"]["children"] and nodes["main"]["id"] in nodes["b"]["children"]
    assert nodes["a"]["finishedAt"] <= nodes["b"]["startedAt"]
    assert r.logs(nodes["b"]["id"]).split() == ["a", "b"]   # the containers share the pod's filesystem


def test_container_set_dependency_failure_fails_the_pod():
    say = {"image": "busybox", "command": ["sh", "-c"]}
    doc = wf([{"name": "main", "containerSet": {"containers": [
        dict(say, name="a", args=["exit 3"]),
        dict(say, name="main", args=["echo never"], dependencies=["a"]),
    ]}}])
    r = run(doc)
    assert r.phase == "Failed"
    nodes = by_name(r)
    assert nodes["a"]["phase"] == "Failed" and nodes["main"]["phase"] == "Failed"
    assert "never" not in r.logs()


# ---- executor: scripts and shells as in the images -------------------------------------------------

def test_script_with_sh_dash_c_is_executable_and_sees_private_tmp():
    doc = wf([{"name": "main", "outputs": {"parameters": [{"name": "o", "valueFrom": {"path": "/tmp/o.json"}}]},
               "script": {"image": "alpine:3.23", "command": ["sh", "-c"],
                          "source": "echo '{\"a\": 1}' > /tmp/o.json && cat /tmp/o.json"}}])
    r = run(doc)
    assert r.phase == "Succeeded", r.node(r.name).get("message")
    node = r.node(r.name)
    assert node["outputs"]["result"] == '{"a": 1}'
    assert node["outputs"]["parameters"][0]["value"] == '{"a": 1}'


def test_sh_does_not_brace_expand_like_busybox():
    r = run(wf([sh("main", 'echo [{"a":1,"b":2}]')]))
    assert r.node(r.name)["outputs"]["result"] == "[{a:1,b:2}]"


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")
def test_volume_mount_is_a_mount_point():
    doc = wf([{"name": "main", "container": dict(
        ALPINE, args=["grep -q ' /mnt/vol ' /proc/mounts && echo mounted"],
        volumeMounts=[{"name": "v", "mountPath": "/mnt/vol"}])}], volumes=[{"name": "v", "emptyDir": {}}])
    r = run(doc)
    assert r.phase == "Succeeded" and r.logs().strip().endswith("mounted")


# ---- workflowMetadata and lifecycle hooks ------------------------------------------------------------

def test_workflow_metadata_labels_from_expression():
    doc = wf([sh("main", "echo {{workflow.labels.foo}}")], arguments={"parameters": [{"name": "p", "value": "bar"}]},
             workflowMetadata={"labels": {"x": "y"}, "labelsFrom": {"foo": {"expression": "workflow.parameters.p"}}})
    r = run(doc)
    assert r.to_dict()["metadata"]["labels"]["foo"] == "bar"
    assert r.to_dict()["metadata"]["labels"]["x"] == "y"
    assert r.logs().strip().endswith("bar")


def test_running_hook_fires_while_the_step_runs():
    doc = wf([
        {"name": "main", "steps": [[{"name": "s", "template": "slow", "hooks": {
            "running": {"expression": 'steps.s.status == "Running"', "template": "note"},
            "done": {"expression": 'steps.s.status == "Succeeded"', "template": "note"}}}]]},
        sh("slow", "sleep 1; echo slow"),
        sh("note", "echo hook"),
    ])
    r = run(doc)
    assert r.phase == "Succeeded"
    nodes = by_name(r)
    running, done = nodes["s.hooks.running"], nodes["s.hooks.done"]
    assert running["phase"] == done["phase"] == "Succeeded"
    assert running["startedAt"] <= nodes["s"]["finishedAt"] <= done["startedAt"]
    assert {running["id"], done["id"]} <= set(nodes["s"]["children"])


def test_workflow_level_hooks_and_exit_hook():
    doc = wf([sh("main", "echo main"), sh("note", "echo note")],
             hooks={"running": {"expression": 'workflow.status == "Running"', "template": "note"},
                    "exit": {"template": "note"}})
    r = run(doc)
    assert r.phase == "Succeeded"
    nodes = by_name(r)
    assert nodes[f"{r.name}.hooks.running"]["phase"] == "Succeeded"
    assert nodes[f"{r.name}.onExit"]["phase"] == "Succeeded"


def test_failing_workflow_exit_hook_fails_the_workflow():
    doc = wf([sh("main", "echo main"), sh("bad", "exit 1")], hooks={"exit": {"template": "bad"}})
    r = run(doc)
    assert r.phase == "Failed"
    assert json.dumps(by_name(r)[f"{r.name}.onExit"]["phase"]) == '"Failed"'


def test_template_defaults_do_not_change_a_templates_type():
    doc = wf([{"name": "main", "steps": [[{"name": "c", "template": "c"}]]},
              {"name": "c", "container": {"args": ["pwd"]}}],
             templateDefaults={"container": {"image": "alpine:3.23", "command": ["sh", "-c"], "workingDir": "/src"}})
    r = run(doc)
    assert r.phase == "Succeeded"
    assert r.node(r.name)["type"] == "Steps"
    assert r.node("c")["outputs"]["result"] == "/src"


# ---- pod names (util.GeneratePodName) ----------------------------------------------------------------

@pytest.mark.parametrize("annotations, v1", [(None, False), ({"workflows.argoproj.io/pod-name-format": "v1"}, True)])
def test_pod_name_and_failures_pod_name_follow_argos_pod_name_format(annotations, v1):
    from jupyter_flow.engine.nodes import fnv32a
    doc = wf([
        {"name": "main", "steps": [[{"name": "who", "template": "who"}], [{"name": "bad", "template": "bad"}]]},
        {"name": "who", "container": {"image": "busybox", "command": ["echo", "{{pod.name}}"]}},
        sh("bad", "exit 3"),
        {"name": "report", "container": {"image": "busybox", "command": ["echo", "{{workflow.failures}}"]}},
    ], onExit="report")
    if annotations:
        doc["metadata"]["annotations"] = annotations
    r = run(doc)
    nodes = by_name(r)
    who, bad = nodes["who"], nodes["bad"]
    expected = who["id"] if v1 else f"{r.name}-who-{fnv32a(who['name'])}"
    assert logs(r, "who") == expected
    failures = json.loads(r.logs(nodes[f"{r.name}.onExit"]["id"]).strip())
    assert [f["podName"] for f in failures] == [bad["id"] if v1 else f"{r.name}-bad-{fnv32a(bad['name'])}"]


def test_pod_name_rules():
    from jupyter_flow.engine.nodes import node_id, pod_name
    wid = node_id("wf", "wf.a")
    assert pod_name("wf", "wf.a", "tmpl", wid) == f"wf-tmpl-{wid[3:]}"
    assert pod_name("wf", "wf", "tmpl", "wf") == "wf"
    assert pod_name("wf", "wf.inline.x", "tmpl", node_id("wf", "wf.inline.x")).startswith("wf-") and "tmpl" not in \
        pod_name("wf", "wf.inline.x", "tmpl", node_id("wf", "wf.inline.x"))
    assert pod_name("wf", "wf.a", "tmpl", wid, "v1") == wid
    long = pod_name("w" * 250, "w" * 250 + ".a", "t", node_id("w" * 250, "w" * 250 + ".a"))
    assert len(long.rsplit("-", 1)[0]) == 253 - 10 - 1


# ---- suspend outputs that only `node set` supplies (util.ResumeWorkflow, executeSuspend) -------------

def _approval(duration=None):
    suspend = {"duration": duration} if duration else {}
    return wf([
        {"name": "main", "steps": [[{"name": "approve", "template": "approve"}],
                                   [{"name": "release", "template": "show", "arguments": {"parameters": [
                                       {"name": "m", "value": "{{steps.approve.outputs.parameters.message}}"}]}}]]},
        {"name": "approve", "suspend": suspend,
         "outputs": {"parameters": [{"name": "message", "valueFrom": {"supplied": {}}}]}},
        {"name": "show", "inputs": {"parameters": [{"name": "m"}]},
         "container": {"image": "busybox", "command": ["echo", "{{inputs.parameters.m}}"]}},
    ])


def _wait_running(r, name):
    deadline = time.time() + 30
    while not any(n["displayName"] == name and n["phase"] == "Running" for n in r.nodes.values()):
        assert time.time() < deadline and not r.finished
        time.sleep(0.05)


def test_resume_without_a_supplied_output_is_refused_until_it_is_set():
    from jupyter_flow.errors import JupyterFlowError
    r = jupyter_flow.submit(_approval())
    _wait_running(r, "approve")
    message = "raw output parameter 'message' has not been set and does not have a default value"
    with pytest.raises(JupyterFlowError, match=message):
        r.resume()
    node = by_name(r)["approve"]
    assert node["phase"] == "Running" and node["message"] == message     # still waiting, and says why
    r.set_node("approve", parameters={"message": "ship it"})
    r.resume()
    assert r.wait(30) == "Succeeded" and logs(r, "release") == "ship it"
    assert "message" not in by_name(r)["approve"]


def test_node_set_phase_failed_rejects_an_approval_and_fails_the_workflow():
    """`argo node set --phase Failed` (util.updateSuspendedNode): the suspend node ends Failed with
    the message given, no supplied output is awaited, and the step after it never runs."""
    r = jupyter_flow.submit(_approval())
    _wait_running(r, "approve")
    r.set_node("approve", phase="Failed", message="not today")
    assert r.wait(30) == "Failed"
    node = by_name(r)["approve"]
    assert (node["phase"], node["message"]) == ("Failed", "not today")
    assert "release" not in by_name(r)


def test_node_set_phase_succeeded_ends_the_suspend_with_the_outputs_set_so_far():
    r = jupyter_flow.submit(_approval())
    _wait_running(r, "approve")
    r.set_node("approve", parameters={"message": "first"})
    r.set_node("approve", message="approved by bob")        # a later set keeps the earlier parameters
    assert by_name(r)["approve"]["message"] == "approved by bob"   # shown while it still waits
    r.set_node("approve", phase="Succeeded")
    assert r.wait(30) == "Succeeded" and logs(r, "release") == "first"
    assert by_name(r)["approve"]["message"] == "approved by bob"


def test_node_set_refuses_what_argo_refuses_and_changes_nothing():
    from jupyter_flow.errors import JupyterFlowError
    r = jupyter_flow.submit(_approval())
    _wait_running(r, "approve")
    with pytest.raises(JupyterFlowError, match="node is not expecting output parameter 'other'"):
        r.set_node("approve", parameters={"other": "x"})
    with pytest.raises(JupyterFlowError, match="no suspend nodes matching nodeFieldSelector: displayName=nope"):
        r.set_node("nope", parameters={"message": "x"})
    with pytest.raises(JupyterFlowError, match="Succeeded, Failed or Error"):
        r.set_node("approve", phase="Running")
    r.set_node("approve", parameters={"message": "once"})
    with pytest.raises(JupyterFlowError, match="cannot set output parameter 'message' because it does not use "
                                               "valueFrom.raw or it was already set"):
        r.set_node("approve", parameters={"message": "twice"})
    r.resume()
    assert r.wait(30) == "Succeeded" and logs(r, "release") == "once"


def test_a_suspend_that_times_out_without_its_supplied_output_errors():
    r = run(_approval(duration="0.3"))
    node = by_name(r)["approve"]
    assert node["phase"] == "Error"
    assert node["message"] == "raw output parameter 'message' has not been set and does not have a default value"
    assert r.phase == "Failed" and "release" not in by_name(r)   # steps around the errored node
