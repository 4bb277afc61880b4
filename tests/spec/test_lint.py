"""Semantic lint: one test per error kind, each at its exact file:line:col."""
from __future__ import annotations

import textwrap

from jupyter_flow.spec import load, validate
from jupyter_flow.spec.lint import lint_document

from .conftest import dedent, errors_only


def _lint(text: str, registry=None) -> list[str]:
    [doc] = load(dedent(text), filename="wf.yaml")
    errs = sorted(lint_document(doc, registry), key=lambda e: (e.line, e.column))
    return [str(e) for e in errs]


def _wf(body: str, entry: str = "main") -> str:
    return dedent("""
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata:
          generateName: t-
        spec:
          entrypoint: %s
          templates:
        """) % entry + textwrap.indent(dedent(body), "  ")


OK = """
- name: main
  container: {image: alpine}
"""


def test_clean_workflow():
    assert _lint(_wf(OK)) == []


def test_missing_entrypoint():
    text = _wf(OK).replace("  entrypoint: main\n", "")
    assert _lint(text) == ["wf.yaml:5:1: spec: missing entrypoint: set spec.entrypoint to the template to run first"]


def test_missing_entrypoint_is_fine_for_templates_and_refs():
    text = _wf(OK).replace("  entrypoint: main\n", "").replace("kind: Workflow", "kind: WorkflowTemplate")
    assert _lint(text) == []
    text = _wf(OK).replace("  entrypoint: main\n", "  workflowTemplateRef: {name: other}\n")
    assert _lint(text) == []


def test_unknown_entrypoint_with_suggestion():
    assert _lint(_wf(OK, entry="mian")) == ['wf.yaml:6:3: spec.entrypoint: unknown template "mian", did you mean main?']


def test_unknown_step_template_and_onexit():
    text = _wf("""
        - name: main
          steps:
          - - name: a
              template: nope
              onExit: gone
        """)
    text = text.replace("templates:\n", "onExit: exit-handler\n  templates:\n")
    assert _lint(text) == [
        'wf.yaml:7:3: spec.onExit: unknown template "exit-handler"',
        'wf.yaml:12:9: spec.templates[0].steps[0][0].template: unknown template "nope"',
        'wf.yaml:13:9: spec.templates[0].steps[0][0].onExit: unknown template "gone"',
    ]


def test_step_without_target():
    text = _wf("""
        - name: main
          steps:
          - - name: a
        """)
    assert _lint(text) == ['wf.yaml:10:9: spec.templates[0].steps[0][0]: step "a" needs one of template, templateRef or inline']


def test_duplicate_template_and_step_names():
    text = _wf("""
        - name: main
          steps:
          - - {name: a, template: leaf}
            - {name: a, template: leaf}
        - name: leaf
          container: {image: alpine}
        - name: leaf
          script: {image: alpine, source: "true"}
        """)
    assert _lint(text) == [
        'wf.yaml:11:10: spec.templates[0].steps[0][1].name: duplicate step name "a"',
        'wf.yaml:14:5: spec.templates[2].name: duplicate template name "leaf"',
    ]


def test_template_type_count():
    text = _wf("""
        - name: main
          container: {image: alpine}
          script: {image: alpine, source: x}
        - name: empty
          inputs: {}
        """)
    assert _lint(text) == [
        'wf.yaml:8:5: spec.templates[0]: template "main" has more than one type: container, script (use exactly one)',
        'wf.yaml:11:5: spec.templates[1]: template "empty" has no type: add one of container, script, resource, '
        'steps, dag, suspend, data, http, plugin, containerSet',
    ]


def test_missing_argument():
    text = _wf("""
        - name: main
          steps:
          - - name: call
              template: echo
              arguments:
                parameters: [{name: other, value: x}]
        - name: echo
          inputs:
            parameters:
            - name: message
            - {name: optional, default: d}
            - {name: fixed, value: v}
          container: {image: alpine, args: ["{{inputs.parameters.message}}"]}
        """)
    assert _lint(text) == ['wf.yaml:10:9: spec.templates[0].steps[0][0]: missing argument "message" for template "echo"']


def test_entrypoint_arguments_come_from_spec_arguments():
    body = """
        - name: main
          inputs: {parameters: [{name: message}]}
          container: {image: alpine}
        """
    errs = _lint(_wf(body))
    assert errs == ['wf.yaml:6:3: spec.entrypoint: missing argument "message" for template "main" '
                    '(declare it in spec.arguments.parameters)']
    text = _wf(body).replace("templates:\n", "arguments: {parameters: [{name: message, value: hi}]}\n  templates:\n")
    assert _lint(text) == []


def test_undeclared_input_parameter_reference():
    text = _wf("""
        - name: main
          inputs: {parameters: [{name: a, value: "1"}]}
          container:
            image: alpine
            args: ["{{inputs.parameters.a}} {{inputs.parameters.b}}", "{{=inputs.parameters['c']}}"]
        """)
    assert _lint(text) == [
        'wf.yaml:12:14: spec.templates[0].container.args[0]: {{inputs.parameters.b}} refers to an input '
        'parameter that template "main" does not declare',
        'wf.yaml:12:65: spec.templates[0].container.args[1]: {{inputs.parameters.c}} refers to an input '
        'parameter that template "main" does not declare',
    ]


def test_inline_template_is_its_own_scope():
    text = _wf("""
        - name: main
          steps:
          - - name: a
              inline:
                inputs: {parameters: [{name: x}]}
                container: {image: alpine, args: ["{{inputs.parameters.x}}"]}
              arguments: {parameters: [{name: x, value: "1"}]}
        """)
    assert _lint(text) == []
    bad = text.replace("container: {image: alpine, args", "script: {image: alpine, source: y}\n          container: {image: alpine, args")
    assert any("inline template has more than one type" in e for e in _lint(bad))


def test_template_ref_with_registry():
    text = _wf("""
        - name: main
          steps:
          - - name: a
              templateRef: {name: lib, template: hello}
          - - name: b
              templateRef: {name: lib, template: nope}
          - - name: c
              templateRef: {name: missing, template: x, clusterScope: true}
        """)
    lib = {"kind": "WorkflowTemplate", "metadata": {"name": "lib"},
           "spec": {"templates": [{"name": "hello", "inputs": {"parameters": [{"name": "who"}]},
                                   "container": {"image": "alpine"}}]}}
    calls = []

    def registry(name, cluster):
        calls.append((name, cluster))
        return lib if (name, cluster) == ("lib", False) else None

    assert _lint(text) == []  # without a registry references are trusted
    assert _lint(text, registry) == [
        'wf.yaml:10:9: spec.templates[0].steps[0][0]: missing argument "who" for template "hello"',
        'wf.yaml:13:34: spec.templates[0].steps[1][0].templateRef.template: template "nope" not found '
        'in WorkflowTemplate "lib"',
        'wf.yaml:15:23: spec.templates[0].steps[2][0].templateRef.name: unknown ClusterWorkflowTemplate "missing"',
    ]
    assert calls.count(("lib", False)) == 1  # cached


def test_workflow_template_ref_with_registry():
    text = dedent("""
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {generateName: x-}
        spec:
          entrypoint: nope
          workflowTemplateRef: {name: lib}
        """)
    lib = {"kind": "WorkflowTemplate", "metadata": {"name": "lib"},
           "spec": {"entrypoint": "hello", "templates": [{"name": "hello", "container": {"image": "a"}}]}}
    assert _lint(text) == []
    assert _lint(text, lambda n, c: lib) == ['wf.yaml:5:3: spec.entrypoint: unknown template "nope"']
    assert _lint(text.replace("nope", "hello"), lambda n, c: lib) == []
    assert _lint(text, lambda n, c: None) == ['wf.yaml:6:25: spec.workflowTemplateRef.name: unknown WorkflowTemplate "lib"']


def test_hooks_are_checked():
    text = _wf("""
        - name: main
          container: {image: alpine}
        """).replace("templates:\n", "hooks:\n    exit: {template: bye}\n    running: {expression: 'true', template: main}\n  templates:\n")
    assert _lint(text) == ['wf.yaml:8:12: spec.hooks.exit.template: unknown template "bye"']


def test_cron_workflow_spec_is_linted():
    text = dedent("""
        apiVersion: argoproj.io/v1alpha1
        kind: CronWorkflow
        metadata: {name: c}
        spec:
          schedules: ["* * * * *"]
          workflowSpec:
            entrypoint: nope
            templates:
            - {name: main, container: {image: alpine}}
        """)
    assert _lint(text) == ['wf.yaml:7:5: spec.workflowSpec.entrypoint: unknown template "nope"']


def test_validate_combines_schema_lint_and_load_warnings():
    [doc] = load(_wf("""
        - name: main
          contaner: {image: alpine}
          on: 1
        """), filename="wf.yaml")
    errs = [str(e) for e in validate(doc)]
    assert errs == [
        'wf.yaml:8:5: spec.templates[0]: template "main" has no type: add one of container, script, resource, '
        'steps, dag, suspend, data, http, plugin, containerSet',
        'wf.yaml:9:5: spec.templates[0].contaner: unknown field "contaner", did you mean container?',
        'wf.yaml:10:5: spec.templates[0].on: key "on" is a YAML 1.1 boolean; Argo would read it as "true" (quote it to be safe)',
        'wf.yaml:10:5: spec.templates[0].on: unknown field "on"',
    ]
    assert [e.severity for e in validate(doc)] == ["error", "error", "warning", "error"]
    assert len(errors_only(validate(doc))) == 3


def test_a_template_without_a_name_is_named_as_the_problem():
    errs = _lint(_wf("""
        - container: {image: alpine}
        """))
    assert "wf.yaml:8:5: spec.templates[0]: template name is required: add `name: <name>` to this template" in errs
