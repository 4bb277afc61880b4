"""`python -m benchmarks.compare50 --smoke`: the Compare benchmark runs end to end (no timing assertions)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_compare50_smoke(tmp_path):
    out_file = tmp_path / "c.json"
    out = subprocess.run([sys.executable, "-m", "benchmarks.compare50", "--smoke", "--json", str(out_file)],
                         capture_output=True, text=True, cwd=ROOT, timeout=240)
    assert out.returncode == 0, out.stderr
    result = json.loads(out_file.read_text())
    assert result["runs"] == 5 and result["reps"] == 1 and result["rest_bytes"] > 0
    assert "| Compare of 5 runs, 3 differing artifacts" in out.stdout
