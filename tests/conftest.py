"""Every test gets its own jupyter-flow home: runs, logs and locks never leak between tests."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("JUPYTER_FLOW_SHARED", ROOT.parent / "shared"))


@pytest.fixture(autouse=True)
def flow_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("jf-home")
    monkeypatch.setenv("JUPYTER_FLOW_HOME", str(home))
    return home


@pytest.fixture
def store(flow_home):
    from jupyter_flow.store import open_store
    return open_store(flow_home)


def pytest_collection_modifyitems(config, items):
    """Start the tests that mostly wait (minutes-long upstream examples) first.

    pytest-xdist hands tests out in collection order, so a long, idle test placed first overlaps
    with the rest of the suite on the other worker instead of adding its length at the end.
    """
    items.sort(key=lambda item: 0 if item.get_closest_marker("long_running") else 1)


# The corpus summary lives here, not in tests/conformance/conftest.py: under pytest-xdist only the
# controller writes the terminal summary, and it loads just this top-level conftest.
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
    terminalreporter.write_line(f"conformance: {counts['skipped']} skipped (known: need a cluster or a run stopped mid-way), "
                                f"{counts['xfailed']} known failures (xfail, see tests/conformance/known_failures.tsv)")
