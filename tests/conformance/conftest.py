"""Conformance suite settings and its end-of-session summary line."""
from __future__ import annotations

import os

import pytest

# Argo has no default cap on concurrently running pods; the local engine caps processes at
# 4 x cores by default (a laptop-friendly knob). Examples such as loops-param-result.yaml
# (11 parallel sleeps) assert Argo's unbounded fan-out, so the suite lifts the cap.
os.environ.setdefault("JUPYTER_FLOW_MAX_PROCESSES", "64")


def _is_conformance(report) -> bool:
    return "conformance/" in report.nodeid.replace("\\", "/")


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter, exitstatus, config):
    stats = terminalreporter.stats
    counts = {}
    for key in ("passed", "failed", "error", "skipped", "xfailed", "xpassed"):
        reports = [r for r in stats.get(key, []) if hasattr(r, "nodeid") and _is_conformance(r)]
        if key in ("passed", "failed", "error", "xpassed"):
            reports = [r for r in reports if getattr(r, "when", "call") == "call" or key == "error"]
        counts[key] = len({r.nodeid for r in reports})
    if not any(counts.values()):
        return
    failed = counts["failed"] + counts["error"] + counts["xpassed"]
    terminalreporter.write_line(f"conformance: {counts['passed']} passed, {failed} failed")
    terminalreporter.write_line(f"conformance: {counts['skipped']} skipped (known, too long to run), "
                                f"{counts['xfailed']} known failures (xfail, see tests/conformance/known_failures.tsv)")
