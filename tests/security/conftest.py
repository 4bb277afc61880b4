"""Shared helpers for the hostile-input tests: the upstream corpus and the location checks."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.upstream import EXAMPLES  # noqa: F401  (the one corpus location; fails if absent)

ROOT = Path(__file__).resolve().parents[2]


def corpus_texts() -> list[tuple[str, str]]:
    out = []
    for path in sorted(EXAMPLES.rglob("*.yaml")):
        try:
            out.append((path.name, path.read_text()))
        except (OSError, UnicodeDecodeError):
            continue
    return out


def fuzz_examples(default: int) -> int:
    """Hypothesis budget: modest by default, ``JF_FUZZ_EXAMPLES=20000`` for a long campaign."""
    value = os.environ.get("JF_FUZZ_EXAMPLES")
    return int(value) if value else default


def run_bounded(code: str, *, timeout: float, memory_mb: int = 2048, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter with an address-space cap and a wall-clock cap.

    A hang shows as ``subprocess.TimeoutExpired``, an unbounded allocation as a MemoryError /
    non-zero exit: either fails the calling test.
    """
    limit = memory_mb * 1024 * 1024
    preexec = None
    if sys.platform.startswith("linux"):
        import resource

        def preexec():  # noqa: F811
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    full_env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout,
                          cwd=str(ROOT), env=full_env, preexec_fn=preexec)


@pytest.fixture
def require_corpus():
    """Kept for the tests that name it: the corpus is vendored, so there is nothing to skip."""
    assert any(EXAMPLES.glob("*.yaml")), f"no upstream examples under {EXAMPLES}"
