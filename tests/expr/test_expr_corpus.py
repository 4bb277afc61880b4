"""Every expression in Argo's upstream examples and e2e workflows parses.

Collected from the corpus's examples and e2e workflows (``tests/upstream.py``): each ``{{= }}``
tag, each ``when`` (after replacing tags by a placeholder, as the controller substitutes before
govaluate), each ``depends``, and each expr-lang field (``expression``, ``fromExpression``, HTTP ``successCondition``).
"""
from __future__ import annotations

from typing import Any, Iterator

import pytest

from jupyter_flow.expr import check, check_when, depends_tasks, tags
from tests.upstream import E2E, EXAMPLES

yaml = pytest.importorskip("yaml")

FOLDERS = [EXAMPLES, E2E]
EXPR_FIELDS = {"expression", "fromExpression"}
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _walk(node: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, path + (i,))
    else:
        yield path, node


def _placeholder(text: str) -> str:
    """Substitute every tag by a value govaluate/expr accept in that position."""
    out, pos = [], 0
    for tag in tags(text):
        out.append(text[pos:tag.start])
        out.append("true")
        pos = tag.end
    out.append(text[pos:])
    return "".join(out)


def _collect() -> list[tuple[str, str, str]]:
    found: list[tuple[str, str, str]] = []
    for folder in FOLDERS:
        for file in sorted(folder.glob("*.yaml")):
            try:
                docs = list(yaml.load_all(file.read_text(), Loader=_LOADER))
            except yaml.YAMLError:
                continue
            for doc in docs:
                for path, value in _walk(doc):
                    if not isinstance(value, str):
                        continue
                    where = f"{file.name}:{'.'.join(map(str, path))}"
                    key = path[-1] if path else ""
                    for tag in tags(value):
                        if tag.kind == "expr":
                            found.append(("expr", where, tag.body))
                    if key == "when":
                        found.append(("when", where, value))
                    elif key == "depends":
                        found.append(("depends", where, value))
                    elif key in EXPR_FIELDS and "{{=" not in value:
                        found.append(("exprfield", where, value))
                    elif key == "successCondition" and "response." in value:
                        found.append(("exprfield", where, value))
    return found


CORPUS = _collect()


def test_corpus_is_not_empty() -> None:
    kinds = {k for k, _, _ in CORPUS}
    assert {"expr", "when", "depends", "exprfield"} <= kinds
    assert sum(1 for k, _, _ in CORPUS if k == "expr") >= 30


@pytest.mark.parametrize("kind, where, text", CORPUS, ids=[f"{k}:{w}" for k, w, _ in CORPUS])
def test_upstream_expression_parses(kind: str, where: str, text: str) -> None:
    if kind == "expr":
        check(text)
    elif kind == "exprfield":
        check(_placeholder(text))
    elif kind == "depends":
        assert depends_tasks(text)
    else:
        check_when(_placeholder(text))


@pytest.mark.parametrize("src, env, expected", [
    ("asInt(lastRetry.exitCode) > 1 && lastRetry.status != \"Error\" && asInt(lastRetry.duration) < 120 && "
     "(false == true || lastRetry.message matches 'imminent node shutdown|pod deleted')",
     {"lastRetry.exitCode": "2", "lastRetry.status": "Failed", "lastRetry.duration": "5",
      "lastRetry.message": "pod deleted"}, True),
    ("asInt(inputs.parameters.num) == 1? 1: asInt(inputs.parameters.num) == 2? 1: "
     "steps['fibonacci-helper'].outputs.parameters.result",
     {"inputs.parameters.num": "5", "steps.fibonacci-helper.outputs.parameters.result": "5"}, "5"),
    ("asInt(inputs.parameters.num) == 1? 1: 2", {"inputs.parameters.num": "1"}, 1),
    ("tasks['flip-coin'].outputs.result == 'heads' ? tasks.heads.outputs.result : tasks.tails.outputs.result",
     {"tasks.flip-coin.outputs.result": "tails", "tasks.tails.outputs.result": "T"}, "T"),
    ("steps[\"step-1\"].status == \"Running\"", {"steps.step-1.status": "Running"}, True),
    ("workflow.status == \"Running\"", {"workflow.status": "Succeeded"}, False),
    ("response.statusCode == 201", {"response": {"statusCode": 201}}, True),
    ("response.body contains \"google\"", {"response.body": "<html>google</html>"}, True),
    ("response.headers[\"Server\"][0] == \"cloudflare\"", {"response": {"headers": {"Server": ["cloudflare"]}}}, True),
    ("filter(data, {# endsWith \"main.log\"})", {"data": ["a/main.log", "b.txt"]}, ["a/main.log"]),
    ("tasks.producer.outputs.parameters.msg ?? 'expr-fallback'",
     {"tasks.producer.outputs.parameters.msg": None}, "expr-fallback"),
    ("workflow.parameters.foo", {"workflow.parameters.foo": "bar"}, "bar"),
    ("cronworkflow.lastScheduledTime == nil || (now() - cronworkflow.lastScheduledTime).Seconds() > 360",
     {"cronworkflow": {"lastScheduledTime": None}}, True),
    ("cronworkflow.lastScheduledTime == nil || (now() - cronworkflow.lastScheduledTime).Seconds() > 360",
     {"cronworkflow.lastScheduledTime": "2020-01-01T00:00:00Z"}, True),
])
def test_upstream_expressions_evaluate(src: str, env: dict, expected: object) -> None:
    from jupyter_flow.expr import evaluate
    assert evaluate(src, env) == expected
