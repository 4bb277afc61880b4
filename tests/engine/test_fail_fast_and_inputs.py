"""Template-level ``failFast`` (operator.go checkParallelism) and the order in which a template's
input parameters are resolved (common.ProcessArgs / SubstituteParams).

Small inline workflows run with real processes, as in test_argo_semantics.py.
"""
from __future__ import annotations

import json

from tests.engine.workflows import ALPINE, by_name, logs, run, sh, wf

FAIL_FAST = "template has failed or errored children and failFast enabled"


def message(r):
    return r.to_dict()["status"].get("message")


# ---- template failFast: steps -------------------------------------------------------------------

def test_steps_fail_fast_stops_scheduling_and_sets_the_message():
    # parallelism 1: the failing first item stops the loop; the later items never get a node
    doc = wf([
        {"name": "main", "parallelism": 1, "failFast": True, "steps": [
            [{"name": "item", "template": "exit", "withItems": [0, 1, 0],
              "arguments": {"parameters": [{"name": "code", "value": "{{item}}"}]}}],
            [{"name": "after", "template": "ok"}]]},
        {"name": "exit", "inputs": {"parameters": [{"name": "code"}]},
         "container": dict(ALPINE, args=["exit {{inputs.parameters.code}}"])},
        sh("ok", "true"),
    ])
    r = run(doc)
    nodes = by_name(r)
    assert r.phase == "Failed"
    assert message(r) == FAIL_FAST
    assert nodes["item(0:0)"]["phase"] == "Succeeded"
    assert nodes["item(1:1)"]["phase"] == "Failed"
    assert "item(2:0)" not in nodes and "after" not in nodes
    assert nodes["[0]"]["phase"] == "Failed" and nodes["[0]"]["message"] == FAIL_FAST
    root = r.nodes[r.name]
    assert root["phase"] == "Failed" and root["message"] == FAIL_FAST


def test_steps_fail_fast_lets_running_siblings_finish():
    # both children start in the same pass, even though one cannot start at all (no such
    # command); the other runs to completion before the template fails
    doc = wf([
        {"name": "main", "parallelism": 2, "failFast": True, "steps": [
            [{"name": "bad", "template": "missing"}, {"name": "slow", "template": "slow"}]]},
        {"name": "missing", "container": {"image": "alpine:3.23", "command": ["no-such-command-jf"]}},
        sh("slow", "sleep 1; echo done"),
    ])
    r = run(doc)
    nodes = by_name(r)
    assert r.phase == "Failed"
    assert message(r) == FAIL_FAST
    assert nodes["bad"]["phase"] == "Failed"   # a main container that cannot start: Argo's inferFailedReason
    assert nodes["slow"]["phase"] == "Succeeded" and logs(r, "slow") == "done"
    assert nodes["[0]"]["message"] == FAIL_FAST


def test_steps_fail_fast_ignores_continue_on():
    # getUnsuccessfulChildren does not consult continueOn: the template still fails
    doc = wf([
        {"name": "main", "failFast": True, "steps": [
            [{"name": "bad", "template": "bad", "continueOn": {"failed": True}}],
            [{"name": "next", "template": "ok"}]]},
        sh("bad", "exit 1"),
        sh("ok", "true"),
    ])
    r = run(doc)
    assert r.phase == "Failed"
    assert message(r) == FAIL_FAST
    assert "next" not in by_name(r)


def test_steps_without_fail_fast_schedule_every_child():
    # failFast is only an explicit `true`: without it, parallelism 1 still runs every child and
    # the group reports the failed child
    doc = wf([
        {"name": "main", "parallelism": 1, "steps": [
            [{"name": "item", "template": "exit", "withItems": [1, 0],
              "arguments": {"parameters": [{"name": "code", "value": "{{item}}"}]}}]]},
        {"name": "exit", "inputs": {"parameters": [{"name": "code"}]},
         "container": dict(ALPINE, args=["exit {{inputs.parameters.code}}"])},
    ])
    r = run(doc)
    nodes = by_name(r)
    assert r.phase == "Failed"
    assert nodes["item(1:0)"]["phase"] == "Succeeded"
    assert message(r) == f"child '{nodes['item(0:1)']['id']}' failed"


# ---- template failFast: DAG ---------------------------------------------------------------------

def test_dag_template_fail_fast_overrides_dag_fail_fast_false():
    # dag.failFast: false would let c run after b; the template's failFast: true stops scheduling
    doc = wf([
        {"name": "main", "failFast": True, "dag": {"failFast": False, "tasks": [
            {"name": "a", "template": "bad"},
            {"name": "b", "template": "slow"},
            {"name": "c", "template": "ok", "depends": "b"}]}},
        sh("bad", "exit 1"),
        sh("slow", "sleep 1"),
        sh("ok", "true"),
    ])
    r = run(doc)
    nodes = by_name(r)
    assert r.phase == "Failed"
    assert message(r) == FAIL_FAST
    assert nodes["a"]["phase"] == "Failed"
    assert nodes["b"]["phase"] == "Succeeded"
    assert "c" not in nodes
    assert r.nodes[r.name]["message"] == FAIL_FAST


def test_dag_without_template_fail_fast_keeps_the_child_message():
    doc = wf([
        {"name": "main", "dag": {"tasks": [{"name": "a", "template": "bad"}]}},
        sh("bad", "exit 1"),
    ])
    r = run(doc)
    assert r.phase == "Failed"
    assert message(r) == f"child '{by_name(r)['a']['id']}' failed"


# ---- input parameters that refer to other inputs (SubstituteParams' second pass) ------------------

def test_input_default_expression_sees_sibling_input():
    doc = wf([
        {"name": "main", "steps": [[
            {"name": "yes", "template": "show", "arguments": {"parameters": [{"name": "a", "value": "yes"}]}},
            {"name": "no", "template": "show", "arguments": {"parameters": [{"name": "a", "value": "no"}]}}]]},
        {"name": "show", "inputs": {"parameters": [
            {"name": "a"},
            {"name": "b", "value": "{{= inputs.parameters.a == 'yes' ? 'on' : 'off' }}"},
            {"name": "c", "default": "{{inputs.parameters.a}}@{{workflow.name}}"}]},
         "container": {"image": "busybox", "command": ["echo"],
                       "args": ["{{inputs.parameters.b}} {{inputs.parameters.c}}"]}},
    ])
    r = run(doc)
    assert r.phase == "Succeeded"
    assert logs(r, "yes") == f"on yes@{r.name}"
    assert logs(r, "no") == f"off no@{r.name}"
    show = by_name(r)["yes"]["inputs"]["parameters"]
    assert {p["name"]: p["value"] for p in show} == {"a": "yes", "b": "on", "c": f"yes@{r.name}"}


def test_entry_input_expression_follows_workflow_argument_and_feeds_when():
    # as e2e functional/steps-when-expr-filter: `list` is an expression over `test`
    doc = wf([
        {"name": "main", "inputs": {"parameters": [
            {"name": "test", "value": "true"},
            {"name": "list",
             "value": "{{= concat(['always'], inputs.parameters.test == 'true' ? ['test'] : []) | toJSON() }}"}]},
         "steps": [[
             {"name": "show", "template": "echo",
              "arguments": {"parameters": [{"name": "m", "value": "{{inputs.parameters.list}}"}]}},
             {"name": "gated", "template": "echo",
              # govaluate: `in` needs a list, hence the trailing ''
              "when": "'test' in ('{{= inputs.parameters.list | fromJSON() | join(\"','\") }}','')",
              "arguments": {"parameters": [{"name": "m", "value": "ran"}]}}]]},
        {"name": "echo", "inputs": {"parameters": [{"name": "m"}]},
         "container": {"image": "busybox", "command": ["echo"], "args": ["{{inputs.parameters.m}}"]}},
    ], arguments={"parameters": [{"name": "test", "value": "false"}]})
    r = run(doc)
    nodes = by_name(r)
    assert r.phase == "Succeeded"
    assert json.loads(logs(r, "show")) == ["always"]   # expr's toJSON indents, as upstream
    assert nodes["gated"]["phase"] == "Skipped"
