"""`python -m benchmarks.w8_sweep --smoke`: the sweep and table benchmark runs end to end (no timing assertions)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_w8_smoke(tmp_path):
    out_file = tmp_path / "w8.json"
    out = subprocess.run([sys.executable, "-m", "benchmarks.w8_sweep", "--smoke", "--json", str(out_file)],
                         cwd=str(ROOT), capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-4000:]
    result = json.loads(out_file.read_text())
    sweep, table = result["sweep"], result["table"]
    assert sweep["runs"] == 40 and sweep["parallelism"] == 4
    assert sweep["engine_s"] > 0 and sweep["baseline_s"] > 0 and sweep["submits_s"] > 0
    assert table["store_runs"] == 500 and table["to_frame_s"] > 0 and table["experiment_runs"] == 500
    assert "| W8 sweep, 40 one-step runs" in out.stdout and "| W8 `runs().to_frame()`, 500 runs" in out.stdout
