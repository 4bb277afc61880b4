"""Shared helpers for the spec tests: the upstream corpus and a tiny workflow builder."""
from __future__ import annotations

import textwrap

import pytest

from tests.upstream import ARGO, E2E, EXAMPLES  # noqa: F401  (the one corpus location; fails if absent)


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


@pytest.fixture
def yaml_text():
    return dedent


def errors_only(errs):
    return [e for e in errs if e.severity == "error"]

