"""`python -m benchmarks.w9 --nodes 1000`: W9 (one huge run) end to end, small: both shapes run and
succeed with every node, against their baseline, and the files the README quotes are written.
No timing bound (a shared machine): the numbers must be sane, not fast."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_w9_small(tmp_path):
    n = 1000
    out = subprocess.run([sys.executable, "-m", "benchmarks.w9", "--nodes", str(n), "--out", str(tmp_path),
                          "--label", "test"], cwd=str(ROOT), capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-4000:]
    result = json.loads((tmp_path / "w9.json").read_text())
    assert result["nodes"] == n and set(result["shapes"]) == {"seq", "dag"}
    for shape, e in result["shapes"].items():
        assert e["phase"] == "Succeeded" and e["stored_phase"] == "Succeeded", e
        # (a pod whose 32-bit node id an earlier one took is that node, as on Argo: none at this size)
        assert e["pods"] == e["pods_succeeded"] == e["distinct_pod_ids"] == n, e
        assert e["progress"] == f"{n}/{n}", e
        # the pods, their group(s) and the root: seq has the root and one StepGroup; dag the
        # root and one TaskGroup per layer of 100
        extra = 2 if shape == "seq" else 1 + n // 100
        assert e["node_count"] == n + extra, e
        assert e["engine_s"] > 0 and e["baseline_s"] > 0 and e["engine_cpu_ms_per_node"] > 0
        assert 0 < e["store_kb_per_node"] < 20, e
        assert e["engine_start_rss_mb"] < e["engine_peak_rss_mb"] < 1024, e
    table = (tmp_path / "W9.md").read_text()
    assert "| seq | 1,000 |" in table and "| dag | 1,000 |" in table
    assert "W9 seq n=1000" in out.stdout
