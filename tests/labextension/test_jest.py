"""The lab extension's TypeScript checks, run from pytest so that CI runs them: jest + ts-jest over
labextension/test, and `jlpm lint:check` (prettier + eslint, the JupyterLab extension template's rules).
node_modules normally come from the build that `pip install -e .` did; when they lack a tool the
package.json now lists (a checkout built before it was added) `jlpm install` fetches it. Skipped only
when Node itself is missing."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

EXT = Path(__file__).resolve().parents[2] / "labextension"


@pytest.fixture(scope="module")
def jlpm() -> str:
    jlpm = shutil.which("jlpm")
    if shutil.which("node") is None or jlpm is None:
        pytest.skip("Node.js (and jlpm) are not installed: the lab extension cannot be checked")
    bins = EXT / "node_modules" / ".bin"
    if not all((bins / tool).exists() for tool in ("jest", "eslint", "prettier")):
        out = subprocess.run([jlpm, "install"], cwd=EXT, capture_output=True, text=True, timeout=900)
        assert out.returncode == 0, "jlpm install failed:\n" + out.stdout[-4000:] + out.stderr[-4000:]
    return jlpm


def test_typescript_unit_tests_pass(jlpm: str) -> None:
    out = subprocess.run([jlpm, "jest", "--ci", "--colors=false"], cwd=EXT, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    m = re.search(r"Tests:\s+(\d+) passed, (\d+) total", out.stderr + out.stdout)
    assert m and m.group(1) == m.group(2) and int(m.group(1)) >= 10, out.stderr


def test_lint_check_passes(jlpm: str) -> None:
    """Prettier formatting and eslint (curly, eqeqeq, single quotes, IName interfaces, ...) over src/ and test/:
    a file someone forgot to format fails here with the file named."""
    out = subprocess.run([jlpm, "lint:check"], cwd=EXT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, "jlpm lint:check failed (run `jlpm lint` in labextension/):\n" + out.stdout + out.stderr
