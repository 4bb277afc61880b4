"""The upstream Argo corpus: valid documents must come out clean, lintfail ones must not."""
from __future__ import annotations

import time

import pytest

from jupyter_flow.spec import lint, load
from jupyter_flow.spec.schema import schema_errors

from .conftest import E2E, EXAMPLES, errors_only

EXAMPLE_FILES = sorted(p.name for p in EXAMPLES.glob("*.yaml"))
E2E_FILES = sorted(p.name for p in E2E.glob("*.yaml"))

#: e2e files that are not in expectedfailures/ or lintfail/ but are rightly flagged.
E2E_KNOWN_BAD = {
    # upstream typo "dbapiVersion:" (no apiVersion at all); the Go test harness decodes leniently
    "synchronization__db-mutex-wf-level.yaml": "dbapiVersion",
    "synchronization__mutex-wf-level.yaml": "dbapiVersion",
    # the tests expect these to end in Error: volumeMounts without mountPath
    "testdata__workflow-template-invalid-entrypoint.yaml": "mountPath",
    "testdata__workflow-template-invalid-onexit.yaml": "mountPath",
}
LINTFAIL_EXPECT = {
    "lintfail__disallow-unknown.yaml": 'unknown field "someExtraField"',
    "lintfail__invalid-spec.yaml": 'unknown template "doesnotexist"',
    "lintfail__malformed-spec.yaml": "expected a string, got a list",
}


def _workflow_docs():
    return [d for name in EXAMPLE_FILES for d in load(EXAMPLES / name) if d.kind == "Workflow"]


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_example_schema_clean(name):
    for doc in load(EXAMPLES / name):
        assert [str(e) for e in schema_errors(doc)] == []


@pytest.mark.parametrize("name", [n for n in EXAMPLE_FILES if "invalid" not in n])
def test_example_lints_clean(name):
    assert [str(e) for e in errors_only(lint(EXAMPLES / name))] == []


@pytest.mark.parametrize("name", [n for n in E2E_FILES
                                  if not n.startswith(("expectedfailures__", "lintfail__"))])
def test_e2e_lints_clean(name):
    errors = [str(e) for e in errors_only(lint(E2E / name))]
    if name in E2E_KNOWN_BAD:
        assert errors and all(E2E_KNOWN_BAD[name] in e for e in errors)
    else:
        assert errors == []


@pytest.mark.parametrize("name", sorted(LINTFAIL_EXPECT))
def test_lintfail_files_fail(name):
    errors = errors_only(lint(E2E / name))
    assert errors, name
    assert any(LINTFAIL_EXPECT[name] in e.message for e in errors)
    assert all(e.line > 0 and e.column > 0 and e.file.endswith(name) for e in errors)


def test_corpus_counts():
    assert len(EXAMPLE_FILES) == 217
    assert len({(d.filename, d.index) for d in _workflow_docs()}) >= 197


@pytest.mark.timeout(60)
def test_corpus_validation_is_fast():
    """Loading + schema-validating every upstream example stays well under a second or so. Measured in
    this process's CPU time: the suite runs it beside other workers on shared cores, and wall time
    measured their load, not this code."""
    start = time.process_time()
    docs = [d for name in EXAMPLE_FILES for d in load(EXAMPLES / name)]
    loaded = time.process_time()
    for doc in docs:
        schema_errors(doc)  # first call also compiles the validators
    done = time.process_time()
    assert loaded - start < 1.5, f"load took {loaded - start:.2f}s"
    assert done - loaded < 5, f"validation took {done - loaded:.2f}s"
