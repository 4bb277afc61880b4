"""The upstream examples that sleep for minutes by design, run for real and all at once.

Each of them is mostly idle (sleep 10..50 s, one log line per second), so they run concurrently
in one test: the suite pays for the longest (~250 s), not for their sum. forever.yaml (1,000 s)
runs in a test of its own. Both are marked ``long_running``: the suite starts them first, so
they overlap with everything else instead of adding to it.
"""
from __future__ import annotations

import pytest

import jupyter_flow
from jupyter_flow.store import open_store

from .corpus import EXAMPLES, by_display, duration, pods, submissions, ts
from .test_examples import _max_concurrency

LONG = ("colored-logs.yaml", "parallelism-nested-workflow.yaml", "parallelism-nested-dag.yaml",
        "synchronization-mutex-tmpl-level.yaml", "synchronization-db-mutex-tmpl-level.yaml")


def _all_succeeded(run) -> None:
    assert run.phase == "Succeeded", (run.name, run.to_dict()["status"].get("message"))
    assert pods(run) and all(n["phase"] == "Succeeded" for n in pods(run))


def check_colored_logs(run) -> None:
    log = run.logs()
    assert log.count("\n") >= 99 and "\x1b[" in log


def check_nested_workflow(run) -> None:
    assert len(pods(run)) == 8
    assert duration(run.node(run.name)) >= 115   # four stages of two parallel 30 s jobs


def check_nested_dag(run) -> None:
    nodes = by_display(run)
    assert _max_concurrency([n for n in nodes.values() if n["displayName"] in ("b2", "b3", "b4")]) <= 2


def check_mutex(run) -> None:
    for template, seconds in (("acquire-lock", 20), ("acquire-lock-1", 50)):
        held = [n for n in pods(run) if n.get("templateName") == template]
        assert len(held) == 5
        assert _max_concurrency(held) == 1, f"{template}: mutex let two holders overlap"
        first = min(ts(n["startedAt"]) for n in held)
        last = max(ts(n["finishedAt"]) for n in held)
        assert last - first >= 5 * seconds - 2


CHECKS = {"colored-logs.yaml": check_colored_logs, "parallelism-nested-workflow.yaml": check_nested_workflow,
          "parallelism-nested-dag.yaml": check_nested_dag, "synchronization-mutex-tmpl-level.yaml": check_mutex,
          "synchronization-db-mutex-tmpl-level.yaml": check_mutex}


@pytest.mark.long_running
@pytest.mark.timeout(900)
def test_long_examples_concurrently(flow_home):
    store = open_store(flow_home)
    runs = {}
    for name in LONG:
        (wf,) = submissions(EXAMPLES / name, store)
        runs[name] = jupyter_flow.submit(wf, store=store)
    for name, run in runs.items():
        run.wait(600)
        if not run.finished:
            for r in runs.values():
                r.terminate()
            pytest.fail(f"{name}: still {run.phase} after 600 s")
    for name, run in runs.items():
        _all_succeeded(run)
        CHECKS[name](run)


@pytest.mark.long_running
@pytest.mark.timeout(1300)
def test_forever_runs_its_thousand_seconds(flow_home):
    """forever.yaml prints 1..1000, one per second, and Succeeds (upstream: after ~1,000 s)."""
    store = open_store(flow_home)
    (wf,) = submissions(EXAMPLES / "forever.yaml", store)
    run = jupyter_flow.submit(wf, store=store)
    if run.wait(1200) != "Succeeded":
        run.terminate()
        pytest.fail(f"forever.yaml: {run.phase} after 1200 s")
    _all_succeeded(run)
    lines = run.logs(run.name).split()
    assert lines == [str(i) for i in range(1, 1001)]
    assert duration(run.node(run.name)) >= 990
