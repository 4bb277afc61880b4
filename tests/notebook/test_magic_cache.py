"""``%%workflow --cache`` and ``%%workflow --continue RUN`` (the magic in-process, real runs)."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

pytest.importorskip("IPython")

CELL = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {{generateName: mc-}}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {{name: prep, template: prep}}
    - - {{name: train, template: train}}
  - name: prep
    script: {{image: python, command: [sh], source: "echo run >> {marks}/prep"}}
  - name: train
    script: {{image: python, command: [sh], source: "echo run >> {marks}/train\\ntest -e {marks}/ok"}}
"""


@pytest.fixture
def magics():
    from IPython.core.interactiveshell import InteractiveShell
    from jupyter_flow.notebook.magics import FlowMagics
    return FlowMagics(InteractiveShell.instance())


@pytest.fixture
def marks():
    path = Path(tempfile.mkdtemp(dir="/var/tmp", prefix="jf-marks-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _count(marks, step):
    p = marks / step
    return len(p.read_text().splitlines()) if p.exists() else 0


def test_workflow_magic_cache_and_continue(magics, marks):
    cell = CELL.format(marks=marks)
    failed = magics.workflow("--wait", cell)
    assert failed.phase == "Failed" and _count(marks, "prep") == _count(marks, "train") == 1
    (marks / "ok").touch()
    fixed = magics.workflow(f"--wait --continue {failed.name}", cell)
    assert fixed.phase == "Succeeded" and _count(marks, "prep") == 1 and _count(marks, "train") == 2
    assert fixed.node("prep")["memoizationStatus"]["hit"] is True
    magics.workflow("--wait --cache", cell)
    cached = magics.workflow("--wait --cache", cell)
    assert cached.phase == "Succeeded" and _count(marks, "prep") == 2 and _count(marks, "train") == 3
    assert all((cached.node(s).get("memoizationStatus") or {}).get("hit") for s in ("prep", "train"))


def test_workflow_magic_continue_refusals(magics, marks):
    from jupyter_flow.notebook.magics import FlowMagicError
    with pytest.raises(FlowMagicError) as exc:
        magics.workflow("--continue nope", CELL.format(marks=marks))
    assert "nope" in str(exc.value) and "not found" in str(exc.value)
    with pytest.raises(FlowMagicError) as exc:
        magics.workflow("--sweep x=1,2 --continue nope", CELL.format(marks=marks))
    assert "--continue cannot be used with --sweep" in str(exc.value)
