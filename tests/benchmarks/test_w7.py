"""W7's kernel-side pieces and its report rows, without a browser (the browser run is in the smoke test)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks import report, w7_widget  # noqa: E402


def test_synthetic_run_is_a_layered_dag_drawn_whole():
    pytest.importorskip("ipycytoscape")
    from jupyter_flow.notebook.widget import RunWidget

    run, ctl = w7_widget.synthetic_run(200, width=20, name="w7-test")
    pods = [n for n in ctl.nodes.values() if n.type == "Pod"]
    assert len(pods) == 200 and ctl.nodes["w7-test"].type == "DAG"
    assert all(n.phase == "Pending" for n in pods)
    w = RunWidget(run)
    try:
        state = w.graph.state()
        # no "+N more" summary: every node is drawn, each with a position from the kernel's layout
        assert len(state) == 201 and all(s["position"] for s in state.values())
        edges = w.graph.edge_ids()
        assert "w7-test->w7-test-0" in edges and "w7-test-0->w7-test-20" in edges and "w7-test-1->w7-test-20" in edges
        y = {nid: s["position"]["y"] for nid, s in state.items()}
        assert y["w7-test"] < y["w7-test-0"] < y["w7-test-20"] < y["w7-test-199"]
        assert run.to_dict()["status"]["nodes"]["w7-test-5"]["phase"] == "Pending"
    finally:
        w.close()


def test_missing_names_what_is_missing(monkeypatch):
    monkeypatch.setattr(w7_widget, "CHROMIUM", "/nonexistent/chromium")
    assert "not installed" in w7_widget.missing()
    res = w7_widget.run(smoke=True)
    assert res["status"] == "skipped" and "/nonexistent/chromium" in res["reason"]


def _measured() -> dict:
    run = {"first_paint_s": 1.5, "kernel_cell_s": 0.5, "models_opened": 2550, "browser_long_tasks_paint_s": 0.4,
           "flushes": 10, "messages": 1000, "final_state_s": 0.4, "browser_long_tasks_burst_s": 0.3,
           "kernel_cpu_s": 0.2, "burst_s": 1.0}
    return {"workload": "W7", "status": "measured", "nodes": 1000, "width": 20, "reps": 2, "changes_s": 1.0,
            "runs": [run, dict(run, first_paint_s=2.5)], "first_paint_s": 2.0, "first_paint_cold_s": 1.5,
            "first_paint_max_s": 2.5, "final_state_s": 0.4, "final_state_max_s": 0.4, "flushes_per_s": 9.1,
            "flushes": 10, "messages": 1000, "kernel_cell_s": 0.5, "load_at_start": [1.0, 1.0, 1.0]}


def test_report_rows_for_measured_and_skipped():
    rows = report._w7_rows(_measured(), {})
    assert len(rows) == 3 and rows[0].startswith("| W7 first paint, 1,000-node DAG | 2.00 s")
    assert "met (≤ 2 s)" in rows[0] and "met (≤ 1 s)" in rows[1] and "batches met" in rows[2]
    details = "\n".join(report._w6_w7_details(None, _measured()))
    assert "| 1 | 2.50 s |" in details
    skipped = report._w7_rows({"workload": "W7", "status": "skipped", "reason": "playwright not installed"}, {})
    assert len(skipped) == 1 and "skipped: playwright not installed" in skipped[0]
