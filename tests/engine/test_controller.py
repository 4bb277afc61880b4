"""The controller's last resort: an engine bug ends the run visibly and leaves no node running."""
from __future__ import annotations

import jupyter_flow
from jupyter_flow.engine import pods as leaf

TWO_STEPS = {
    "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "bug-"},
    "spec": {"entrypoint": "main", "templates": [
        {"name": "main", "steps": [[{"name": "a", "template": "t"}], [{"name": "b", "template": "t"}]]},
        {"name": "t", "container": {"image": "busybox", "command": ["true"]}}]}}


def test_an_engine_bug_ends_the_run_in_error_with_every_unfinished_node_errored(flow_home, monkeypatch):
    def broken(*_a, **_k):
        raise RuntimeError("a bug in output collection")
    monkeypatch.setattr(leaf, "_collect_outputs", broken)
    run = jupyter_flow.submit(TWO_STEPS, wait=True, timeout=60)
    assert run.phase == "Error"
    stored = jupyter_flow.get(run.name)
    assert stored.phase == "Error"
    assert "engine error: a bug in output collection" in stored.to_dict()["status"]["message"]
    phases = {n["displayName"]: n["phase"] for n in stored.nodes.values()}
    assert "Running" not in phases.values() and "Pending" not in phases.values(), phases
    assert phases["a"] == "Error"


PLAIN_AND_TAGGED = {
    "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "tags-"},
    "spec": {"entrypoint": "main", "templates": [
        {"name": "main", "steps": [
            [{"name": "plain", "template": "plain", "withItems": [1, 2, 3]}],
            [{"name": "say", "template": "say", "arguments": {"parameters": [{"name": "w", "value": "{{item}}"}]},
              "withItems": ["x", "y"]}]]},
        {"name": "plain", "container": {"image": "busybox", "command": ["echo", "same"]}},
        {"name": "say", "inputs": {"parameters": [{"name": "w"}]},
         "container": {"image": "busybox", "command": ["echo", "{{inputs.parameters.w}}"]}}]}}


def test_templates_without_tags_are_used_as_they_are_and_the_workflow_is_not_changed(flow_home):
    # a step, task or template with no {{tag}} skips substitution (it would not change): the
    # run's results are the same, and nothing the engine does writes into the submitted document
    import copy

    from jupyter_flow.engine.controller import Controller
    submitted = copy.deepcopy(PLAIN_AND_TAGGED)
    run = jupyter_flow.submit(submitted, wait=True, timeout=60)
    assert run.phase == "Succeeded"
    results = sorted(n["outputs"]["result"] for n in run.nodes.values() if n["type"] == "Pod")
    assert results == ["same", "same", "same", "x", "y"]
    assert submitted == PLAIN_AND_TAGGED

    ctl = Controller(copy.deepcopy(PLAIN_AND_TAGGED), name="tags-x")
    plain, say = ctl.spec["templates"][1], ctl.spec["templates"][2]
    assert ctl.substitute(plain, ctl.scope({})) is plain
    out = ctl.substitute(say, ctl.scope({"inputs.parameters.w": "hi"}))
    assert out["container"]["command"] == ["echo", "hi"]
    assert say["container"]["command"] == ["echo", "{{inputs.parameters.w}}"]
    assert ctl.substitute(say, ctl.scope({"inputs.parameters.w": "again"}))["container"]["command"][1] == "again"


def test_the_tag_answers_a_run_keeps_are_bounded(monkeypatch):
    # a templateRef's template is a new dict at every step: the controller must not keep them all
    import copy

    from jupyter_flow.engine import controller
    monkeypatch.setattr(controller, "TAGGED_MAX", 3)
    ctl = controller.Controller(copy.deepcopy(PLAIN_AND_TAGGED), name="tags-y")
    for i in range(10):
        fresh = {"container": {"command": ["echo", "{{inputs.parameters.w}}" if i % 2 else "plain"]}}
        out = ctl.substitute(fresh, ctl.scope({"inputs.parameters.w": str(i)}))
        assert out["container"]["command"][1] == (str(i) if i % 2 else "plain")
        assert len(ctl._tagged) <= 3
