"""Schema errors: each kind of message, at the exact file:line:col, in Argo path notation."""
from __future__ import annotations

import sys
import subprocess


from jupyter_flow.spec import load
from jupyter_flow.spec.schema import schema_errors, unknown_fields

from .conftest import dedent


def _errors(text: str, filename: str = "hello.yaml") -> list[str]:
    [doc] = load(dedent(text), filename=filename)
    return [str(e) for e in sorted(schema_errors(doc), key=lambda e: (e.line, e.column))]


HEAD = """
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata:
      generateName: hello-
    spec:
      entrypoint: main
      templates:
    """


def test_expected_a_list_got_a_string():
    errs = _errors(HEAD.rstrip(" ") + """      - name: main
        container:
          image: alpine
          args: hello
    """)
    assert errs == ["hello.yaml:11:13: spec.templates[0].container.args: expected a list, got a string"]


def test_expected_an_integer_got_a_string():
    errs = _errors(HEAD.rstrip(" ") + """      - name: main
        parallelism: lots
        container: {image: alpine}
    """)
    assert errs == ["hello.yaml:9:18: spec.templates[0].parallelism: expected an integer, got a string"]


def test_missing_required_field():
    errs = _errors(HEAD.rstrip(" ") + """      - name: main
        steps:
        - - template: other
    """)
    # WorkflowStep's name is not required by the schema; Parameter's is
    assert errs == []
    errs = _errors(HEAD.rstrip(" ") + """      - name: main
        inputs:
          parameters:
          - value: x
        container: {image: alpine}
    """)
    assert errs == ['hello.yaml:11:9: spec.templates[0].inputs.parameters[0]: missing required field "name"']


def test_unknown_field_with_suggestion():
    errs = _errors(HEAD.rstrip(" ") + """      - name: main
        contaner:
          image: alpine
    """)
    assert errs == ['hello.yaml:9:5: spec.templates[0].contaner: unknown field "contaner", did you mean container?']


def test_unknown_field_without_suggestion_and_in_maps():
    errs = _errors(HEAD.rstrip(" ") + """      - name: main
        zzz: 1
        container:
          image: alpine
          env:
          - {name: A, vaule: b}
        nodeSelector:
          any-key: fine
    """)
    assert errs == [
        'hello.yaml:9:5: spec.templates[0].zzz: unknown field "zzz"',
        'hello.yaml:13:19: spec.templates[0].container.env[0].vaule: unknown field "vaule", did you mean value?',
    ]


def test_enum_and_const():
    errs = _errors("""
        apiVersion: argoproj.io/v1
        kind: Workflow
        spec:
          entrypoint: main
          templates:
          - name: main
            container: {image: alpine, imagePullPolicy: Sometimes}
        """)
    assert errs == [
        'hello.yaml:1:1: missing required field "metadata"',
        'hello.yaml:1:13: apiVersion: expected "argoproj.io/v1alpha1", got "argoproj.io/v1"',
        'hello.yaml:7:49: spec.templates[0].container.imagePullPolicy: expected one of "Always", '
        '"IfNotPresent", "Never", got "Sometimes"',
    ]


def test_int_or_string_and_quantity_and_parameter_values_accept_numbers():
    errs = _errors(HEAD.rstrip(" ") + """      - name: main
        activeDeadlineSeconds: 10
        retryStrategy: {limit: 3}
        inputs:
          parameters:
          - {name: n, value: 5}
          - {name: b, default: true}
          - {name: e, enum: [1, 2]}
        container:
          image: alpine
          resources: {limits: {cpu: 1, memory: 1Gi}}
    """)
    assert errs == []


def test_script_without_source_is_accepted():
    assert _errors(HEAD.rstrip(" ") + """      - name: main
        script: {image: alpine, args: [echo]}
    """) == []


def test_non_argo_kinds_are_not_checked():
    assert _errors("apiVersion: v1\nkind: ConfigMap\ndata: {a: b}\nwhatever: 1\n") == []


def test_every_schema_kind():
    for kind, spec in [
        ("WorkflowTemplate", "spec: {templates: [{name: a, container: {image: x}}], entrypoitn: a}"),
        ("ClusterWorkflowTemplate", "spec: {templates: [{name: a, container: {image: x}}], entrypoitn: a}"),
        ("CronWorkflow", "spec: {schedules: ['* * * * *'], workflowSpec: {entrypoitn: a}}"),
    ]:
        errs = _errors(f"apiVersion: argoproj.io/v1alpha1\nkind: {kind}\nmetadata: {{name: x}}\n{spec}\n")
        assert len(errs) == 1 and 'unknown field "entrypoitn", did you mean entrypoint?' in errs[0], kind


def test_unknown_fields_walk_is_iterative():
    deep: dict = {}
    node = deep
    for _ in range(5000):
        node["x"] = {}
        node = node["x"]
    assert len(list(unknown_fields(deep, {"additionalProperties": {"additionalProperties": {}}}))) == 0


def test_import_is_light():
    code = "import sys, jupyter_flow.spec; print('jsonschema' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
