"""Every upstream example that needs no cluster, run locally, against what Argo does with it.

One test per ``catalog.tsv`` row with ``needs_cluster = no``. Each asserts the upstream expected
phase; deterministic examples also assert the node phases and outputs named in the catalog's
``expected_outputs``; random ones assert an outcome upstream allows; suspend examples are
resumed (and their supplied outputs set) from the test, as a user would with ``argo resume`` /
``argo node set``; timing-defined behaviour is asserted with tolerances.

Examples that cannot pass here are listed in ``known_failures.tsv`` with the reason.
"""
from __future__ import annotations

import json
import re
import time

import pytest

import jupyter_flow
from jupyter_flow.store import open_store

from .corpus import (EXAMPLES, by_display, documents, duration, known_failures, local_rows, log_of, out_param,
                     phases, pods, submissions, wait_node)

ROWS = local_rows()
KNOWN = known_failures()
TIMEOUT = 240.0


# ---- per-example drivers (interaction while the run is live) -------------------------------------

def drive_intermediate_parameters(run):
    wait_node(run, "approval")
    run.set_node("approval", parameters={"approve": "YES"})
    run.resume("approval")


def drive_suspend_template_outputs(run):
    wait_node(run, "approve")
    run.set_node("approve", parameters={"message": "Hello, world!"})
    run.resume("approve")


def drive_suspend_template(run):
    wait_node(run, "approve")
    time.sleep(0.5)
    assert by_display(run)["approve"]["phase"] == "Running"   # waits for `argo resume`, no timeout
    run.resume("approve")


DRIVERS = {
    "intermediate-parameters.yaml": drive_intermediate_parameters,
    "suspend-template-outputs.yaml": drive_suspend_template_outputs,
    "suspend-template.yaml": drive_suspend_template,
}

# ---- per-example checks (on the finished run) ---------------------------------------------------


def _logs_contain(*texts):
    def check(run, row):
        logs = run.logs()
        for t in texts:
            assert t in logs, f"{t!r} not in logs:\n{logs}"
    return check


def _all_pods_succeeded(run):
    bad = {n["displayName"]: n["phase"] for n in pods(run) if n["phase"] != "Succeeded"}
    assert not bad, bad


def check_hello(run, row):
    _all_pods_succeeded(run)
    assert "hello world" in run.logs()


def check_coinflip(run, row):
    nodes = by_display(run)
    flip = nodes["flip-coin"]["outputs"]["result"]
    assert flip in ("heads", "tails")
    other = "tails" if flip == "heads" else "heads"
    assert nodes[flip]["phase"] == "Succeeded"
    assert nodes[other]["phase"] == "Skipped"
    assert f"it was {flip}" in run.logs() and f"it was {other}" not in run.logs()


def check_coinflip_recursive(run, row):
    flips = [n["outputs"]["result"] for n in pods(run) if n["displayName"] == "flip-coin"]
    assert flips and flips[-1] == "heads" and all(f == "tails" for f in flips[:-1]), flips
    assert "it was heads" in run.logs()


def check_conditional_parameters(run, row):
    root = run.node(run.name)
    value = out_param(root, "stepresult")
    assert value in ("heads", "tails")
    assert by_display(run)["flip-coin"]["outputs"]["result"] == value


def check_dag_conditional_parameters(run, row):
    root = run.node(run.name)
    value = out_param(root, "stepresult")
    assert value in ("heads", "tails")
    assert by_display(run)["flip-coin"]["outputs"]["result"] == value


def check_conditionals_complex(run, row):
    nodes = by_display(run)
    assert any(n["phase"] == "Succeeded" for n in pods(run))
    for n in nodes.values():
        assert n["phase"] in ("Succeeded", "Skipped"), (n["displayName"], n["phase"], n.get("message"))


def check_conditionals(run, row):
    nodes = by_display(run)
    for name in ("print-hello-govaluate", "print-hello-expr", "print-hello-expr-json"):
        assert nodes[name]["phase"] == "Succeeded"
        assert "hello" in log_of(run, name) and "<" in log_of(run, name)   # a cow said it


def check_container_set(count, order=None):
    def check(run, row):
        ctrs = {n["displayName"]: n for n in run.nodes.values() if n["type"] == "Container"}
        assert len(ctrs) == count, ctrs.keys()
        assert all(n["phase"] == "Succeeded" for n in ctrs.values())
        assert run.logs().count("hello argo") == count
        for before, after in order or []:
            assert ctrs[before]["finishedAt"] <= ctrs[after]["startedAt"], (before, after)
            assert ctrs[after]["id"] in ctrs[before].get("children", []), (before, after)
    return check


def check_container_set_result(run, row):
    nodes = by_display(run)
    assert nodes["a"]["outputs"]["result"] == "hi"
    assert nodes["b"]["phase"] == "Succeeded"


def check_continue_on_fail(run, row):
    p = phases(run)
    assert p["A"] == p["B"] == p["D"] == "Succeeded"
    assert p["C"] == "Failed"
    assert "intentional failure" in log_of(run, "C")


def check_cron(text):
    """`{{workflow.scheduledTime}}` is the run's scheduled time (RFC 3339), not the raw tag."""
    def check(run, row):
        _all_pods_succeeded(run)
        scheduled = run.to_dict()["metadata"]["annotations"]["workflows.argoproj.io/scheduled-time"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", scheduled)
        logs = run.logs()
        assert text in logs and scheduled in logs, logs   # cowsay may wrap the line before the time
    return check


def check_custom_metrics(run, row):
    nodes = by_display(run)
    value = nodes["random-int"]["outputs"]["parameters"][0]["value"]
    assert 1 <= int(value) <= 10
    assert {"name": "rand-int-value", "value": value} in run.to_dict()["status"]["outputs"]["parameters"]
    assert run.phase == ("Succeeded" if nodes["flakey"]["phase"] == "Succeeded" else "Failed")


def check_dag_coinflip(run, row):
    logs = run.logs()
    assert logs.count("it was heads") >= 4 and "it was tails" not in logs


def check_dag_continue_on_fail(run, row):
    p = phases(run)
    assert p["A"] == p["C"] == p["F"] == "Succeeded"
    assert p["B"] == p["E"] == "Failed"
    assert p["G"] == "Omitted"
    assert p.get("D") in ("Succeeded", None)   # timing-dependent upstream (failFast)


def check_dag_custom_metrics(run, row):
    _all_pods_succeeded(run)
    logs = run.logs()
    for t in ("TEST-ONE-A", "TEST-ONE-B", "TEST-TWO-A", "TEST-TWO-B"):
        assert f"console output-->{t}" in logs, logs


def check_diamond_steps(run, row):
    _all_pods_succeeded(run)
    assert len(pods(run)) == 12


def check_dag_diamond(run, row):
    _all_pods_succeeded(run)
    nodes = by_display(run)
    for n in "ABCD":
        assert log_of(run, n).strip() == n
    # B and C start after A ends, D after both
    assert nodes["A"]["finishedAt"] <= nodes["B"]["startedAt"]
    assert max(nodes["B"]["finishedAt"], nodes["C"]["finishedAt"]) <= nodes["D"]["startedAt"]


def check_dag_disable_failfast(run, row):
    nodes = by_display(run)
    assert nodes["C"]["type"] == "Retry" and nodes["C"]["phase"] == "Failed"
    assert len(nodes["C"]["children"]) == 4
    for n in "ABDE":
        assert nodes[n]["phase"] == "Succeeded", n
    assert duration(nodes["B"]) >= 29


def check_dag_enhanced_depends(run, row):
    p = phases(run)
    assert p["A"] == p["B"] == "Succeeded" and p["C"] == "Failed"
    for n in ("should-execute-1", "should-execute-2", "should-execute-3"):
        assert p[n] == "Succeeded", n
    assert p["should-not-execute"] == "Omitted"


def check_hello_argo(run, row):
    _all_pods_succeeded(run)
    assert "hello argo" in run.logs()


def check_dag_multiroot(run, row):
    _all_pods_succeeded(run)
    nodes = by_display(run)
    assert {"A", "B", "C", "D"} <= set(nodes)
    root = run.node(run.name)
    assert {nodes["A"]["id"], nodes["B"]["id"]} <= set(root["children"])


def check_dag_nested(run, row):
    _all_pods_succeeded(run)
    assert len(pods(run)) == 16


def check_dag_targets(run, row):
    names = {n["displayName"] for n in pods(run)}
    assert names == {"A", "C", "E"}, names


def check_dag_task_level_timeout(run, row):
    nodes = by_display(run)
    assert nodes["A"]["phase"] == nodes["C"]["phase"] == "Succeeded"
    assert nodes["B"]["phase"] == "Failed"
    assert "deadline" in nodes["B"]["message"] or "timeout" in nodes["B"]["message"].lower(), nodes["B"]["message"]
    assert 9 <= duration(nodes["B"]) <= 14, duration(nodes["B"])


def check_exit_code_output(run, row):
    nodes = by_display(run)
    assert nodes["failing-container"]["phase"] == "Failed"
    assert nodes["failing-container"]["outputs"]["exitCode"] == "123"
    assert "Exit code was: 123" in log_of(run, "echo-container")


def check_exit_handler_dag_level(run, row):
    _all_pods_succeeded(run)
    nodes = by_display(run)
    for t in "ABCD":
        assert nodes[f"{t}.onExit"]["phase"] == "Succeeded"
        assert "task cleanup" in log_of(run, f"{t}.onExit")


def check_exit_handler_step_level(run, row):
    _all_pods_succeeded(run)
    logs = run.logs()
    assert logs.count("step cleanup") == 3
    for m in ("hello1", "hello2a", "hello2b"):
        assert m in logs


def check_exit_handler_with_param(run, row):
    _all_pods_succeeded(run)
    hooks = [n for n in pods(run) if n["displayName"].endswith(".onExit")]
    assert len(hooks) == 1
    assert run.logs(hooks[0]["id"]).strip() == "hello world"


def check_exit_handlers(run, row):
    nodes = by_display(run)
    assert nodes[run.name]["phase"] == "Failed"
    assert nodes["celebrate"]["phase"] == "Skipped"
    assert nodes["cry"]["phase"] == "Succeeded" and "boohoo!" in log_of(run, "cry")
    email = log_of(run, "notify")
    assert f"send e-mail: {run.name} Failed" in email
    # {{workflow.failures}} is JSON; the unquoted shell echo drops its quotes (busybox sh, no brace expansion)
    assert "[{displayName:" + run.name + ",message:Error (exit code 1)," in email, email
    assert "templateName:intentional-fail,phase:Failed" in email


def check_exact_log(text):
    def check(run, row):
        _all_pods_succeeded(run)
        assert text in run.logs(), run.logs()
    return check


def check_expression_tag(run, row):
    nodes = [n for n in pods(run)]
    assert len(nodes) == 1 and nodes[0]["displayName"] == "task-0(0:3)"
    year = run.to_dict()["metadata"]["creationTimestamp"][:4]
    assert out_param(nodes[0], "output").strip() == f"hello 30 @ {year}"


def check_init_container(run, row):
    _all_pods_succeeded(run)
    assert "bye" in run.logs()


def check_raw(run, row):
    _all_pods_succeeded(run)
    logs = run.logs()
    for t in ("this is", "the raw file", "contents"):
        assert t in logs


def check_intermediate_parameters(run, row):
    nodes = by_display(run)
    assert out_param(nodes["approval"], "approve") == "YES"
    assert nodes["deploy-prod"]["phase"] == "Succeeded"
    assert "deploying" in log_of(run, "deploy-prod")


def check_label_value_from(run, row):
    _all_pods_succeeded(run)
    assert run.to_dict()["metadata"]["labels"].get("foo") == "bar"
    assert "hello argo" in run.logs()


def check_loops_arbitrary(run, row):
    logs = run.logs()
    for m in ("succeeds 1", "succeeds 2", "succeeds 3", "will fail and stop here"):
        assert m in logs
    assert "will not run" not in logs
    started = [n for n in pods(run)]
    assert len(started) == 4, [n["displayName"] for n in started]


def check_loops_dag(run, row):
    _all_pods_succeeded(run)
    nodes = by_display(run)
    for item in ("foo", "bar", "baz"):
        assert any(d.startswith("B(") and item in d for d in nodes), item
    assert {"A", "C"} <= set(nodes)


def check_os_release(run, row):
    _all_pods_succeeded(run)
    assert len(pods(run)) == 4


def check_loops_param_result(run, row):
    _all_pods_succeeded(run)
    sleeps = [n for n in pods(run) if n["displayName"].startswith("sleep")]
    assert len(sleeps) == 11
    # all 11 run in parallel: the whole loop takes about as long as the longest sleep (30 s)
    first = min(n["startedAt"] for n in sleeps)
    last = max(n["finishedAt"] for n in sleeps)
    from .corpus import ts
    assert ts(last) - ts(first) < 45


def check_loops_sequence(run, row):
    _all_pods_succeeded(run)
    got: dict[str, list[str]] = {}
    for n in pods(run):
        base = n["displayName"].split("(")[0]
        got.setdefault(base, []).append(run.logs(n["id"]).strip())
    assert sorted(got["sequence-count"], key=int) == ["0", "1", "2", "3", "4"]
    assert sorted(got["sequence-start-end"], key=int) == [str(i) for i in range(100, 106)]
    assert sorted(got["sequence-param"], key=int) == ["200", "201", "202"]
    assert sorted(got["sequence-negative"], key=int) == [str(i) for i in range(0, 6)]
    assert sorted(got["sequence-format"]) == [f"testuser0{i}" for i in range(5)]


def check_loops(run, row):
    _all_pods_succeeded(run)
    logs = run.logs()
    assert "hello world" in logs and "goodbye world" in logs


def check_node_selector(run, row):
    _all_pods_succeeded(run)
    assert "Linux" in run.logs()


def check_output_parameter(run, row):
    _all_pods_succeeded(run)
    assert log_of(run, "consume-parameter").strip() == "hello world"


def _max_concurrency(nodes):
    from .corpus import ts
    events = []
    for n in nodes:
        events.append((ts(n["startedAt"]), 1))
        events.append((ts(n["finishedAt"]), -1))
    events.sort(key=lambda e: (e[0], e[1]))
    cur = best = 0
    for _, d in events:
        cur += d
        best = max(best, cur)
    return best


def check_parallelism_limit(run, row):
    _all_pods_succeeded(run)
    sleeps = pods(run)
    assert len(sleeps) == 10
    assert _max_concurrency(sleeps) <= 2
    assert duration(run.node(run.name)) >= 49


def check_parallelism_nested(run, row):
    _all_pods_succeeded(run)
    assert len(pods(run)) == 16


def check_parallelism_nested_dag(run, row):
    _all_pods_succeeded(run)
    nodes = by_display(run)
    bs = [n for n in nodes.values() if n["displayName"] in ("b2", "b3", "b4")]
    assert len(bs) == 3
    assert _max_concurrency(bs) <= 2


def check_param_aggregation(run, row):
    _all_pods_succeeded(run)
    nodes = by_display(run)
    assert log_of(run, "print-nums").strip() == '["1","2","3","4"]'
    assert log_of(run, "print-evenness").strip() == '["odd","even","odd","even"]'
    div = sorted(n["outputs"]["result"] for n in pods(run) if n["displayName"].startswith("divide-by-2("))
    assert div == ["1", "2"]
    printed = sorted(run.logs(n["id"]).strip() for n in pods(run) if n["displayName"].startswith("print("))
    assert printed == ["1", "2"]
    skipped = [n for n in nodes.values() if n["displayName"].startswith("divide-by-2(") and n["phase"] == "Skipped"]
    assert len(skipped) == 2


def check_param_aggregation_script(run, row):
    _all_pods_succeeded(run)
    div = sorted(n["outputs"]["result"] for n in pods(run) if n["displayName"].startswith("divide-by-2("))
    assert div == ["1", "2"]


def check_pod_gc(run, row):
    for n in pods(run):
        assert n["phase"] == ("Failed" if n["displayName"] == "fail" else "Succeeded"), n["displayName"]
    assert len(pods(run)) >= 2


def check_pod_spec_from_previous(run, row):
    _all_pods_succeeded(run)
    assert log_of(run, "parse-resources").strip() == '{"memory": "10Gi", "cpu": "2000m"}'
    assert log_of(run, "setup-resources").strip() == "{memory: 10Gi, cpu: 2000m}"


def check_recursive_for_loop(run, row):
    counts = sorted(int(n["outputs"]["result"]) for n in pods(run))
    assert counts == list(range(1, 11))


def check_resubmit(run, row):
    failed = [n for n in pods(run) if n["phase"] == "Failed"]
    assert (run.phase == "Failed") == bool(failed)


def exact_retries(run, retry: dict, limit: int | None, retried: tuple = ("Failed",)) -> list[dict]:
    """The attempts of a Retry node whose outcomes are random, held to exactly what Argo's
    processNodeRetries does with them: every attempt but the last is one the policy retries, the
    node ends with the last attempt's phase, a success ends it at once, and 1 + ``limit`` failed
    attempts end it with "No more retries left" (tests/engine/test_retry_policy.py pins each rule
    with fixed outcomes)."""
    kids = [run.nodes[c] for c in retry["children"]]
    assert kids and (limit is None or len(kids) <= limit + 1), len(kids)
    assert [k["displayName"] for k in kids] == [f"{retry['displayName']}({i})" for i in range(len(kids))]
    assert all(k["phase"] in retried for k in kids[:-1]), [k["phase"] for k in kids]
    last = kids[-1]
    assert retry["phase"] == last["phase"]
    if last["phase"] == "Succeeded":
        assert not retry.get("message")
    elif limit is not None and len(kids) == limit + 1:
        assert retry["message"] == "No more retries left", retry.get("message")
    return kids


def check_retry_backoff(run, row):
    retry = [n for n in run.nodes.values() if n["type"] == "Retry"][0]
    kids = exact_retries(run, retry, 10)
    assert (run.phase == "Succeeded") == (kids[-1]["phase"] == "Succeeded")
    if kids[-1]["phase"] != "Succeeded" and len(kids) < 11:   # stopped by maxDuration (1m) before the limit
        assert retry["message"] in ("Max duration limit exceeded", "Backoff would exceed max duration limit")
    from .corpus import ts
    waits = [ts(b["startedAt"]) - ts(a["finishedAt"]) for a, b in zip(kids, kids[1:])]
    expected = [1, 2, 4, 5, 5, 5, 5, 5, 5, 5]
    for got, want in zip(waits, expected):
        assert want - 1.5 <= got <= want + 3, (waits, expected)


def check_retry_conditional(run, row):
    retry = [n for n in run.nodes.values() if n["type"] == "Retry"][0]
    kids = exact_retries(run, retry, 10)
    codes = [k["outputs"]["exitCode"] for k in kids]
    # retries only while the exit code is 2: the first exit 1 stops, with Argo's message
    assert all(c == "2" for c in codes[:-1]), codes
    assert retry["phase"] == "Failed"
    if codes[-1] == "1":
        assert retry["message"] == "retryStrategy.expression evaluated to false"
    else:
        assert len(kids) == 11 and retry["message"] == "No more retries left"


RETRY_LIMITS = {"retry-container-to-completion.yaml": None}   # `retryStrategy: {}`: no limit


def check_retry_generic(run, row):
    retries = [n for n in run.nodes.values() if n["type"] == "Retry"]
    assert retries
    for r in retries:
        exact_retries(run, r, RETRY_LIMITS.get(row["file"], 10))   # OnFailure (the default), limit 10


def check_retry_on_error(run, row):
    """retryPolicy Always, limit 2, exit code random in 0..4: retried while non-zero, three at most."""
    retry = [n for n in run.nodes.values() if n["type"] == "Retry"][0]
    kids = exact_retries(run, retry, 2)
    codes = [k["outputs"]["exitCode"] for k in kids]
    assert all(c != "0" for c in codes[:-1]) and (codes[-1] == "0") == (kids[-1]["phase"] == "Succeeded"), codes
    assert len(kids) == 3 or kids[-1]["phase"] == "Succeeded"
    assert (run.phase == "Succeeded") == (kids[-1]["phase"] == "Succeeded")


def check_retry_with_steps(run, row):
    check_retry_generic(run, row)
    logs = run.logs()
    assert "retries: 0" in logs


def check_script_result(lo, hi):
    def check(run, row):
        _all_pods_succeeded(run)
        m = re.search(r"result was: (\d+)", run.logs())
        assert m, run.logs()
        assert lo <= int(m.group(1)) <= hi
    return check


def check_consumer_got(text):
    def check(run, row):
        _all_pods_succeeded(run)
        assert f"consumer got: [{text}]" in log_of(run, "consumer")
    return check


def check_expression_fallback(run, row):
    assert out_param(run.node(run.name), "result") == "expr-fallback"
    assert by_display(run)["producer"]["phase"] == "Skipped"


def check_status_reference(run, row):
    p = phases(run)
    assert p["flakey-container"] == "Failed"
    assert p["failed"] == "Succeeded" and p["succeeded"] == "Skipped"
    assert "the flakey container failed" in log_of(run, "failed")


def check_step_level_timeout(run, row):
    nodes = by_display(run)
    for n in ("sleep1", "sleep2"):
        assert nodes[n]["phase"] == "Failed"
        assert 9 <= duration(nodes[n]) <= 15, duration(nodes[n])


def check_steps(run, row):
    _all_pods_succeeded(run)
    nodes = by_display(run)
    assert nodes["hello1"]["finishedAt"] <= nodes["hello2a"]["startedAt"]
    for n in ("hello1", "hello2a", "hello2b"):
        assert log_of(run, n).strip() == n


def check_suspend_outputs(run, row):
    nodes = by_display(run)
    assert out_param(nodes["approve"], "message") == "Hello, world!"
    assert log_of(run, "release").strip() == "Hello, world!"


def check_suspend_template(run, row):
    _all_pods_succeeded(run)
    nodes = by_display(run)
    assert nodes["approve"]["phase"] == nodes["delay"]["phase"] == "Succeeded"
    assert 19 <= duration(nodes["delay"]) <= 24, duration(nodes["delay"])
    assert "hello world" in log_of(run, "release")


def check_template_defaults(run, row):
    nodes = by_display(run)
    retry = nodes["retry-backoff"]
    assert retry["type"] == "Retry"
    kids = exact_retries(run, retry, 2)   # templateDefaults.retryStrategy: limit 2, OnFailure
    assert (run.phase == "Succeeded") == (kids[-1]["phase"] == "Succeeded")
    if run.phase == "Succeeded":
        hello = [n for n in pods(run) if n["displayName"].startswith("hello-world(")]
        assert hello and "hello world" in run.logs(hello[-1]["id"])
        assert all(n["type"] == "Retry" for n in nodes.values() if n["displayName"] in ("retry-backoff", "hello-world"))


def check_template_on_exit(run, row):
    _all_pods_succeeded(run)
    logs = run.logs()
    assert logs.count("hello world") == 2 and logs.count("goodbye world") == 2


def check_timeouts_step(run, row):
    node = run.node(run.name)
    assert node["phase"] == "Failed"
    assert node["message"] == "Pod was active on the node longer than the specified deadline"
    assert "123" in run.logs()
    assert 9 <= duration(node) <= 15


def check_exit_handler_slack(run, row):
    nodes = by_display(run)
    assert nodes[run.name]["phase"] == "Succeeded" and "hello" in log_of(run, run.name)
    on_exit = nodes[f"{run.name}.onExit"]
    assert on_exit["phase"] == "Failed"   # curl to the placeholder webhook URL fails


def check_http_hello_world(run, row):
    nodes = by_display(run)
    assert nodes["good"]["phase"] == "Succeeded" and "swagger" in nodes["good"]["outputs"]["result"]
    assert nodes["bad"]["phase"] == "Failed"


def check_http_success_condition(run, row):
    assert all(n["phase"] == "Succeeded" for n in run.nodes.values() if n["type"] == "HTTP")


def check_git(run, row):
    _all_pods_succeeded(run)
    assert "2.1.1" in run.logs()


def check_hooks(run, row):
    _all_pods_succeeded(run)
    assert "it was heads" in run.logs()
    hooks = [n for n in run.nodes.values() if ".hooks." in n["name"] or n["name"].endswith(".onExit")]
    assert hooks and all(n["phase"] == "Succeeded" for n in hooks)


def check_withsequence_nested(run, row):
    _all_pods_succeeded(run)


def check_github_path_filter(run, row):
    _all_pods_succeeded(run)
    assert "Files affected by commit: []" in run.logs()


def check_event_consumer(run, row):
    _all_pods_succeeded(run)
    assert "hello local" in run.logs()


def check_colored_logs(run, row):
    _all_pods_succeeded(run)
    assert "\x1b[" in run.logs()


def check_forever(run, row):
    _all_pods_succeeded(run)


def check_mutex_tmpl(run, row):
    _all_pods_succeeded(run)


def check_dag_diamond_generic(run, row):
    _all_pods_succeeded(run)


# ---- checks of the rows the re-audit (catalog_overrides.tsv) brought in -----------------------------

def _artifact_text(run, name: str) -> str:
    """The stored content of the output artifact ``name`` (a file, or the one file of a directory)."""
    found = [a for a in run.artifacts(artifact_name=name) if a.stored is not None]
    assert found, f"no stored artifact {name!r}: {[(a.name, a.stored) for a in run.artifacts()]}"
    path = found[-1].stored
    if path.is_dir():
        files = [p for p in path.rglob("*") if p.is_file()]
        assert len(files) == 1, files
        path = files[0]
    return path.read_text()


def check_consumer_says(display: str, *texts: str):
    def check(run, row):
        _all_pods_succeeded(run)
        log = log_of(run, display)
        for t in texts:
            assert t in log, (display, t, log)
    return check


def check_stored_artifact(name: str, text: str):
    def check(run, row):
        _all_pods_succeeded(run)
        assert _artifact_text(run, name).strip() == text, _artifact_text(run, name)
    return check


def check_artifact_disable_archive(run, row):
    _all_pods_succeeded(run)
    log = log_of(run, "consume-artifact")
    assert log.count("hello world") == 2, log
    assert "passwd" in log or "hosts" in log, log   # the listing of the producer's /etc


def check_artifact_gc(run, row):
    _all_pods_succeeded(run)
    for name in ("on-completion", "on-deletion"):
        assert _artifact_text(run, name).strip() == "hello world"


def check_artifact_path_placeholders(run, row):
    _all_pods_succeeded(run)
    node = [n for n in pods(run)][0]
    assert out_param(node, "actual-lines-count").strip() == "3"
    assert _artifact_text(run, "text") == "1\n2\n3\n"


def check_artifact_subpath(run, row):
    _all_pods_succeeded(run)
    assert "hello_world.txt" in log_of(run, "list-artifact")
    assert "hello world" in log_of(run, "consume-artifact")


def check_conditional_artifacts(run, row):
    _all_pods_succeeded(run)
    flip = by_display(run)["flip-coin"]["outputs"]["result"]
    assert flip in ("heads", "tails")
    root = run.node(run.name)
    assert any(a["name"] == "result" for a in (root.get("outputs") or {}).get("artifacts") or []), root.get("outputs")
    assert _artifact_text(run, "result").strip() == f"it was {flip}"


def check_exit_handler_with_artifacts(run, row):
    _all_pods_succeeded(run)
    hooks = [n for n in pods(run) if n["displayName"].endswith(".onExit")]
    assert len(hooks) == 1 and "Welcome" in run.logs(hooks[0]["id"])


def check_nested_workflow(run, row):
    _all_pods_succeeded(run)
    consumers = [n for n in pods(run) if n["displayName"] == "consume"]
    assert len(consumers) == 2
    for n in consumers:
        log = run.logs(n["id"])
        assert "input parameter value: my-output-parameter" in log and "hello world" in log, log


def check_global_outputs(run, row):
    _all_pods_succeeded(run)
    assert {"name": "my-global-param", "value": "hello world"} in run.to_dict()["status"]["outputs"]["parameters"]
    logs = run.logs()
    assert logs.count("hello world") >= 4, logs   # param and artifact, in the step and in onExit


def check_large_output(run, row):
    _all_pods_succeeded(run)
    got = sorted(run.logs(n["id"]).strip() for n in pods(run) if n["displayName"].startswith("sequence-param("))
    assert got == ['"a"', '"b"', '"c"'], got


def check_key_only(run, row):
    _all_pods_succeeded(run)
    assert "hello" in log_of(run, "consume")


def check_map_reduce(run, row):
    _all_pods_succeeded(run)
    assert json.loads(_artifact_text(run, "total")) == {"total": 20}


def check_workspace(run, row):
    _all_pods_succeeded(run)
    assert out_param(run.node(run.name), "out") == "hi"
    assert _artifact_text(run, "out").strip() == "hi"


def check_template_library(*texts):
    def check(run, row):
        _all_pods_succeeded(run)
        logs = run.logs()
        for t in texts:
            assert t in logs, (t, logs)
    return check


def check_fibonacci(run, row):
    _all_pods_succeeded(run)
    assert log_of(run, "printresult").strip() == "5"


def check_memoize_simple(run, row):
    _all_pods_succeeded(run)
    assert out_param(pods(run)[0], "hello").strip() == "world"


def check_pod_resources(run, row):
    _all_pods_succeeded(run)
    assert "small step" in log_of(run, "small") and "large step" in log_of(run, "large")


def check_semaphore_template(limit: int, count: int, seconds: int):
    def check(run, row):
        _all_pods_succeeded(run)
        held = [n for n in pods(run) if n.get("templateName") == "acquire-lock"]
        assert len(held) == count
        assert _max_concurrency(held) == limit, f"semaphore of {limit} let {_max_concurrency(held)} hold it"
        assert all("acquired lock" in run.logs(n["id"]) for n in held)
    return check


def check_pvc(run, row):
    _all_pods_succeeded(run)
    assert "hello world" in log_of(run, "print")


def check_volumes_existing(run, row):
    _all_pods_succeeded(run)
    assert log_of(run, "print").strip(), "the access log read back from the volume is empty"


CHECKS = {
    "archive-location.yaml": check_hello,
    "arguments-parameters.yaml": check_hello,
    "coinflip-recursive.yaml": check_coinflip_recursive,
    "coinflip.yaml": check_coinflip,
    "colored-logs.yaml": check_colored_logs,
    "conditional-parameters.yaml": check_conditional_parameters,
    "conditionals-complex.yaml": check_conditionals_complex,
    "conditionals.yaml": check_conditionals,
    "container-set-template__graph-workflow.yaml": check_container_set(4, [("a", "b"), ("a", "c"), ("b", "d"),
                                                                           ("c", "d")]),
    "container-set-template__outputs-result-workflow.yaml": check_container_set_result,
    "container-set-template__parallel-workflow.yaml": check_container_set(2),
    "container-set-template__sequence-workflow.yaml": check_container_set(3, [("a", "b"), ("b", "c")]),
    "continue-on-fail.yaml": check_continue_on_fail,
    "cron-when.yaml": check_dag_diamond_generic,
    "cron-workflow-multiple-schedules.yaml": check_cron("Scheduled on:"),
    "cron-workflow.yaml": check_cron("Scheduled on:"),
    "custom-metrics.yaml": check_custom_metrics,
    "dag-coinflip.yaml": check_dag_coinflip,
    "dag-conditional-parameters.yaml": check_dag_conditional_parameters,
    "dag-continue-on-fail.yaml": check_dag_continue_on_fail,
    "dag-custom-metrics.yaml": check_dag_custom_metrics,
    "dag-diamond-steps.yaml": check_diamond_steps,
    "dag-diamond.yaml": check_dag_diamond,
    "dag-disable-failFast.yaml": check_dag_disable_failfast,
    "dag-enhanced-depends.yaml": check_dag_enhanced_depends,
    "dag-inline-clusterworkflowtemplate.yaml": check_hello_argo,
    "dag-inline-workflow.yaml": check_hello_argo,
    "dag-inline-workflowtemplate.yaml": check_hello_argo,
    "dag-multiroot.yaml": check_dag_multiroot,
    "dag-nested.yaml": check_dag_nested,
    "dag-targets.yaml": check_dag_targets,
    "dag-task-level-timeout.yaml": check_dag_task_level_timeout,
    "dns-config.yaml": check_hello,
    "exit-code-output-variable.yaml": check_exit_code_output,
    "exit-handler-dag-level.yaml": check_exit_handler_dag_level,
    "exit-handler-step-level.yaml": check_exit_handler_step_level,
    "exit-handler-with-param.yaml": check_exit_handler_with_param,
    "exit-handlers.yaml": check_exit_handlers,
    "exit-handler-slack.yaml": check_exit_handler_slack,
    "http-hello-world.yaml": check_http_hello_world,
    "http-success-condition.yaml": check_http_success_condition,
    "input-artifact-git.yaml": check_git,
    "life-cycle-hooks-tmpl-level.yaml": check_hooks,
    "life-cycle-hooks-wf-level.yaml": check_hooks,
    "parallelism-nested-workflow.yaml": check_parallelism_nested,
    "expression-destructure-json-complex.yaml": check_exact_log(
        '[43][43][{"age":43,"name":"Baris"}]["Baris","Mo","Jai"]'),
    "expression-destructure-json.yaml": check_exact_log("123"),
    "expression-reusing-verbose-snippets.yaml": check_exact_log(
        "The week's average temperature was 35.8 with a minimum of 15 and a maximum of 57."),
    "expression-tag-template-workflow.yaml": check_expression_tag,
    "forever.yaml": check_forever,
    "gc-ttl.yaml": check_hello,
    "global-parameters.yaml": check_hello,
    "hello-world.yaml": check_hello,
    "init-container.yaml": check_init_container,
    "input-artifact-raw.yaml": check_raw,
    "intermediate-parameters.yaml": check_intermediate_parameters,
    "label-value-from-workflow.yaml": check_label_value_from,
    "loops-arbitrary-sequential-steps.yaml": check_loops_arbitrary,
    "loops-dag.yaml": check_loops_dag,
    "loops-maps.yaml": check_os_release,
    "loops-param-argument.yaml": check_os_release,
    "loops-param-result.yaml": check_loops_param_result,
    "loops-sequence.yaml": check_loops_sequence,
    "loops.yaml": check_loops,
    "node-selector.yaml": check_node_selector,
    "output-parameter.yaml": check_output_parameter,
    "parallelism-limit.yaml": check_parallelism_limit,
    "parallelism-nested-dag.yaml": check_parallelism_nested_dag,
    "parallelism-nested.yaml": check_parallelism_nested,
    "parallelism-template-limit.yaml": check_parallelism_limit,
    "parameter-aggregation-dag.yaml": check_param_aggregation,
    "parameter-aggregation-script.yaml": check_param_aggregation_script,
    "parameter-aggregation.yaml": check_param_aggregation,
    "pod-gc-strategy-with-label-selector.yaml": check_pod_gc,
    "pod-gc-strategy.yaml": check_pod_gc,
    "pod-metadata-wf-field.yaml": check_exact_log("hello1"),
    "pod-metadata.yaml": check_exact_log("hello1"),
    "pod-resources.yaml": check_hello,
    "pod-spec-from-previous-step.yaml": check_pod_spec_from_previous,
    "pod-spec-patch-wf-tmpl.yaml": check_hello,
    "pod-spec-patch.yaml": check_hello,
    "pod-spec-yaml-patch.yaml": check_hello,
    "recursive-for-loop.yaml": check_recursive_for_loop,
    "resubmit.yaml": check_resubmit,
    "retry-backoff.yaml": check_retry_backoff,
    "retry-conditional.yaml": check_retry_conditional,
    "retry-container-to-completion.yaml": check_retry_generic,
    "retry-container.yaml": check_retry_generic,
    "retry-on-error.yaml": check_retry_on_error,
    "retry-script.yaml": check_retry_generic,
    "retry-with-steps.yaml": check_retry_with_steps,
    "scripts-bash.yaml": check_script_result(1, 100),
    "scripts-javascript.yaml": check_script_result(0, 99),
    "scripts-python.yaml": check_script_result(1, 100),
    "skipped-output-defaults__consumer-input-default.yaml": check_consumer_got("fallback-from-input"),
    "skipped-output-defaults__expression-fallback.yaml": check_expression_fallback,
    "skipped-output-defaults__producer-output-default.yaml": check_consumer_got("hello-from-producer"),
    "status-reference.yaml": check_status_reference,
    "step-level-timeout.yaml": check_step_level_timeout,
    "steps-inline-workflow.yaml": check_hello_argo,
    "steps.yaml": check_steps,
    "suspend-template-outputs.yaml": check_suspend_outputs,
    "suspend-template.yaml": check_suspend_template,
    "synchronization-mutex-tmpl-level.yaml": check_mutex_tmpl,
    "synchronization-mutex-wf-level.yaml": check_hello,
    "template-defaults.yaml": check_template_defaults,
    "template-on-exit.yaml": check_template_on_exit,
    "timeouts-step.yaml": check_timeouts_step,
    "title-and-description-with-markdown.yaml": check_hello,
    "volumes-emptydir.yaml": check_exact_log("Volume mounted and found"),
    "withsequence-nested-result.yaml": check_withsequence_nested,
    "workflow-event-binding__event-consumer-workflowtemplate.yaml": check_event_consumer,
    "workflow-event-binding__github-path-filter-workflowtemplate.yaml": check_github_path_filter,
    "workflow-template__workflow-archive-logs.yaml": check_hello,
    # brought in by the re-audit (catalog_overrides.tsv)
    "artifact-disable-archive.yaml": check_artifact_disable_archive,
    "artifact-gc-workflow.yaml": check_artifact_gc,
    "artifact-passing-explicit-plugin.yaml": check_consumer_says("consume-artifact", "hello world"),
    "artifact-passing-subpath.yaml": check_artifact_subpath,
    "artifact-passing.yaml": check_consumer_says("consume-artifact", "hello world"),
    "artifact-path-placeholders.yaml": check_artifact_path_placeholders,
    "artifact-repository-ref.yaml": check_stored_artifact("hello_world", "hello world"),
    "artifactory-artifact.yaml": check_consumer_says("consume-artifact", "hello world"),
    "hdfs-artifact.yaml": check_consumer_says("consume-artifact", "hello world"),
    "output-artifact-azure.yaml": check_stored_artifact("message", "hello world"),
    "output-artifact-gcs.yaml": check_stored_artifact("message", "hello world"),
    "output-artifact-s3.yaml": check_stored_artifact("message", "hello world"),
    "conditional-artifacts.yaml": check_conditional_artifacts,
    "dag-conditional-artifacts.yaml": check_conditional_artifacts,
    "exit-handler-with-artifacts.yaml": check_exit_handler_with_artifacts,
    "nested-workflow.yaml": check_nested_workflow,
    "global-outputs.yaml": check_global_outputs,
    "handle-large-output-results.yaml": check_large_output,
    "key-only-artifact.yaml": check_key_only,
    "map-reduce.yaml": check_map_reduce,
    "container-set-template__workspace-workflow.yaml": check_workspace,
    "cluster-workflow-template__cluster-wftmpl-dag.yaml": check_template_library("inner-A", "inner-D"),
    "cluster-workflow-template__clustertemplates.yaml": check_template_library("hello world"),
    "cluster-workflow-template__mixed-cluster-namespaced-wftmpl-steps.yaml": check_template_library(
        "hello1", "inner-hello1", "inner-hello2a", "inner-hello2b", "hello2b"),
    "cluster-workflow-template__workflow-template-ref-with-entrypoint-arg-passing.yaml": check_template_library(
        "hello world"),
    "cluster-workflow-template__workflow-template-ref.yaml": check_template_library("hello world"),
    "workflow-template__dag.yaml": check_template_library("inner-A", "inner-D"),
    "workflow-template__hello-world.yaml": check_template_library("hello world"),
    "workflow-template__retry-with-steps.yaml": check_retry_generic,
    "workflow-template__steps.yaml": check_template_library("hello1", "inner-hello1", "inner-hello2a",
                                                           "inner-hello2b", "hello2b"),
    "workflow-template__templates.yaml": check_template_library("hello world"),
    "workflow-template__workflow-template-ref-with-entrypoint-arg-passing.yaml": check_template_library(
        "hello world"),
    "workflow-template__workflow-template-ref.yaml": check_template_library("hello world"),
    "dag-inline-cronworkflow.yaml": check_hello_argo,
    "default-pdb-support.yaml": check_dag_diamond_generic,
    "image-pull-secrets.yaml": check_hello,
    "pod-resources-template-override.yaml": check_pod_resources,
    "resource-claims.yaml": check_exact_log("using the allocated device"),
    "resource-claims-template-override.yaml": check_dag_diamond_generic,
    "fibonacci-seq-conditional-param.yaml": check_fibonacci,
    "memoize-simple.yaml": check_memoize_simple,
    "synchronization-tmpl-level.yaml": check_semaphore_template(2, 5, 10),
    "synchronization-wf-level.yaml": check_hello,
    "synchronization-db-mutex-wf-level.yaml": check_hello,
    "synchronization-db-mutex-tmpl-level.yaml": check_mutex_tmpl,
    "synchronization-db-tmpl-level.yaml": check_semaphore_template(2, 5, 10),
    "synchronization-db-wf-level.yaml": check_hello,
    "volumes-existing.yaml": check_volumes_existing,
    "volumes-pvc.yaml": check_pvc,
    "arguments-parameters-from-configmap.yaml": check_hello,
    "global-parameters-from-configmap.yaml": check_hello,
    "global-parameters-from-configmap-referenced-as-local-variable.yaml": check_hello,
}

# Submit-time parameters, as the upstream trigger would pass them.
PARAMETERS = {
    # the WorkflowEventBinding passes payload.appellation
    "workflow-event-binding__event-consumer-workflowtemplate.yaml": {"appellation": "local"},
}


# Cluster objects an admin would create before these examples run: the semaphore sizes of the
# docs' ConfigMap my-config (docs/synchronization.md: workflow "1", template "2") and the same sizes
# for the database-backed semaphores (Argo's sync_limit table).
SEMAPHORES = "my-config/workflow: 1\nmy-config/template: 2\ndatabase/workflow: 1\ndatabase/template: 2\n"
SETUP = {name: SEMAPHORES for name in ("synchronization-tmpl-level.yaml", "synchronization-wf-level.yaml",
                                       "synchronization-db-tmpl-level.yaml", "synchronization-db-wf-level.yaml")}


# Files of templates only: the template of each that upstream submits (the others take inputs or
# have no entrypoint, and only serve as templateRef targets)
LIBRARY = {"workflow-template__templates.yaml": "workflow-template-submittable",
           "cluster-workflow-template__clustertemplates.yaml": "cluster-workflow-template-submittable"}


# Examples reading ConfigMap simple-parameters, which upstream ships as a file of its own
CONFIGMAPS = {name: "configmaps__simple-parameters-configmap.yaml" for name in (
    "arguments-parameters-from-configmap.yaml", "global-parameters-from-configmap.yaml",
    "global-parameters-from-configmap-referenced-as-local-variable.yaml")}


def prepare(row: dict, store, home) -> None:
    """Register the templates a row requires and write the cluster configuration it assumes."""
    for extra in filter(None, (row.get("requires") or "").split(",")):
        submissions(EXAMPLES / extra.strip(), store, register_only=True)
    if row["file"] in SETUP:
        (home / "semaphores.yaml").write_text(SETUP[row["file"]])
    if row["file"] in CONFIGMAPS:   # `kubectl apply` of the ConfigMap: the local engine's values file
        import yaml
        maps = {d["metadata"]["name"]: d.get("data") or {} for d in documents(EXAMPLES / CONFIGMAPS[row["file"]])
                if d.get("kind") == "ConfigMap"}
        (home / "values.yaml").write_text(yaml.safe_dump({"configMaps": maps}))


def allowed_phases(row: dict) -> set[str]:
    """The workflow phases upstream allows for this example (from catalog expected_phase)."""
    text = row["expected_phase"]
    if text.startswith("n/a"):
        return {"Succeeded"}
    found = set(re.findall(r"\b(Succeeded|Failed|Error)\b", text))
    if row["deterministic"] == "random" or "~" in text:
        # random outcome: success and failure are both outcomes upstream allows
        if "Failed" in text or "%" in text:
            found |= {"Succeeded", "Failed"}
    return found


def _params(rows):
    return [pytest.param(row, id=row["file"], marks=_marks(row)) for row in rows]


def _marks(row):
    known = KNOWN.get(row["file"])
    if known is None:
        return ()
    mode, reason = known
    if mode == "skip":
        return (pytest.mark.skip(reason=f"known: {reason}"),)
    return (pytest.mark.xfail(reason=f"known: {reason}", strict=True),)


def test_catalog_is_present():
    assert ROWS, f"no catalog rows found under {EXAMPLES.parent}"
    assert len([r for r in ROWS if r["kind"] == "Workflow"]) >= 100


def test_every_example_has_a_check():
    missing = [r["file"] for r in ROWS if r["file"] not in CHECKS]
    assert not missing, missing
    files = {r["file"] for r in ROWS}
    stale = [f for f in KNOWN if not f.startswith(("e2e/", "docs/")) and f not in files]
    assert not stale, stale


@pytest.mark.parametrize("row", _params(ROWS))
def test_example(row, flow_home):
    path = EXAMPLES / row["file"]
    store = open_store(flow_home)
    prepare(row, store, flow_home)
    workflows = submissions(path, store)
    if row["file"] in LIBRARY:
        workflows = [w for w in workflows if w["spec"]["workflowTemplateRef"]["name"] == LIBRARY[row["file"]]]
    assert workflows, f"{row['file']}: nothing to submit"
    allowed = allowed_phases(row)
    assert allowed, row["expected_phase"]
    driver = DRIVERS.get(row["file"])
    for wf in workflows:
        run = jupyter_flow.submit(wf, parameters=PARAMETERS.get(row["file"]), wait=driver is None,
                                  timeout=TIMEOUT, store=store)
        if driver is not None:
            try:
                driver(run)
            except BaseException:
                run.terminate()
                raise
            run.wait(TIMEOUT)
        if not run.finished:
            run.terminate()
            run.wait(10)
            pytest.fail(f"{row['file']}: still {run.phase} after {TIMEOUT}s: {phases(run)}")
        status = run.to_dict()["status"]
        assert run.phase in allowed, (f"{row['file']}: phase {run.phase} (upstream: {row['expected_phase']}); "
                                      f"message={status.get('message')!r}; nodes={json.dumps(phases(run))}")
        CHECKS[row["file"]](run, row)
