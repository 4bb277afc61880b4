"""Shared helpers for the spec tests: the upstream corpus and a tiny workflow builder."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

ARGO = Path(__file__).resolve().parents[3] / "shared" / "argo"  # CI lays shared/ beside the clone
EXAMPLES = ARGO / "examples"
E2E = ARGO / "e2e"


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


@pytest.fixture
def yaml_text():
    return dedent


def errors_only(errs):
    return [e for e in errs if e.severity == "error"]


def require_corpus():
    if not EXAMPLES.is_dir():
        pytest.skip("upstream Argo corpus not present")
