"""The layering of docs/architecture.md, made executable: ``lint-imports`` checks the contract in
pyproject.toml (``[tool.importlinter]``), so the suite (and CI) fails on an upward import or a
top-level module that belongs to no layer."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _lint_imports(package_parent: Path) -> subprocess.CompletedProcess:
    """``lint-imports`` with this checkout's contract over the ``jupyter_flow`` in ``package_parent``."""
    exe = Path(sys.executable).with_name("lint-imports")
    cmd = [str(exe)] if exe.exists() else [shutil.which("lint-imports") or "lint-imports"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(package_parent), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([*cmd, "--no-cache", "--no-logo", str(ROOT / "pyproject.toml")], cwd=package_parent,
                          env=env, capture_output=True, text=True, timeout=120)


def test_the_package_keeps_its_layers():
    proc = _lint_imports(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 kept, 0 broken" in proc.stdout


def test_an_upward_import_breaks_the_contract(tmp_path):
    # the same contract over a copy of the package where the bottom layer imports the API
    shutil.copytree(ROOT / "jupyter_flow", tmp_path / "jupyter_flow",
                    ignore=shutil.ignore_patterns("__pycache__", "labextension", "_vendor"))
    errors = tmp_path / "jupyter_flow" / "errors.py"
    errors.write_text(errors.read_text() + "\n\ndef _upward():\n    from .api import Run\n    return Run\n")
    proc = _lint_imports(tmp_path)
    assert proc.returncode != 0
    assert "jupyter_flow.errors is not allowed to import jupyter_flow.api" in proc.stdout, proc.stdout
