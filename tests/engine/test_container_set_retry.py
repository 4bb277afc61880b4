"""``containerSet.retryStrategy``: a container of the set that exits non-zero is re-run in its pod
(at most ``retries`` more times, ``duration`` apart), with no new nodes; the set fails only when
the last attempt fails. Real processes; the attempts count themselves in the pod's emptyDir."""
from __future__ import annotations

from tests.engine.workflows import by_name, run, wf

FLAKY = ('n=$(cat /work/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /work/n; '
         'echo attempt $n; [ "$n" -ge 3 ]')


def _set(strategy: dict | None) -> dict:
    cset = {"volumeMounts": [{"name": "work", "mountPath": "/work"}],
            "containers": [{"name": "main", "image": "alpine:3.23", "command": ["sh", "-c"], "args": [FLAKY]}]}
    if strategy is not None:
        cset["retryStrategy"] = strategy
    return wf([{"name": "main", "volumes": [{"name": "work", "emptyDir": {}}], "containerSet": cset}])


def test_a_failing_container_is_re_run_until_it_succeeds():
    r = run(_set({"retries": "2", "duration": "10ms"}))
    assert r.phase == "Succeeded", r.to_dict()["status"].get("message")
    assert by_name(r)["main"]["phase"] == "Succeeded"
    assert sorted(n["type"] for n in r.nodes.values()) == ["Container", "Pod"]   # no retry nodes
    assert "attempt 3" in r.logs(r.name)


def test_the_set_fails_when_the_retries_run_out_and_without_a_strategy():
    r = run(_set({"retries": 1}))
    assert r.phase == "Failed"
    log = r.logs(r.name)
    assert "attempt 2" in log and "attempt 3" not in log
    r = run(_set(None))
    assert r.phase == "Failed"
    assert "attempt 2" not in r.logs(r.name)


def test_bad_retries_are_an_error():
    r = run(_set({"retries": "many"}))
    assert r.phase == "Error"
    assert "retries" in r.nodes[r.name]["message"]
