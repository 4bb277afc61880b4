"""The lab extension's TypeScript logic (labextension/test, jest + ts-jest), run from pytest so
that CI runs it; node_modules come from the build that `pip install -e .` did."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

EXT = Path(__file__).resolve().parents[2] / "labextension"


def test_typescript_unit_tests_pass():
    jlpm = shutil.which("jlpm")
    if jlpm is None or not (EXT / "node_modules" / "jest").exists():
        if os.environ.get("CI"):
            pytest.fail("labextension/node_modules is missing: `pip install -e .` should have built the extension")
        pytest.skip("the lab extension's node_modules are not installed")
    out = subprocess.run([jlpm, "jest", "--ci", "--colors=false"], cwd=EXT, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    m = re.search(r"Tests:\s+(\d+) passed, (\d+) total", out.stderr + out.stdout)
    assert m and m.group(1) == m.group(2) and int(m.group(1)) >= 10, out.stderr
