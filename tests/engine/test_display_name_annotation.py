"""The template annotation ``workflows.argoproj.io/display-name`` names the node (Argo's
walk-through "Annotations"), substituted with the template's inputs. Real processes."""
from __future__ import annotations

from tests.engine.workflows import run, sh, wf

KEY = "workflows.argoproj.io/display-name"


def test_a_literal_annotation_renames_the_node():
    doc = wf([{"name": "main", "steps": [[{"name": "hello", "template": "say"}]]},
              sh("say", "echo hi", annotations={KEY: "my custom name"})])
    r = run(doc)
    assert r.phase == "Succeeded", r.to_dict()["status"].get("message")
    names = sorted(n["displayName"] for n in r.nodes.values() if n["type"] == "Pod")
    assert names == ["my custom name"]


def test_a_templated_annotation_uses_the_inputs_and_each_node_gets_its_own():
    doc = wf([{"name": "main", "steps": [[
        {"name": "s", "template": "say", "arguments": {"parameters": [{"name": "who", "value": "{{item}}"}]},
         "withItems": ["ann", "bob"]}]]},
        sh("say", "echo {{inputs.parameters.who}}", inputs={"parameters": [{"name": "who"}]},
           annotations={KEY: "greet-{{inputs.parameters.who}}"})])
    r = run(doc)
    assert r.phase == "Succeeded", r.to_dict()["status"].get("message")
    pods = {n["displayName"]: n for n in r.nodes.values() if n["type"] == "Pod"}
    assert sorted(pods) == ["greet-ann", "greet-bob"]
    assert r.logs(pods["greet-bob"]["id"]).strip() == "bob"


def test_the_entrypoint_is_renamed_and_an_empty_annotation_keeps_the_generated_name():
    doc = wf([{"name": "main", "annotations": {KEY: "top"}, "steps": [[{"name": "x", "template": "say"}]]},
              sh("say", "echo hi", annotations={KEY: " "})])
    r = run(doc)
    assert r.phase == "Succeeded", r.to_dict()["status"].get("message")
    assert r.nodes[r.name]["displayName"] == "top"
    assert [n["displayName"] for n in r.nodes.values() if n["type"] == "Pod"] == ["x"]
