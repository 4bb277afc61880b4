"""The package-level API: load_workflow, validate, lint."""
from __future__ import annotations

import pytest

import jupyter_flow.spec as spec
from jupyter_flow.errors import SpecError
from jupyter_flow.spec import Document, lint, load, load_workflow, validate

from .conftest import E2E, EXAMPLES, dedent

GOOD = dedent("""
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata:
      generateName: hello-
    spec:
      entrypoint: main
      templates:
      - name: main
        container:
          image: alpine
          command: [echo]
          args: [hi]
    """)


def test_public_names():
    for name in ("load", "Document", "validate", "load_workflow", "lint", "format_path"):
        assert hasattr(spec, name)
    assert callable(spec.lint)  # not shadowed by the lint submodule


def test_load_workflow_returns_document():
    doc = load_workflow(GOOD, filename="hello.yaml")
    assert isinstance(doc, Document) and doc.name == "hello-"


def test_load_workflow_raises_with_every_error():
    bad = GOOD.replace("args: [hi]", "args: hi").replace("entrypoint: main", "entrypoint: mian")
    with pytest.raises(SpecError) as info:
        load_workflow(bad, filename="hello.yaml")
    assert [str(e) for e in info.value.errors] == [
        'hello.yaml:6:3: spec.entrypoint: unknown template "mian", did you mean main?',
        "hello.yaml:12:13: spec.templates[0].container.args: expected a list, got a string",
    ]
    assert str(info.value).splitlines()[1] == "hello.yaml:12:13: spec.templates[0].container.args: expected a list, got a string"


def test_warnings_do_not_fail_load_workflow():
    text = GOOD.replace("metadata:", "metadata:\n  labels: {on: x}")
    doc = load_workflow(text)
    assert [e.severity for e in validate(doc)] == ["warning"]


def test_load_workflow_picks_the_workflow_and_uses_siblings_as_registry():
    text = dedent("""
        apiVersion: argoproj.io/v1alpha1
        kind: WorkflowTemplate
        metadata: {name: lib}
        spec:
          templates:
          - name: hello
            container: {image: alpine}
        ---
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {generateName: use-}
        spec:
          entrypoint: main
          templates:
          - name: main
            steps:
            - - name: a
                templateRef: {name: lib, template: hello}
            - - name: b
                templateRef: {name: lib, template: helo}
            - - name: c
                templateRef: {name: elsewhere, template: x}
        """)
    with pytest.raises(SpecError) as info:
        load_workflow(text)
    # "elsewhere" may live in the cluster: not reported without a real registry
    assert [e.message for e in info.value.errors] == ['template "helo" not found in WorkflowTemplate "lib"']
    with pytest.raises(SpecError) as info:
        load_workflow(text, registry=lambda name, cluster: None)
    assert len(info.value.errors) == 2


def test_load_workflow_rejects_ambiguous_and_empty_sources():
    with pytest.raises(SpecError, match="2 Workflows in one source"):
        load_workflow(GOOD + "---\n" + GOOD)
    with pytest.raises(SpecError, match="no document"):
        load_workflow("# nothing\n")


def test_validate_kind_problems():
    [doc] = load("metadata: {name: x}\nspec: {}\n")
    assert [e.message for e in validate(doc)] == ['missing required field "kind" (e.g. kind: Workflow)']
    [doc] = load("apiVersion: argoproj.io/v1alpha1\nkind: Workflw\n", filename="k.yaml")
    assert [str(e) for e in validate(doc)] == [
        "k.yaml:2:7: kind: unsupported kind 'Workflw'; expected one of Workflow, WorkflowTemplate, "
        "ClusterWorkflowTemplate, CronWorkflow"]
    [doc] = load({"apiVersion": "v1", "kind": "ConfigMap"})
    assert validate(doc) == []


def test_missing_kind_is_assumed_workflow_with_warning():
    data = {"metadata": {"generateName": "x-"},
            "spec": {"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "a"}}]}}
    [doc] = load(data)
    errs = validate(doc)
    assert [(e.severity, e.message) for e in errs] == [("warning", 'missing "kind"; assuming kind: Workflow')]


def test_dict_errors_have_no_line():
    data = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "x"},
            "spec": {"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "a", "args": "x"}}]}}
    with pytest.raises(SpecError) as info:
        load_workflow(data)
    assert str(info.value) == "<string>: spec.templates[0].container.args: expected a list, got a string"


def test_lint_never_raises():
    errs = lint("a: [1\n", filename="broken.yaml")
    assert len(errs) == 1 and errs[0].file == "broken.yaml" and "YAML syntax error" in errs[0].message


def test_lint_path_sources():
    errs = lint(E2E / "lintfail__invalid-spec.yaml")
    assert [(e.line, e.column, e.path) for e in errs] == [(9, 3, "spec.entrypoint")]
    assert lint(str(EXAMPLES / "hello-world.yaml")) == []
