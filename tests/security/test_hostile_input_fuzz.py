"""Property-based fuzzing of the loader, the validator and the expression evaluators.

Random text and mutations of the upstream Argo examples go through ``spec.load``,
``spec.validate``, ``spec.lint``, ``api.load_document`` and every expression the document
holds; the only exceptions allowed out are ``jupyter_flow.errors.*``, and each carries a
location (file + line or field path; expression + offset).

Budget: a few hundred cases per property by default (seconds); ``JF_FUZZ_EXAMPLES=20000``
runs a long campaign (README "Reliability" quotes one).
"""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_flow import api, expr, spec
from jupyter_flow.errors import ExprError, JupyterFlowError, LintError, SpecError

from .conftest import corpus_texts, fuzz_examples

CORPUS = corpus_texts()
SETTINGS = settings(max_examples=fuzz_examples(150), deadline=None, derandomize=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])

HOSTILE = [
    "{{", "}}", "{{=", "{{workflow.name}}", "{{= sprig.repeat(99, 'x') }}", "*a", "&a", "<<: *a",
    "!!python/object/apply:os.system ['touch /tmp/pwned']", "!!binary AAAA", "!!set {a}", "? [a]: b",
    "- ", ": ", "[", "]", "{", "}", "'", '"', "\t", "\x00", "\ufeff", "0x1F", "1e999", "-.inf", ".nan", "~",
    "%YAML 1.1\n---\n", "---\n", "...\n", "|", ">-", "`", "$(touch /tmp/x)", "'; DROP TABLE runs;--",
    "\u202e", "é", "9" * 40, "yes", "on", "null", "- - - -", "a: b: c", "#", "&x [*x]",
]


# errors about the whole file: the file is the location (text such as ".json" is taken for a path)
WHOLE_FILE = ("no document found", "not UTF-8", "file is too large", "file not found", "is a directory",
              "cannot read file")


def check_lint(err: LintError) -> None:
    assert isinstance(err, LintError)
    assert err.file, err
    assert err.line > 0 or err.path or err.message.startswith(WHOLE_FILE), f"no location: {err!r}"
    assert str(err)


def check_error(exc: BaseException) -> None:
    """Only our error types, each with a location."""
    if isinstance(exc, SpecError):
        assert exc.errors
        for err in exc.errors:
            check_lint(err)
    elif isinstance(exc, ExprError):
        assert exc.expression or exc.position is not None, f"no location: {exc!r}"
    elif not isinstance(exc, JupyterFlowError):
        raise exc


def exercise_expressions(doc_text: str) -> None:
    """Every ``{{...}}`` tag, ``when`` and ``depends`` in the text, against a small scope."""
    scope = {"workflow.name": "wf", "inputs.parameters.x": "1", "item": '{"a":1}', "item.a": "1",
             "steps.a.outputs.result": "{{workflow.name}}", "tasks.a.outputs.result": "$(touch /tmp/x)"}
    for mode in ("keep", "error"):
        try:
            expr.substitute(doc_text, scope, missing=mode)
        except JupyterFlowError as exc:
            check_error(exc)
    try:
        tags = expr.tags(doc_text)
    except JupyterFlowError as exc:
        check_error(exc)
        return
    for tag in tags[:50]:
        for fn in ((expr.check, expr.evaluate) if tag.kind == "expr" else (expr.check_when, expr.when)):
            try:
                fn(tag.body) if fn in (expr.check, expr.check_when, expr.when) else fn(tag.body, expr.nested_env(scope))
            except JupyterFlowError as exc:
                check_error(exc)
        try:
            expr.depends(tag.body, {"a": {"Succeeded": True}})
        except JupyterFlowError as exc:
            check_error(exc)


def exercise(text: str) -> None:
    try:
        docs = spec.load(text, filename="fuzz.yaml")
    except JupyterFlowError as exc:
        check_error(exc)
        docs = []
    for doc in docs:
        for err in spec.validate(doc):
            check_lint(err)
    for err in spec.lint(text, filename="fuzz.yaml"):
        check_lint(err)
    try:
        api.load_document(text, filename="fuzz.yaml")
    except JupyterFlowError as exc:
        check_error(exc)
    exercise_expressions(text)


@st.composite
def mutated_example(draw) -> str:
    _, text = draw(st.sampled_from(CORPUS))
    lines = text.splitlines(keepends=True) or [""]
    for _ in range(draw(st.integers(1, 5))):
        if not lines:
            lines = [""]
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["delete", "dup", "swap", "insert", "indent", "dedent", "replace_value",
                                   "truncate", "inject_line"]))
        line = lines[i]
        if op == "delete":
            del lines[i]
        elif op == "dup":
            lines.insert(i, line)
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "insert":
            pos = draw(st.integers(0, len(line)))
            token = draw(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=8)))
            lines[i] = line[:pos] + token + line[pos:]
        elif op == "indent":
            lines[i] = " " * draw(st.integers(1, 4)) + line
        elif op == "dedent":
            lines[i] = line.lstrip(" ")
        elif op == "replace_value" and ":" in line:
            key = line.split(":", 1)[0]
            lines[i] = key + ": " + draw(st.sampled_from(HOSTILE)) + "\n"
        elif op == "truncate":
            text = "".join(lines)
            cut = draw(st.integers(0, len(text)))
            lines = text[:cut].splitlines(keepends=True)
        elif op == "inject_line":
            lines.insert(i, line[: len(line) - len(line.lstrip())] + draw(st.sampled_from(HOSTILE)) + "\n")
    return "".join(lines)


@pytest.mark.usefixtures("require_corpus")
@SETTINGS
@given(mutated_example())
def test_mutated_examples_raise_only_located_project_errors(text):
    exercise(text)


@SETTINGS
@given(st.one_of(st.text(max_size=300), st.lists(st.sampled_from(HOSTILE + ["\n", "  ", "a", ":", "-"]),
                                                  max_size=40).map("".join)))
def test_random_text_raises_only_located_project_errors(text):
    exercise(text)


@SETTINGS
@given(st.binary(max_size=200))
def test_random_bytes_raise_only_located_project_errors(data):
    try:
        docs = spec.load(data, filename="fuzz.yaml")
    except JupyterFlowError as exc:
        check_error(exc)
        return
    for doc in docs:
        for err in spec.validate(doc):
            check_lint(err)


JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True),
              st.text(max_size=20), st.sampled_from(HOSTILE)),
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.text(max_size=12), children, max_size=4)),
    max_leaves=25,
)
FIELDS = st.sampled_from(["name", "entrypoint", "templates", "steps", "dag", "tasks", "container", "script",
                          "arguments", "parameters", "inputs", "outputs", "withItems", "withParam",
                          "withSequence", "when", "depends", "retryStrategy", "onExit", "template", "args",
                          "command", "image", "value", "valueFrom", "artifacts", "suspend", "resource"])


@SETTINGS
@given(st.dictionaries(FIELDS, JSON, max_size=6), st.dictionaries(FIELDS, JSON, max_size=4))
def test_random_structures_validate_without_crashing(spec_fields, template_fields):
    wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "f-"},
          "spec": dict({"entrypoint": "main", "templates": [dict({"name": "main"}, **template_fields)]},
                       **spec_fields)}
    try:
        docs = spec.load(wf)
    except JupyterFlowError as exc:
        check_error(exc)
        return
    for err in spec.validate(docs[0]):
        assert isinstance(err, LintError) and (err.path or err.line or err.message)
    try:
        api.load_document(wf)
    except JupyterFlowError as exc:
        assert isinstance(exc, (SpecError, ExprError, JupyterFlowError))
    text = json.dumps(wf)
    exercise(text)


def test_corpus_examples_themselves_are_clean(require_corpus):
    """The unmutated corpus: loading, linting and expression checks raise nothing unexpected."""
    for name, text in CORPUS:
        exercise(text)
