"""The controller's last resort: an engine bug ends the run visibly and leaves no node running."""
from __future__ import annotations

import jupyter_flow
from jupyter_flow.engine import leaf

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
