"""`python -m benchmarks.hostile --smoke`: the hostile-input benchmark runs end to end (budgets
lowered ten-fold; each case ends with the expected outcome; no timing assertions)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_hostile_smoke(tmp_path):
    out_file = tmp_path / "hostile.json"
    out = subprocess.run([sys.executable, "-m", "benchmarks.hostile", "--smoke", "--json", str(out_file),
                          "--only", "regex_alt,regex_opt,repeat,nested,legit"],
                         cwd=str(ROOT), capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-4000:]
    cases = json.loads(out_file.read_text())["cases"]
    assert cases["regex_alt"]["value"] == "False" and cases["regex_opt"]["value"] == "True"
    assert "string too long" in cases["repeat"]["error"]
    assert cases["nested"]["phase"] == "Error" and "more than 25000 items" in cases["nested"]["message"]
    assert cases["legit"]["phase"] == "Succeeded" and 1990 <= cases["legit"]["nodes"] <= 2002
    assert all(c["peak_rss_mb"] > 0 for c in cases.values())
