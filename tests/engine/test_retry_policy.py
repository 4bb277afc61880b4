"""retryStrategy pinned to Argo's processNodeRetries (workflow/controller/operator.go), deterministically.

The upstream examples (retry-on-error.yaml, retry-backoff.yaml, ...) fail at random, so their
conformance checks can only bound the attempts; here every attempt's outcome is fixed: a container
that exits 1 is a Failed attempt, one that exits 0 without its declared output file an Error
attempt, an HTTP template against a port nobody listens on an Error whose message is transient
("connection refused"). What Argo decides, in its order:

1. a Succeeded attempt ends the Retry node Succeeded;
2. with ``backoff.maxDuration``: past ``first attempt's start + maxDuration`` the node ends with the
   last attempt's phase and "Max duration limit exceeded"; a wait of ``duration * factor^(attempts-1)``
   (at most ``cap``) that would end past it gives "Backoff would exceed max duration limit";
3. ``retryPolicy`` (default OnFailure; Always with an ``expression``): an attempt it does not retry
   ends the node with that attempt's phase and message;
4. more attempts than ``limit``: the last attempt's phase and "No more retries left";
5. ``expression`` false: "retryStrategy.expression evaluated to false".
Timing is only ever used as a lower bound (a wait lasts at least its length), never raced.
"""
from __future__ import annotations

import socket

import pytest

from tests.engine.workflows import ALPINE, run, wf


@pytest.fixture(autouse=True)
def host_tmp(monkeypatch):
    monkeypatch.setenv("JUPYTER_FLOW_SANDBOX", "off")


def failing(strategy: dict, script: str = "exit 1") -> dict:
    """A Failed attempt each time (exit 1, "Error (exit code 1)")."""
    return {"name": "att", "retryStrategy": strategy, "container": dict(ALPINE, args=[script])}


def erroring(strategy: dict) -> dict:
    """An Error attempt each time: exits 0 but its output parameter's file is never written."""
    return {"name": "att", "retryStrategy": strategy, "container": dict(ALPINE, args=["true"]),
            "outputs": {"parameters": [{"name": "p", "valueFrom": {"path": "/tmp/jf-never-written-by-this-test"}}]}}


def retried(template: dict):
    doc = wf([{"name": "main", "steps": [[{"name": "r", "template": "att"}]]}, template])
    r = run(doc)
    node = r.node("r")
    assert node["type"] == "Retry"
    kids = [r.nodes[c] for c in node["children"]]
    assert [k["displayName"] for k in kids] == [f"r({i})" for i in range(len(kids))]
    return r, node, kids


@pytest.fixture
def refused_url():
    """An http URL whose connection is refused for the whole test: a bound socket that never listens."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    yield f"http://127.0.0.1:{s.getsockname()[1]}/"
    s.close()


# ---- retryPolicy ---------------------------------------------------------------------------------

def test_on_failure_is_the_default_and_retries_failed_attempts_up_to_the_limit():
    r, node, kids = retried(failing({"limit": 2}))
    assert [k["phase"] for k in kids] == ["Failed", "Failed", "Failed"]          # limit 2: 1 + 2 attempts
    assert (node["phase"], node["message"]) == ("Failed", "No more retries left")
    assert r.phase == "Failed"


def test_on_failure_does_not_retry_an_error():
    _, node, kids = retried(erroring({"limit": 3, "retryPolicy": "OnFailure"}))
    assert [k["phase"] for k in kids] == ["Error"]
    assert (node["phase"], node["message"]) == ("Error", kids[0]["message"])
    assert kids[0]["message"]


def test_on_error_retries_errors_only():
    _, node, kids = retried(erroring({"limit": 2, "retryPolicy": "OnError"}))
    assert [k["phase"] for k in kids] == ["Error", "Error", "Error"]
    assert (node["phase"], node["message"]) == ("Error", "No more retries left")
    _, node, kids = retried(failing({"limit": 2, "retryPolicy": "OnError"}))
    assert [k["phase"] for k in kids] == ["Failed"]
    assert (node["phase"], node["message"]) == ("Failed", "Error (exit code 1)")


def test_always_retries_failures_and_errors():
    _, node, kids = retried(failing({"limit": 1, "retryPolicy": "Always"}))
    assert [k["phase"] for k in kids] == ["Failed", "Failed"]
    assert (node["phase"], node["message"]) == ("Failed", "No more retries left")
    _, node, kids = retried(erroring({"limit": 1, "retryPolicy": "Always"}))
    assert [k["phase"] for k in kids] == ["Error", "Error"]
    assert (node["phase"], node["message"]) == ("Error", "No more retries left")


def test_on_transient_error_retries_a_refused_connection_but_not_a_plain_failure(refused_url):
    http = {"name": "att", "retryStrategy": {"limit": 2, "retryPolicy": "OnTransientError"},
            "http": {"url": refused_url, "timeoutSeconds": 5}}
    _, node, kids = retried(http)
    assert [k["phase"] for k in kids] == ["Error", "Error", "Error"]
    assert all("connection refused" in k["message"].lower() for k in kids)
    assert (node["phase"], node["message"]) == ("Error", "No more retries left")
    _, node, kids = retried(failing({"limit": 2, "retryPolicy": "OnTransientError"}))
    assert [k["phase"] for k in kids] == ["Failed"]                              # not transient
    assert (node["phase"], node["message"]) == ("Failed", "Error (exit code 1)")


def test_transient_error_pattern_makes_a_message_transient(monkeypatch):
    """``TRANSIENT_ERROR_PATTERN`` (a regular expression the controller reads from its environment)
    adds messages to Argo's transient ones: here the plain failure of the test above."""
    monkeypatch.setenv("TRANSIENT_ERROR_PATTERN", r"exit code [0-9]+\)$")
    _, node, kids = retried(failing({"limit": 1, "retryPolicy": "OnTransientError"}))
    assert [k["phase"] for k in kids] == ["Failed", "Failed"]
    assert (node["phase"], node["message"]) == ("Failed", "No more retries left")


def test_transient_error_pattern_runs_on_re2_in_linear_time(monkeypatch):
    """The pattern is matched against step output (a node's message): with a backtracking engine
    ``(a+)+$`` over 'aaaa...!' would take hours; on RE2 (Go's semantics) it answers at once. An
    invalid pattern (or one only Python accepts) makes nothing transient instead of raising."""
    import time
    from jupyter_flow.engine.retries import is_transient
    monkeypatch.setenv("TRANSIENT_ERROR_PATTERN", r"(a+)+$")
    started = time.monotonic()
    assert not is_transient("a" * 5000 + "!")
    assert time.monotonic() - started < 2.0
    assert is_transient("pod failed: aaaa")
    for bad in (r"(unclosed", r"(?<=lookbehind)x", r"(a)\1"):
        monkeypatch.setenv("TRANSIENT_ERROR_PATTERN", bad)
        assert not is_transient("lookbehindx aa"), bad


def test_argos_transient_messages():
    from jupyter_flow.engine.retries import is_transient
    for message in ("dial tcp 10.0.0.1:443: connect: connection refused", "read: connection reset by peer",
                    "net/http: TLS handshake timeout", "dial tcp: i/o timeout", "etcdserver: leader changed",
                    "http2: server sent GOAWAY and closed the connection", "Connection closed by foreign host"):
        assert is_transient(message), message
    for message in ("Error (exit code 1)", "pod deleted", "OOMKilled (exit code 137)", ""):
        assert not is_transient(message), message


def test_a_limit_of_zero_runs_once_and_a_success_stops_the_retries(tmp_path):
    _, node, kids = retried(failing({"limit": 0}))
    assert [k["phase"] for k in kids] == ["Failed"]
    assert (node["phase"], node["message"]) == ("Failed", "No more retries left")
    counter = tmp_path / "n"
    script = f"n=$(cat {counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {counter}; [ $n -ge 2 ] && echo ok"
    r, node, kids = retried(failing({"limit": 5}, script))
    assert [k["phase"] for k in kids] == ["Failed", "Succeeded"]
    assert node["phase"] == "Succeeded" and node["outputs"]["result"] == "ok" and r.phase == "Succeeded"


def test_expression_false_ends_the_retries_with_argos_message():
    _, node, kids = retried(failing({"limit": 3, "expression": "asInt(lastRetry.exitCode) == 2"}))
    assert [k["phase"] for k in kids] == ["Failed"]
    assert (node["phase"], node["message"]) == ("Failed", "retryStrategy.expression evaluated to false")


# ---- backoff: maxDuration, factor, cap ------------------------------------------------------------

def test_an_attempt_that_outlasts_max_duration_is_the_last():
    _, node, kids = retried(failing({"limit": 5, "backoff": {"duration": "1s", "maxDuration": "1s"}},
                                    "sleep 2; exit 1"))
    assert [k["phase"] for k in kids] == ["Failed"]
    assert (node["phase"], node["message"]) == ("Failed", "Max duration limit exceeded")


def test_a_backoff_that_would_end_past_max_duration_is_not_waited():
    _, node, kids = retried(failing({"limit": 5, "backoff": {"duration": "60s", "maxDuration": "30s"}}))
    assert [k["phase"] for k in kids] == ["Failed"]
    assert (node["phase"], node["message"]) == ("Failed", "Backoff would exceed max duration limit")


def test_backoff_grows_by_factor_to_the_power_of_the_attempts_so_far():
    """Waits of 2 s then 2*4 = 8 s: the second would end past maxDuration (7 s from the first start).
    Without the factor the retries would go on to the limit; with the exponent one too high, the
    first wait (8 s) would already be refused."""
    r, node, kids = retried(failing({"limit": 3, "backoff": {"duration": "2s", "factor": 4, "maxDuration": "7s"}}))
    assert [k["phase"] for k in kids] == ["Failed", "Failed"]
    assert (node["phase"], node["message"]) == ("Failed", "Backoff would exceed max duration limit")
    assert _gap(kids[0], kids[1]) >= 1   # waited (timestamps have one-second resolution)


def test_cap_bounds_the_backoff():
    """duration 1s, factor 100: the second wait would be 100 s, past maxDuration; ``cap: 1s`` keeps
    it at 1 s, so the retries reach the limit instead."""
    _, node, kids = retried(failing({"limit": 2, "backoff": {"duration": "1s", "factor": 100, "cap": "1s",
                                                             "maxDuration": "60s"}}))
    assert [k["phase"] for k in kids] == ["Failed", "Failed", "Failed"]
    assert (node["phase"], node["message"]) == ("Failed", "No more retries left")
    _, node, kids = retried(failing({"limit": 2, "backoff": {"duration": "1s", "factor": 100, "maxDuration": "60s"}}))
    assert [k["phase"] for k in kids] == ["Failed", "Failed"]
    assert (node["phase"], node["message"]) == ("Failed", "Backoff would exceed max duration limit")


def _gap(a: dict, b: dict) -> float:
    from tests.conformance.corpus import ts
    return ts(b["startedAt"]) - ts(a["finishedAt"])
