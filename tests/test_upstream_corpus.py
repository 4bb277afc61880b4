"""The vendored Argo corpus (tests/argo_corpus) is whole, is where every test looks, and its absence is loud.

A clone without the corpus (or a ``JUPYTER_FLOW_SHARED`` pointing at nothing) used to skip the
corpus tests silently; now the modules that read it fail to collect, saying what is missing.
"""
from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests import upstream

ROOT = Path(__file__).resolve().parents[1]
#: code that finds a corpus by itself: reads the variables, or builds .../shared/argo or /work/shared
LOOKUP = re.compile(r'environ(\.get)?[(\[]\s*"(JUPYTER_FLOW_SHARED|ARGO_SHARED)"|"shared"\)?\s*/\s*"argo"'
                    r'|(parents\[\d\]|parent)\s*/\s*"shared"|"/work/shared')


def _rows(path: Path) -> list[dict]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def test_the_vendored_corpus_is_whole():
    corpus = upstream.VENDORED
    assert "Apache License" in (corpus / "LICENSE").read_text()[:200]
    assert (corpus / "README.md").is_file()
    examples = {p.name for p in (corpus / "examples").glob("*.yaml")}
    e2e = {p.name for p in (corpus / "e2e").glob("*.yaml")}
    assert len(examples) == 217 and len(e2e) == 223
    catalog = [r["file"] for r in _rows(corpus / "catalog.tsv")]
    assert sorted(catalog) == sorted(examples)       # one catalog row per example, none dangling
    index = {r["yaml"].replace("/", "__") for r in _rows(corpus / "e2e" / "e2e_index.tsv")}
    assert index and index <= e2e                    # every indexed e2e workflow is there


def test_every_corpus_reader_uses_the_one_location():
    """No test finds the corpus on its own (``../shared``, ``/work/shared``, ``ARGO_SHARED``)."""
    offenders = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        if path.name == "test_upstream_corpus.py":
            continue
        if path.name != "upstream.py" and LOOKUP.search(path.read_text()):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def _collect(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
                           "--co", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_a_missing_corpus_fails_collection_instead_of_skipping(tmp_path):
    env = dict(os.environ, JUPYTER_FLOW_SHARED=str(tmp_path / "nowhere"), PYTHONPATH=str(ROOT))
    env.pop("PYTEST_XDIST_WORKER", None)
    proc = _collect("tests/spec/test_corpus.py", "tests/expr/test_expr_corpus.py", env=env)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "CorpusMissing" in out and str(tmp_path / "nowhere" / "argo" / "examples") in out, out
    assert "skipped" not in out


def test_jupyter_flow_shared_overrides_the_vendored_copy(tmp_path):
    """A shared/argo laid out elsewhere is read instead, by the spec tests too (their conftest used to
    ignore the variable, so with no ../shared the lintfail cases failed)."""
    shared = tmp_path / "shared"
    shutil.copytree(upstream.VENDORED, shared / "argo")
    (shared / "argo" / "examples" / "hello-world.yaml").unlink()
    env = dict(os.environ, JUPYTER_FLOW_SHARED=str(shared), PYTHONPATH=str(ROOT))
    env.pop("PYTEST_XDIST_WORKER", None)
    ids = _collect("tests/spec/test_corpus.py", "-k", "test_example_schema_clean", env=env).stdout
    assert "test_example_schema_clean[steps.yaml]" in ids and "[hello-world.yaml]" not in ids, ids
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
                           "tests/spec/test_corpus.py", "-k", "test_lintfail_files_fail"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "3 passed" in proc.stdout, proc.stdout + proc.stderr
