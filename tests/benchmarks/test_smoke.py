"""`python -m benchmarks --smoke`: every workload runs end to end at tiny sizes (no timing assertions)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


# W7 starts its own JupyterLab and Chromium: share the browser tests' worker, never run beside them
@pytest.mark.xdist_group("jupyterlab-browser")
def test_benchmarks_smoke(tmp_path):
    out = subprocess.run([sys.executable, "-m", "benchmarks", "--smoke", "--out", str(tmp_path)], cwd=str(ROOT),
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-4000:]
    results = json.loads((tmp_path / "results.json").read_text())
    assert set(results["workloads"]) >= {"W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8"}
    for key in ("W1", "W2", "W3"):
        w = results["workloads"][key]
        assert w["engine_s"] > 0 and w["baseline_s"] > 0 and w["ratio"] > 0
    w4 = results["workloads"]["W4"]
    assert len(w4["sizes"]) == 2 and "scaling" in w4
    assert results["workloads"]["W5"]["engine_first_step_ms"] > 0
    w6 = results["workloads"]["W6"]
    assert w6["import_ms"] > 0 and (w6["load_ext_ms"] is None or w6["load_ext_ms"] > 0)
    w7 = results["workloads"]["W7"]
    assert w7["status"] in ("measured", "skipped"), w7   # "failed" means the benchmark code broke
    table = (tmp_path / "RESULTS.md").read_text()
    assert "| W1 chain" in table and "| W6 `%load_ext jupyter_flow`" in table and "| W8 sweep, 40 one-step runs" in table
    if w7["status"] == "measured":       # the smoke size: every node drawn, every change reached the page
        assert w7["nodes"] == 50 and all(r["drawn_nodes"] == 51 for r in w7["runs"])
        # final_state_s is only set once the page drew all 50 Pods Succeeded; the changes travelled as patches
        assert w7["first_paint_s"] > 0 and w7["final_state_s"] is not None and w7["graph_messages"] >= 1
        assert "| W7 first paint, 50-node DAG" in table
    else:
        assert w7["reason"] and f"skipped: {w7['reason']}" in table


def test_workload_documents_are_valid():
    sys.path.insert(0, str(ROOT))
    from benchmarks import workloads as W
    from jupyter_flow.spec import load, validate

    for text in (W.w1_yaml(5), W.w2_yaml(5), W.w3_yaml(), W.w4_yaml(30, 10), W.w5_yaml()):
        [doc] = load(text)
        assert [e for e in validate(doc) if e.severity == "error"] == []
