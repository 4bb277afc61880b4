"""Values that look like code stay data: substitution happens once, nothing runs in the engine.

Step outputs and parameters carrying ``{{workflow.name}}``, ``{{=sprig...}}``, shell
metacharacters and Python code are consumed by later steps (args, output parameters, expr
tags, DAG tasks, loops); every consumer must see the exact bytes, and no marker file a
payload tries to create may appear.
"""
from __future__ import annotations

import base64

import pytest

import jupyter_flow


def payload(marks) -> str:
    m = [str(p) for p in marks]
    return ("{{workflow.name}} {{=sprig.repeat(3, 'x')}} {{= 1 + 1 }} {{steps.emit.outputs.result}} "
            f"$(touch {m[0]}) `touch {m[1]}`; touch {m[2]} && __import__('os').system('touch {m[3]}') "
            f"{{{{inputs.parameters.v}}}} ' \" \\ | > {m[4]} <script>alert(1)</script> %s %(x)s {{{{")


def emit_cmd(text: str) -> list[str]:
    """A step printing ``text`` exactly, without the text passing through substitution."""
    b64 = base64.b64encode(text.encode()).decode()
    return ["python3", "-c", "import base64,sys; sys.stdout.write(base64.b64decode(sys.argv[1]).decode())", b64]


@pytest.fixture
def marks(tmp_path):
    return [tmp_path / f"pwned-{i}" for i in range(5)]


def workflow(text: str) -> dict:
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "inject-"},
        "spec": {
            "entrypoint": "main",
            "arguments": {"parameters": [{"name": "payload", "value": "plain"}]},
            "templates": [
                {"name": "main", "steps": [
                    [{"name": "emit", "template": "emit"}],
                    [{"name": "echo-arg", "template": "echo",
                      "arguments": {"parameters": [{"name": "v", "value": "{{steps.emit.outputs.result}}"}]}},
                     {"name": "echo-expr", "template": "echo",
                      "arguments": {"parameters": [{"name": "v", "value": "{{=steps.emit.outputs.result}}"}]}},
                     {"name": "echo-param", "template": "echo",
                      "arguments": {"parameters": [{"name": "v", "value": "{{workflow.parameters.payload}}"}]}},
                     {"name": "file-param", "template": "file-param"},
                     {"name": "dag", "template": "dag",
                      "arguments": {"parameters": [{"name": "v", "value": "{{steps.emit.outputs.result}}"}]}},
                     {"name": "loop", "template": "echo",
                      "arguments": {"parameters": [{"name": "v", "value": "{{item}}"}]},
                      "withParam": "{{=toJson([steps.emit.outputs.result])}}"}],
                    [{"name": "echo-file", "template": "echo",
                      "arguments": {"parameters": [{"name": "v",
                                                    "value": "{{steps.file-param.outputs.parameters.out}}"}]}}],
                ]},
                {"name": "emit", "container": {"image": "python:3", "command": emit_cmd(text)}},
                {"name": "echo", "inputs": {"parameters": [{"name": "v"}]},
                 "container": {"image": "busybox", "command": ["printf", "%s", "{{inputs.parameters.v}}"]}},
                {"name": "file-param",
                 "outputs": {"parameters": [{"name": "out", "valueFrom": {"path": "/tmp/out.txt"}}]},
                 "container": {"image": "python:3", "command": [
                     "python3", "-c",
                     "import base64,sys; open('/tmp/out.txt','w').write(base64.b64decode(sys.argv[1]).decode())",
                     base64.b64encode(text.encode()).decode()]}},
                {"name": "dag", "inputs": {"parameters": [{"name": "v"}]}, "dag": {"tasks": [
                    {"name": "t", "template": "echo",
                     "arguments": {"parameters": [{"name": "v", "value": "{{inputs.parameters.v}}"}]}}]}},
            ],
        },
    }


def test_outputs_and_parameters_are_substituted_once_and_never_executed(store, marks):
    text = payload(marks)
    run = jupyter_flow.submit(workflow(text), parameters={"payload": text}, store=store)
    assert run.wait(120) == "Succeeded", run.to_dict()["status"]
    by_name = {n["displayName"]: n for n in run.nodes.values()}
    assert by_name["emit"]["outputs"]["result"] == text
    for step in ("echo-arg", "echo-expr", "echo-param", "echo-file", "t"):
        assert by_name[step]["outputs"]["result"] == text, step
    loop = [n for n in run.nodes.values() if n["displayName"].startswith("loop(0:")]
    assert loop and loop[0]["outputs"]["result"] == text
    assert by_name["file-param"]["outputs"]["parameters"][0]["value"] == text
    for mark in marks:
        assert not mark.exists(), f"{mark} was created: a payload ran"


def test_hostile_parameter_in_a_when_expression_is_data(store, marks):
    """A ``when`` built from a hostile output fails to parse or compares as data; it never runs code."""
    text = payload(marks)
    wf = workflow(text)
    wf["spec"]["templates"][0]["steps"] = [
        [{"name": "emit", "template": "emit"}],
        [{"name": "guarded", "template": "echo", "when": "'{{steps.emit.outputs.result}}' == 'x'",
          "arguments": {"parameters": [{"name": "v", "value": "ran"}]}}],
    ]
    run = jupyter_flow.submit(wf, store=store)
    run.wait(120)
    for mark in marks:
        assert not mark.exists()
    guarded = [n for n in run.nodes.values() if n["displayName"] == "guarded"]
    assert not guarded or guarded[0]["phase"] in ("Skipped", "Error", "Failed", "Omitted")
    assert not guarded or (guarded[0].get("outputs") or {}).get("result") != "ran"


def test_substitute_never_re_expands_substituted_text():
    from jupyter_flow import expr
    scope = {"a": "{{b}}", "b": "SECRET", "workflow.name": "wf", "c": "{{=sprig.repeat(2, 'y')}}"}
    assert expr.substitute("{{a}}", scope) == "{{b}}"
    assert expr.substitute("{{c}}", scope) == "{{=sprig.repeat(2, 'y')}}"
    assert expr.substitute("{{=a}}", scope) == "{{b}}"
    assert expr.substitute_obj({"x": ["{{a}}", {"y": "{{c}}"}]}, scope) == {"x": ["{{b}}", {"y": "{{=sprig.repeat(2, 'y')}}"}]}


@pytest.mark.parametrize("code", [
    "__import__('os').system('touch {m}')",
    "().__class__.__base__.__subclasses__()",
    "open('{m}', 'w')",
    "exec('import os')",
    "eval('1')",
    "globals()",
    "sprig.env('HOME')",
    "sprig.readFile('/etc/passwd')",
])
def test_expressions_have_no_python_escape_hatch(code, tmp_path):
    """expr-lang is interpreted by our own evaluator: Python builtins are not reachable."""
    from jupyter_flow import expr
    from jupyter_flow.errors import ExprError
    mark = tmp_path / "pwned"
    src = code.format(m=mark)
    for fn in (lambda: expr.evaluate(src, {}), lambda: expr.substitute("{{=" + src + "}}", {}),
               lambda: expr.when(src)):
        try:
            value = fn()
        except ExprError:
            continue
        assert not callable(value)
        assert "subclasses" not in repr(value)
    assert not mark.exists()
