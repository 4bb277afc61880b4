"""Expression checks in the lint (need ``jupyter_flow.expr``) and the reference scanner."""
from __future__ import annotations

import textwrap

import pytest

from jupyter_flow.spec import lint_expr, load
from jupyter_flow.spec.lint import lint_document
from jupyter_flow.spec.lint_expr import expr_module, input_parameter_refs, iter_tags

from .conftest import dedent


def test_expr_module_is_available():
    assert expr_module() is not None, "jupyter_flow.expr must provide check/check_when/depends_tasks/tags"


HEAD = dedent("""
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {generateName: e-}
    spec:
      entrypoint: main
      templates:
      - name: leaf
        container: {image: alpine}
    """)  # line 9 is the next template


def _lint(body: str) -> list[str]:
    [doc] = load(HEAD + textwrap.indent(dedent(body), "  "), filename="e.yaml")
    return [str(e) for e in sorted(lint_document(doc), key=lambda e: (e.line, e.column))]


VALID = """
- name: main
  retryStrategy: {limit: 2, expression: "lastRetry.status == 'Error' && asInt(lastRetry.exitCode) > 1"}
  steps:
  - - name: flip
      template: leaf
  - - name: heads
      template: leaf
      when: "{{steps.flip.outputs.result}} == heads"
    - name: tails
      template: leaf
      when: "'{{steps.flip.outputs.result}}' =~ '^t' && {{=steps.flip.status == 'Succeeded'}}"
      hooks:
        running: {expression: "steps['flip'].status == \\"Running\\"", template: leaf}
  outputs:
    parameters:
    - name: p
      valueFrom: {expression: "steps.flip.outputs.result == 'heads' ? 'a' : 'b'"}
"""


def test_valid_expressions_are_clean():
    assert _lint(VALID) == []


def test_bad_when():
    errs = _lint("""
        - name: main
          steps:
          - - name: a
              template: leaf
              when: "{{workflow.name}} == == heads"
        """)
    assert len(errs) == 1 and errs[0].startswith("e.yaml:13:9: spec.templates[1].steps[0][0].when: invalid when expression")


def test_bad_depends():
    errs = _lint("""
        - name: main
          dag:
            tasks:
            - {name: a, template: leaf}
            - {name: b, template: leaf, depends: "a &&"}
        """)
    assert len(errs) == 1 and "invalid depends expression" in errs[0]
    assert errs[0].startswith("e.yaml:13:35: spec.templates[1].dag.tasks[1].depends:")


def test_bad_expression_tag_anywhere():
    errs = _lint("""
        - name: main
          container: {image: alpine, args: ["{{= 1 + }}"]}
        """)
    assert len(errs) == 1 and errs[0].startswith("e.yaml:10:39: spec.templates[1].container.args[0]: invalid expression")


@pytest.mark.parametrize("field,text", [
    ("retry", 'retryStrategy: {expression: "lastRetry.status =="}'),
    ("valueFrom", 'outputs: {parameters: [{name: p, valueFrom: {expression: "(("}}]}'),
    ("hook", 'hooks: {x: {expression: "a ==", template: leaf}}'),
])
def test_bad_expr_fields(field, text):
    body = "- name: main\n  container: {image: alpine}\n  " + text + "\n"
    if field == "hook":
        body = "- name: main\n  steps:\n  - - name: s\n      template: leaf\n      " + text + "\n"
    errs = _lint(body)
    assert len(errs) == 1 and "invalid expression" in errs[0], errs


def test_lint_degrades_without_expr(monkeypatch):
    monkeypatch.setattr(lint_expr, "expr_module", lambda: None)
    errs = _lint("""
        - name: main
          dag:
            tasks:
            - {name: a, template: leaf, when: "== =="}
            - {name: b, template: leaf, depends: "a && zz"}
        """)
    # syntax checks are skipped, but task names in depends are still resolved
    assert errs == ['e.yaml:13:35: spec.templates[1].dag.tasks[1].depends: depends names unknown task "zz"']


def test_iter_tags_and_input_refs_fallback(monkeypatch):
    monkeypatch.setattr(lint_expr, "expr_module", lambda: None)
    text = "a {{inputs.parameters.x}} b {{= inputs.parameters['y-z'] + inputs.parameters.w }}"
    assert [k for k, *_ in iter_tags(text)] == ["simple", "expr"]
    assert list(input_parameter_refs(text)) == ["x", "y-z", "w"]


def test_input_refs_ignore_other_variables():
    assert list(input_parameter_refs("{{inputs.artifacts.a.path}} {{workflow.name}} {{inputs.parameters}}")) == []


def test_unquoted_words_in_when_get_a_quoting_hint():
    from jupyter_flow.spec.lint_expr import check_when
    message = check_when("{{workflow.name}} == hi there")
    assert "Cannot transition token types from VARIABLE [hi] to VARIABLE [there]" in message
    assert "unless quoted" in message and "'hi there'" in message
    assert check_when("'{{workflow.name}}' == 'hi there'") is None
