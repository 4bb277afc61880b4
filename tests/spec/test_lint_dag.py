"""DAG lint: unknown tasks, mixing dependencies/depends, cycles, target, duplicates."""
from __future__ import annotations

import textwrap

from jupyter_flow.spec import load
from jupyter_flow.spec.lint import lint_document
from jupyter_flow.spec.lint_dag import find_cycle

from .conftest import dedent

HEAD = dedent("""
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {generateName: d-}
    spec:
      entrypoint: main
      templates:
      - name: leaf
        container: {image: alpine}
      - name: main
        dag:
          tasks:
    """)  # tasks start on line 12


def _lint(tasks: str, extra: str = "") -> list[str]:
    text = HEAD + textwrap.indent(dedent(tasks), "      ") + extra
    [doc] = load(text, filename="dag.yaml")
    return [str(e) for e in sorted(lint_document(doc), key=lambda e: (e.line, e.column))]


def test_clean_dag():
    assert _lint("""
        - {name: a, template: leaf}
        - {name: b, template: leaf, depends: a}
        - {name: c-x, template: leaf, depends: "a && (b.Succeeded || b.Failed)"}
        - {name: d, template: leaf, depends: "c-x"}
        """) == []


def test_unknown_dependency_with_suggestion():
    assert _lint("""
        - {name: alpha, template: leaf}
        - {name: b, template: leaf, dependencies: [alpah]}
        """) == ['dag.yaml:13:50: spec.templates[1].dag.tasks[1].dependencies[0]: '
                 'dependencies names unknown task "alpah", did you mean alpha?']


def test_unknown_depends_task():
    assert _lint("""
        - {name: a, template: leaf}
        - {name: b, template: leaf, depends: "a.Succeeded && zz.Failed"}
        """) == ['dag.yaml:13:35: spec.templates[1].dag.tasks[1].depends: depends names unknown task "zz"']


def test_mixing_dependencies_and_depends():
    errs = _lint("""
        - {name: a, template: leaf}
        - {name: b, template: leaf, dependencies: [a]}
        - {name: c, template: leaf, depends: "a"}
        """)
    assert errs == ['dag.yaml:14:35: spec.templates[1].dag.tasks[2].depends: cannot mix "dependencies" '
                    '(task "b") and "depends" (task "c") in one DAG']


def test_cycle_is_named():
    errs = _lint("""
        - {name: a, template: leaf, dependencies: [c]}
        - {name: b, template: leaf, dependencies: [a]}
        - {name: c, template: leaf, dependencies: [b]}
        """)
    assert errs == ["dag.yaml:12:9: spec.templates[1].dag.tasks[0]: dependency cycle: a -> b -> c -> a"]


def test_self_dependency_is_a_cycle():
    errs = _lint("- {name: a, template: leaf, depends: a.Succeeded}\n")
    assert errs == ["dag.yaml:12:9: spec.templates[1].dag.tasks[0]: dependency cycle: a -> a"]


def test_duplicate_and_missing_task_names():
    errs = _lint("""
        - {name: a, template: leaf}
        - {name: a, template: leaf}
        - {template: leaf}
        """)
    assert errs == [
        'dag.yaml:13:10: spec.templates[1].dag.tasks[1].name: duplicate task name "a"',
        'dag.yaml:14:9: spec.templates[1].dag.tasks[2]: missing required field "name"',
    ]


def test_unknown_target():
    errs = _lint("- {name: a, template: leaf}\n", extra="      target: a b\n")
    assert errs == ['dag.yaml:13:7: spec.templates[1].dag.target: target names unknown task "b"']
    # a templated target is not checked (a declared global: an undeclared one is lint_refs' error)
    assert _lint("- {name: a, template: leaf}\n", extra="      target: '{{workflow.name}}'\n") == []


def test_find_cycle_none_and_long():
    assert find_cycle({"a": [], "b": ["a"]}) is None
    chain = {f"t{i}": [f"t{i + 1}"] for i in range(5000)}
    chain["t5000"] = ["t0"]
    cycle = find_cycle(chain)
    assert cycle is not None and cycle[0] == cycle[-1] and len(cycle) == 5002
