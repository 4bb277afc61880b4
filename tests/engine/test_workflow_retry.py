"""Workflow-level ``spec.retryStrategy``: the default strategy of every template that has none
(Argo's ``woc.retryStrategy(tmpl)``), steps and DAG templates included; a template's own
``retryStrategy`` wins. Real processes; a counter file makes a step fail before it succeeds.
"""
from __future__ import annotations

import pytest

from tests.engine.workflows import ALPINE, by_name, run, wf


@pytest.fixture(autouse=True)
def host_tmp(monkeypatch):
    """The counter files live under pytest's /tmp: steps must see the host's /tmp, not a private one."""
    monkeypatch.setenv("JUPYTER_FLOW_SANDBOX", "off")


def flaky(name, counter, fail_times):
    """A step that fails its first ``fail_times`` runs (counted in ``counter``), then succeeds."""
    script = (f"n=$(cat {counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {counter}; "
              f"[ $n -gt {fail_times} ] && echo ok-$n")
    return {"name": name, "container": dict(ALPINE, args=[script])}


def test_spec_retry_strategy_retries_a_step_with_none_of_its_own(tmp_path):
    counter = tmp_path / "n"
    doc = wf([{"name": "main", "steps": [[{"name": "flaky", "template": "flaky"}]]},
              flaky("flaky", counter, 2)], retryStrategy={"limit": 3})
    r = run(doc)
    nodes = by_name(r)
    assert r.phase == "Succeeded"
    assert counter.read_text().strip() == "3"
    retry = nodes["flaky"]
    assert retry["type"] == "Retry" and retry["phase"] == "Succeeded"
    attempts = [r.nodes[c] for c in retry["children"]]
    assert [a["displayName"] for a in attempts] == ["flaky(0)", "flaky(1)", "flaky(2)"]
    assert [a["phase"] for a in attempts] == ["Failed", "Failed", "Succeeded"]
    assert retry["outputs"]["result"] == "ok-3"
    # the steps template has no retryStrategy of its own: it is retried too, like the entrypoint
    # in Argo's TestRootRetryStrategyWithInlineTemplateRetries (Retry, then Steps attempt 0)
    root = r.nodes[r.name]
    assert root["type"] == "Retry"
    assert [r.nodes[c]["type"] for c in root["children"]] == ["Steps"]
    assert r.nodes[root["children"][0]]["displayName"] == f"{r.name}(0)"


def test_spec_retry_strategy_limit_is_respected_and_the_template_strategy_wins(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    own = flaky("own", b, 2)
    own["retryStrategy"] = {"limit": 0}   # the template's own strategy: no retries
    doc = wf([{"name": "main", "dag": {"tasks": [{"name": "wf-level", "template": "wf-level"},
                                                 {"name": "own", "template": "own"}]}},
              flaky("wf-level", a, 5), own], retryStrategy={"limit": 1, "retryPolicy": "Always"})
    r = run(doc)
    assert r.phase == "Failed"
    # the DAG template is retried as well (limit 1: two DAG attempts), and in each attempt the
    # task without a strategy of its own runs twice, the one with `limit: 0` once
    root = r.nodes[r.name]
    assert root["type"] == "Retry"
    dags = [r.nodes[c] for c in root["children"]]
    assert [d["type"] for d in dags] == ["DAG", "DAG"]
    assert a.read_text().strip() == "4"
    assert b.read_text().strip() == "2"
    for d in dags:
        kids = {r.nodes[c]["displayName"]: r.nodes[c] for c in d["children"]}
        assert kids["wf-level"]["type"] == "Retry" and kids["wf-level"]["message"] == "No more retries left"
        assert [r.nodes[c]["phase"] for c in kids["wf-level"]["children"]] == ["Failed", "Failed"]
        assert kids["own"]["type"] == "Retry" and len(kids["own"]["children"]) == 1


def test_without_spec_retry_strategy_nothing_is_retried(tmp_path):
    counter = tmp_path / "n"
    doc = wf([{"name": "main", "steps": [[{"name": "flaky", "template": "flaky"}]]}, flaky("flaky", counter, 1)])
    r = run(doc)
    assert r.phase == "Failed"
    assert counter.read_text().strip() == "1"
    assert by_name(r)["flaky"]["type"] == "Pod"
