"""Artifact references resolved as Argo's wfScope.resolveArtifact does: in the caller's scope.

``from: "{{inputs.artifacts.NAME}}"`` passes a steps/DAG template's own input artifact on,
``{{steps.X...}}`` / ``{{tasks.X...}}`` / ``{{workflow.outputs.artifacts.Y}}`` and ``fromExpression``
name a stored one, and ``subPath`` narrows it to a file or directory inside it. Real processes,
the upstream example files where they exist.
"""
from __future__ import annotations

from pathlib import Path

import pytest

import jupyter_flow
from tests.engine.workflows import ALPINE, by_name, logs, run, wf
from tests.upstream import example as _upstream


def test_upstream_nested_workflow_passes_its_input_artifact_on():
    """nested-workflow.yaml: the steps template ``nested-wf`` hands its input artifact to a step
    with ``from: "{{inputs.artifacts.nested-in-artifact}}"`` and returns a step's artifact."""
    r = jupyter_flow.submit(str(_upstream("nested-workflow.yaml")), wait=True, timeout=60)
    assert r.phase == "Succeeded", r.to_dict()["status"].get("message")
    nodes = r.nodes
    consumers = [n for n in nodes.values() if n["displayName"] == "consume"]
    assert len(consumers) == 2
    for n in consumers:
        text = r.logs(n["id"])
        assert "input parameter value: my-output-parameter" in text
        assert "hello world" in text
    nested = next(n for n in nodes.values() if n["displayName"] == "nested-wf")
    # the steps node's own input is the bound record: a stored artifact, no unresolved reference
    (art,) = nested["inputs"]["artifacts"]
    assert art["name"] == "nested-in-artifact" and "local" in art and "from" not in art
    assert [a["name"] for a in nested["outputs"]["artifacts"]] == ["nested-out-artifact"]


def test_upstream_artifact_passing_subpath_gives_the_step_only_the_file():
    r = jupyter_flow.submit(str(_upstream("artifact-passing-subpath.yaml")), wait=True, timeout=60)
    assert r.phase == "Succeeded", r.to_dict()["status"].get("message")
    assert "hello_world.txt" in logs(r, "list-artifact").split()
    assert logs(r, "consume-artifact") == "hello world"   # `cat /tmp/message`: a file, not the directory
    consume = r.node("consume-artifact")
    (art,) = consume["inputs"]["artifacts"]
    assert art["local"]["key"].endswith("/hello-art/hello_world.txt")
    assert art["path"] == "/tmp/message"


def _tree_producer():
    return {"name": "tree", "outputs": {"artifacts": [{"name": "out", "path": "/tmp/out"}]},
            "container": dict(ALPINE, args=["mkdir -p /tmp/out/sub/deep && echo top > /tmp/out/top.txt"
                                            " && echo inner > /tmp/out/sub/deep/inner.txt"])}


def _reader():
    return {"name": "read", "inputs": {"artifacts": [{"name": "in", "path": "/tmp/in"}]},
            "container": dict(ALPINE, args=["if [ -d /tmp/in ]; then cd /tmp/in && find . -type f | sort; "
                                            "else cat /tmp/in; fi"])}


def test_dag_task_reference_with_subpath_selects_a_directory():
    doc = wf([
        {"name": "main", "dag": {"tasks": [
            {"name": "make", "template": "tree"},
            {"name": "use", "template": "read", "depends": "make", "arguments": {"artifacts": [
                {"name": "in", "from": "{{tasks.make.outputs.artifacts.out}}", "subPath": "sub/./deep/"}]}}]}},
        _tree_producer(), _reader()])
    r = run(doc)
    assert r.phase == "Succeeded", r.to_dict()["status"].get("message")
    assert logs(r, "use") == "./inner.txt"


def test_workflow_global_artifact_and_subpath_in_from():
    """``{{workflow.outputs.artifacts.Y}}`` (an output's globalName) in ``from``, narrowed by subPath."""
    producer = _tree_producer()
    producer["outputs"]["artifacts"][0]["globalName"] = "shared"
    doc = wf([
        {"name": "main", "steps": [
            [{"name": "make", "template": "tree"}],
            [{"name": "use", "template": "read", "arguments": {"artifacts": [
                {"name": "in", "from": "{{workflow.outputs.artifacts.shared}}", "subPath": "top.txt"}]}}]]},
        producer, _reader()])
    r = run(doc)
    assert r.phase == "Succeeded", r.to_dict()["status"].get("message")
    assert logs(r, "use") == "top"


def test_from_expression_is_evaluated_in_the_callers_scope():
    """``fromExpression`` in a step's argument sees the caller's steps and its own input artifacts."""
    doc = wf([
        {"name": "main", "steps": [
            [{"name": "make", "template": "tree"}],
            [{"name": "inner", "template": "pass-on", "arguments": {"artifacts": [
                {"name": "a", "from": "{{steps.make.outputs.artifacts.out}}"}]}}]]},
        {"name": "pass-on", "inputs": {"artifacts": [{"name": "a"}]}, "steps": [
            [{"name": "flip", "template": "heads"}],
            [{"name": "use", "template": "read", "arguments": {"artifacts": [
                {"name": "in", "subPath": "sub/deep/inner.txt",
                 "fromExpression": "steps.flip.outputs.result == 'heads' ? inputs.artifacts.a : "
                                   "steps.missing.outputs.artifacts.x"}]}}]]},
        {"name": "heads", "container": dict(ALPINE, args=["echo heads"])},
        _tree_producer(), _reader()])
    r = run(doc)
    assert r.phase == "Succeeded", r.to_dict()["status"].get("message")
    assert logs(r, "use") == "inner"


def test_steps_template_returns_its_input_artifact_as_output():
    """An output ``from: "{{inputs.artifacts.NAME}}"`` of a steps template (resolveArtifact's
    special case for the template's own input artifacts)."""
    doc = wf([
        {"name": "main", "steps": [
            [{"name": "make", "template": "tree"}],
            [{"name": "relay", "template": "relay", "arguments": {"artifacts": [
                {"name": "a", "from": "{{steps.make.outputs.artifacts.out}}", "subPath": "top.txt"}]}}],
            [{"name": "use", "template": "read", "arguments": {"artifacts": [
                {"name": "in", "from": "{{steps.relay.outputs.artifacts.back}}"}]}}]]},
        {"name": "relay", "inputs": {"artifacts": [{"name": "a"}]},
         "steps": [[{"name": "noop", "template": "noop"}]],
         "outputs": {"artifacts": [{"name": "back", "from": "{{inputs.artifacts.a}}"}]}},
        {"name": "noop", "container": dict(ALPINE, args=["true"])},
        _tree_producer(), _reader()])
    r = run(doc)
    assert r.phase == "Succeeded", r.to_dict()["status"].get("message")
    assert logs(r, "use") == "top"


def _maybe_producer():
    """An optional output artifact the step does not create: declared (so the reference passes
    validation), absent at run time."""
    return {"name": "maybe", "outputs": {"artifacts": [{"name": "out", "path": "/tmp/none", "optional": True}]},
            "container": dict(ALPINE, args=["true"])}


def test_unresolvable_reference_errors_the_step_without_running_it():
    doc = wf([
        {"name": "main", "steps": [
            [{"name": "make", "template": "maybe"}],
            [{"name": "use", "template": "read", "arguments": {"artifacts": [
                {"name": "in", "from": "{{steps.make.outputs.artifacts.out}}"}]}}]]},
        _maybe_producer(), _reader()])
    r = run(doc)
    assert r.phase == "Failed"   # steps: the errored step fails the steps node (Argo's TestStepsSkippedOutputRef)
    use = by_name(r)["use"]
    assert use["phase"] == "Error"
    assert 'Unable to resolve: "steps.make.outputs.artifacts.out"' in use["message"]
    assert not r.logs(use["id"]).strip()


def test_optional_unresolvable_reference_leaves_the_input_unsupplied():
    reader = _reader()
    reader["inputs"]["artifacts"][0]["optional"] = True
    reader["container"]["args"] = ["test -e /tmp/in && echo present || echo absent"]
    doc = wf([
        {"name": "main", "steps": [
            [{"name": "make", "template": "maybe"}],
            [{"name": "use", "template": "read", "arguments": {"artifacts": [
                {"name": "in", "from": "{{steps.make.outputs.artifacts.out}}", "optional": True}]}}]]},
        _maybe_producer(), reader])
    r = run(doc)
    assert r.phase == "Succeeded", r.to_dict()["status"].get("message")
    assert logs(r, "use") == "absent"
