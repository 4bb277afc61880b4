"""Every test gets its own jupyter-flow home: runs, logs and locks never leak between tests."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def flow_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("jf-home")
    monkeypatch.setenv("JUPYTER_FLOW_HOME", str(home))
    yield home
    _stop_detached_engines(home)


def _stop_detached_engines(home: Path) -> None:
    """A detached engine (``jupyter-flow submit`` without --wait) whose test failed before its
    run ended would outlive the test, a suspended one for ever: terminate the ones of this home."""
    import signal
    import sqlite3
    db = home / "runs.db"
    if not db.exists():
        return
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            pids = {p for (p,) in conn.execute("SELECT owner_pid FROM runs WHERE phase IN ('Pending', 'Running')")
                    if p and p != os.getpid()}
    except sqlite3.Error:
        return
    for pid in pids:
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"JUPYTER_FLOW_HOME={home}".encode() in environ:   # an engine of this test, nothing else
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass


#: UTC, and two zones with daylight saving on either side of it (the server once parsed times with
#: ``mktime - timezone``, an hour off in summer): a test using ``zone`` runs once in each
ZONES = ("UTC", "Europe/Berlin", "America/New_York")


@pytest.fixture(params=ZONES)
def zone(request):
    """The process (and every process it starts) in time zone ``request.param`` for one test."""
    import time
    if not hasattr(time, "tzset"):
        pytest.skip("time.tzset is POSIX only")
    before = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    try:
        summer = 1782907200   # 2026-07-01T12:00:00Z
        if request.param != "UTC" and not time.localtime(summer).tm_isdst:
            pytest.skip(f"no time zone database entry for {request.param} (install tzdata)")
        yield request.param
    finally:   # restored by hand: monkeypatch.undo() would also undo the other fixtures' patches
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


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
    ran = {key: {r.nodeid for r in stats.get(key, []) if hasattr(r, "nodeid") and _is_conformance(r)
                 and getattr(r, "when", "call") == "call"} for key in ("passed", "failed", "xfailed", "xpassed")}
    ran_ids = set().union(*ran.values())
    # a known skip that runs in test_long_examples.py is no difference, only run elsewhere
    known = {r.nodeid for r in stats.get("skipped", []) if hasattr(r, "nodeid") and _is_conformance(r)
             and "known:" in str(getattr(r, "longrepr", ""))
             and "test_long_examples.py" not in str(getattr(r, "longrepr", ""))} | ran["xfailed"]
    upstream = sum(1 for i in ran_ids if "::test_example[" in i or "::test_e2e[" in i or "test_long_examples.py::" in i)
    docs = sum(1 for i in ran_ids if "::test_docs_workflow[" in i)
    terminalreporter.write_line(f"conformance: {upstream} upstream examples and e2e workflows, {docs} docs workflows run; "
                                f"{len(known)} known differences (tests/conformance/known_failures.tsv)")
    terminalreporter.write_line(f"conformance: {counts['skipped']} skipped (known: need a cluster or a run stopped mid-way), "
                                f"{counts['xfailed']} known failures (xfail, see tests/conformance/known_failures.tsv)")
