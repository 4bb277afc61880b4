"""References Argo's submit refuses with ``failed to resolve {{...}}`` (validate.go resolveAllVariables).

Cases follow upstream's own validate_test.go / validate_dag_test.go where they exist.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import jupyter_flow
from jupyter_flow.errors import SpecError
from jupyter_flow.spec import lint

from .conftest import dedent, errors_only


def _wf(templates: str, args: str = "", extra: str = "") -> str:
    return dedent("""
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {generateName: refs-}
        spec:
          entrypoint: main
        """) + (f"  arguments:\n    parameters:\n{args}" if args else "") + "  templates:\n" + \
        textwrap.indent(dedent(templates) + dedent(extra), "  ")


def _errs(text: str, registry=None) -> list[str]:
    return [str(e) for e in errors_only(lint(text, filename="w.yaml", registry=registry))]


ECHO = """\
- name: echo
  inputs: {parameters: [{name: m}]}
  container: {image: busybox, command: [echo, "{{inputs.parameters.m}}"]}
"""

UNDECLARED = _wf("""
- name: main
  steps:
  - - name: a
      template: echo
      arguments: {parameters: [{name: m, value: "{{workflow.parameters.known}}-{{workflow.parameters.typo}}"}]}
""", extra=ECHO, args="    - {name: known, value: k}\n")

TYPO_LINE = next(i for i, line in enumerate(UNDECLARED.splitlines(), 1) if "parameters.typo" in line)


def test_undeclared_workflow_parameter_is_reported_with_its_line():
    errs = _errs(UNDECLARED)
    assert len(errs) == 1, errs
    assert errs[0].startswith(f"w.yaml:{TYPO_LINE}:")
    assert "spec.templates[0].steps[0][0].arguments.parameters[0].value" in errs[0]
    assert "failed to resolve {{workflow.parameters.typo}}" in errs[0]


def test_lint_cli_says_it_with_the_line(tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text(UNDECLARED)
    out = subprocess.run([sys.executable, "-m", "jupyter_flow.cli", "lint", str(path)], capture_output=True,
                         text=True, env=os.environ.copy(), timeout=60)
    assert out.returncode != 0
    assert f"{path}:{TYPO_LINE}:" in out.stdout + out.stderr and "workflow.parameters.typo" in out.stdout + out.stderr


def test_submit_refuses_before_anything_runs_and_p_declares_it():
    """Argo refuses the submit; ``-p typo=x`` adds the parameter (util.overrideParameters), so the
    same file then runs with the value in place of the tag."""
    with pytest.raises(SpecError) as err:
        jupyter_flow.submit(UNDECLARED, wait=True)
    assert "failed to resolve {{workflow.parameters.typo}}" in str(err.value)
    assert err.value.errors[0].line == TYPO_LINE
    assert jupyter_flow.runs() == []
    run = jupyter_flow.submit(UNDECLARED, parameters={"typo": "fixed"}, wait=True, timeout=60)
    assert run.phase == "Succeeded"
    assert run.logs(run.node("a")["id"]) == "k-fixed\n"


def test_leaf_template_globals_and_pod_name():
    errs = _errs(_wf("""
        - name: main
          container: {image: busybox, command: [echo, "{{workflow.name}} {{pod.name}} {{workflow.parameters.nope}}"]}
        - name: s
          steps: [[{name: x, template: main, arguments: {parameters: [{name: p, value: "{{pod.name}}"}]}}]]
        """))
    assert len(errs) == 2, errs
    assert "failed to resolve {{workflow.parameters.nope}}" in errs[0]
    assert "failed to resolve {{pod.name}}" in errs[1] and "steps[0][0]" in errs[1]


def test_workflow_template_parameters_may_come_from_the_workflow():
    wt = dedent("""
        apiVersion: argoproj.io/v1alpha1
        kind: WorkflowTemplate
        metadata: {name: lib}
        spec:
          templates:
          - name: hello
            container: {image: busybox, command: [echo, "{{workflow.parameters.anything}}"]}
        """)
    assert _errs(wt) == []


def test_workflow_template_ref_arguments_count_as_declared():
    wt = {"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate", "metadata": {"name": "lib"},
          "spec": {"entrypoint": "hello", "arguments": {"parameters": [{"name": "from-wt", "value": "1"}]},
                   "templates": [{"name": "hello", "container": {"image": "busybox", "command": ["echo"]}}]}}
    registry = lambda name, cluster: wt if name == "lib" else None   # noqa: E731
    doc = dedent("""
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {generateName: r-}
        spec:
          workflowTemplateRef: {name: lib}
          templates:
          - name: extra
            container: {image: busybox, command: [echo, "{{workflow.parameters.from-wt}} {{workflow.parameters.x}}"]}
        """)
    errs = _errs(doc, registry)
    assert len(errs) == 1 and "{{workflow.parameters.x}}" in errs[0], errs
    # a WorkflowTemplate out of sight (no registry: on the cluster) may declare anything
    assert _errs(doc, None) == []


def test_global_outputs_need_a_global_name():
    """validate_test.go: failed to resolve {{workflow.outputs.artifacts.nonexistent}}."""
    text = _wf("""
        - name: main
          steps:
          - - {name: make, template: make}
          - - {name: use, template: echo, arguments: {parameters: [{name: m, value: "{{workflow.outputs.parameters.g}}"}]}}
          - - {name: use2, template: echo, arguments: {parameters: [{name: m, value: "{{workflow.outputs.artifacts.nonexistent}}"}]}}
        - name: make
          container: {image: busybox, command: [sh, -c, "echo 1 > /tmp/g"]}
          outputs:
            parameters: [{name: g, globalName: g, valueFrom: {path: /tmp/g}}]
        """, extra=ECHO)
    errs = _errs(text)
    assert len(errs) == 1 and "failed to resolve {{workflow.outputs.artifacts.nonexistent}}" in errs[0], errs


def test_steps_see_earlier_steps_and_their_declared_outputs():
    text = _wf("""
        - name: main
          steps:
          - - {name: one, template: echo, arguments: {parameters: [{name: m, value: "{{steps.two.status}}"}]}}
          - - {name: two, template: echo, arguments: {parameters: [{name: m, value: "{{steps.one.outputs.result}} {{steps.one.status}}"}]}}
          - - {name: three, template: nested, arguments: {parameters: [{name: m, value: "{{steps.two.outputs.parameters.nope}}"}]}}
          - - {name: four, template: echo, arguments: {parameters: [{name: m, value: "{{steps.three.outputs.result}} {{steps.three.outputs.parameters.p}}"}]}}
          - - {name: five, templateRef: {name: unseen, template: t}}
          - - {name: six, template: echo, arguments: {parameters: [{name: m, value: "{{steps.five.outputs.parameters.any}} {{tasks.x.id}}"}]}}
        - name: nested
          inputs: {parameters: [{name: m}]}
          steps: [[{name: inner, template: echo, arguments: {parameters: [{name: m, value: "{{inputs.parameters.m}}"}]}}]]
          outputs:
            parameters: [{name: p, valueFrom: {parameter: "{{steps.inner.outputs.result}}"}}]
        """, extra=ECHO)
    errs = _errs(text)
    failed = sorted(e.split("failed to resolve ")[1].split(":")[0] for e in errs)
    # a steps template has no outputs.result; an unseen WorkflowTemplate's outputs are not known
    assert failed == ["{{steps.three.outputs.result}}", "{{steps.two.outputs.parameters.nope}}",
                      "{{steps.two.status}}", "{{tasks.x.id}}"], errs


def test_dag_status_only_of_ancestors_and_argument_dependencies():
    """validate_dag_test.go: dagStatusNoFutureReference, dagResolvedVarNotAncestor."""
    text = _wf("""
        - name: main
          dag:
            tasks:
            - {name: A, template: echo, arguments: {parameters: [{name: m, value: "{{tasks.B.status}}"}]}}
            - {name: B, template: echo, arguments: {parameters: [{name: m, value: x}]}}
            - {name: C, template: echo, depends: A, arguments: {parameters: [{name: m, value: "{{tasks.B.outputs.result}}"}]}}
            - {name: D, template: echo, depends: C, arguments: {parameters: [{name: m, value: "{{tasks.A.status}} {{tasks.A.outputs.result}}"}]}}
        """, extra=ECHO)
    errs = _errs(text)
    assert len(errs) == 3, errs
    assert "failed to resolve {{tasks.B.status}}" in errs[0] and "tasks[0]" in errs[0]
    assert "missing dependency 'B' for parameter 'm'" in errs[1] and "tasks[0]" in errs[1]
    assert "missing dependency 'B' for parameter 'm'" in errs[2] and "tasks[2]" in errs[2]


def test_items_and_step_names_built_from_inputs():
    """A map item's keys only; a step named ``run-{{inputs.parameters.d}}`` referenced the same way
    (validate_test.go TestDynamicStepNameWithInputParameters, argo#15896)."""
    text = _wf("""
        - name: main
          steps:
          - - {name: m, template: echo, withItems: [{k: 1}], arguments: {parameters: [{name: m, value: "{{item.k}} {{item.z}}"}]}}
          - - {name: p, template: echo, withParam: "[1]", arguments: {parameters: [{name: m, value: "{{item.anything}}"}]}}
        - name: day
          inputs: {parameters: [{name: d}]}
          steps:
          - - {name: "run-{{inputs.parameters.d}}", template: echo, arguments: {parameters: [{name: m, value: x}]}}
          - - name: check
              template: echo
              arguments: {parameters: [{name: m, value: x}]}
              when: "{{steps.run-{{inputs.parameters.d}}.status}} != Succeeded"
        """, extra=ECHO)
    errs = _errs(text)
    assert len(errs) == 1 and "failed to resolve {{item.z}}" in errs[0], errs


@pytest.mark.parametrize("spec_fields", [{"templates": True}, {"templates": "x"},
                                         {"arguments": {"parameters": 3}},
                                         {"templates": [{"name": "main", "outputs": {"parameters": True},
                                                         "inputs": {"artifacts": 1},
                                                         "dag": {"tasks": {"a": 1}}}]}])
def test_fields_of_the_wrong_type_are_schema_errors_not_a_crash(spec_fields):
    """Found by the hypothesis fuzz (tests/security/test_hostile_input_fuzz.py): the reference
    check iterated over whatever a list field held (``templates: true``: TypeError)."""
    from jupyter_flow import spec as S
    doc = S.load({"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "w"},
                  "spec": {"entrypoint": "main", **spec_fields}})[0]
    errors = S.validate(doc)
    assert errors and all(e.message for e in errors)
