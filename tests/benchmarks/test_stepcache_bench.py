"""`python -m benchmarks.stepcache --smoke`: the key cost and W1 re-run measures run end to end
(no timing assertions: the machine is shared)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_stepcache_benchmark_smoke(tmp_path):
    out_file = tmp_path / "stepcache.json"
    out = subprocess.run([sys.executable, "-m", "benchmarks.stepcache", "--smoke", "--json", str(out_file)],
                         cwd=str(ROOT), capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-4000:]
    r = json.loads(out_file.read_text())
    assert r["key"]["key_ms"] > 0 and r["key"]["artifact_1mb_first_ms"] > 0
    assert r["w1"]["uncached_s"] > 0 and r["w1"]["cached_s"] > 0 and r["w1"]["steps"] == 5
    assert "key of a script step" in out.stdout
    assert not (ROOT / "benchmarks" / "stepcache.json").exists() or r != json.loads(
        (ROOT / "benchmarks" / "stepcache.json").read_text())
