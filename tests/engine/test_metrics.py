"""Custom metrics (``metrics.prometheus``) as Argo's controller computes them (operator.go
computeMetrics, steps.go prepareMetricScope, metrics_custom.go): real runs, real processes, the
real store; each kind end to end, ``when``, realtime gauges, retries, errors and the per-run cap."""
from __future__ import annotations

import json

import pytest

import jupyter_flow
from jupyter_flow.store import open_store
from jupyter_flow.store.metrics import aggregate
from tests.engine.workflows import by_name, run, sh, wf


def metric(name, kind, value, labels=None, help_="help of " + "x", when=None, **body):
    if kind == "gauge":
        body.setdefault("realtime", False)   # Argo's schema requires it on a gauge
    m = {"name": name, "help": help_, kind: {"value": value, **body}}
    if labels:
        m["labels"] = [{"key": k, "value": v} for k, v in labels.items()]
    if when:
        m["when"] = when
    return m


def test_template_gauge_counter_histogram_from_outputs_status_and_inputs():
    step = sh("emit", "echo 7 > /tmp/v; echo hello", inputs={"parameters": [{"name": "model"}]},
              outputs={"parameters": [{"name": "score", "valueFrom": {"path": "/tmp/v"}}]},
              metrics={"prometheus": [
                  metric("score", "gauge", "{{outputs.parameters.score}}", {"model": "{{inputs.parameters.model}}"}),
                  metric("runs", "counter", "1", {"status": "{{status}}", "code": "{{exitCode}}"}),
                  metric("score_hist", "histogram", "{{outputs.parameters.score}}", buckets=[5, 10, 2.5]),
                  metric("took", "gauge", "{{duration}}"),
              ]})
    doc = wf([{"name": "main", "steps": [[{"name": "a", "template": "emit", "withItems": ["m1", "m2"],
                                           "arguments": {"parameters": [{"name": "model", "value": "{{item}}"}]}}]]},
              step])
    r = run(doc)
    assert r.phase == "Succeeded"
    ms = r.metrics
    nodes = by_name(r)
    ids = {n["id"] for n in nodes.values() if n["type"] == "Pod"}
    assert len(ids) == 2
    score = [m for m in ms if m["name"] == "score"]
    assert sorted((m["labels"]["model"], m["value"]) for m in score) == [("m1", 7.0), ("m2", 7.0)]
    assert {m["node"] for m in score} == ids and all(m["type"] == "gauge" for m in score)
    runs = [m for m in ms if m["name"] == "runs"]
    assert [m["labels"] for m in runs] == [{"code": "0", "status": "Succeeded"}] * 2
    assert all(m["value"] == 1.0 for m in runs)
    took = [m["value"] for m in ms if m["name"] == "took"]
    assert len(took) == 2 and all(0 <= t < 30 for t in took)
    fams = aggregate(open_store())
    assert fams["runs"]["series"][json.dumps({"code": "0", "status": "Succeeded"}, sort_keys=True)] == 2.0
    hist = fams["score_hist"]
    assert hist["buckets"] == [2.5, 5.0, 10.0]
    (h,) = hist["series"].values()
    assert h == {"counts": [0, 0, 2], "sum": 14.0, "count": 2}


def test_when_gates_on_status_and_workflow_level_metrics_see_workflow_status():
    doc = wf([{"name": "main", "steps": [[{"name": "ok", "template": "ok"}, {"name": "bad", "template": "bad"}]]},
              sh("ok", "true", metrics={"prometheus": [
                  metric("failures", "counter", "1", when="{{status}} == Failed")]}),
              sh("bad", "exit 3", metrics={"prometheus": [
                  metric("failures", "counter", "1", {"code": "{{exitCode}}"}, when="{{status}} == Failed")]})],
             metrics={"prometheus": [
                 metric("wf_done", "counter", "1", {"status": "{{workflow.status}}", "entry": "{{status}}",
                                                    "p": "{{workflow.parameters.p}}"}),
                 metric("wf_secs", "gauge", "{{workflow.duration}}")]},
             arguments={"parameters": [{"name": "p", "value": "v1"}]})
    r = run(doc)
    assert r.phase == "Failed"
    ms = r.metrics
    fails = [m for m in ms if m["name"] == "failures"]
    assert [m["labels"] for m in fails] == [{"code": "3"}]   # the Succeeded step's `when` was false
    assert fails[0]["node"] == by_name(r)["bad"]["id"]
    (done,) = [m for m in ms if m["name"] == "wf_done"]
    assert done["labels"] == {"status": "Failed", "entry": "Failed", "p": "v1"} and done["node"] is None
    (secs,) = [m for m in ms if m["name"] == "wf_secs"]
    assert 0 < secs["value"] < 60


def test_gauge_operations_add_and_sub_accumulate_across_runs():
    decl = [metric("inflight", "gauge", "2", operation="Add"), metric("level", "gauge", "5", operation="Sub")]
    doc = wf([sh("main", "true", metrics={"prometheus": decl})])
    run(doc)
    run(doc)
    fams = aggregate(open_store())
    assert list(fams["inflight"]["series"].values()) == [4.0]
    assert list(fams["level"]["series"].values()) == [-10.0]


def test_realtime_gauge_is_read_while_the_node_runs_and_frozen_once_done():
    doc = wf([sh("main", "sleep 1.5", metrics={"prometheus": [
        metric("live_secs", "gauge", "{{duration}}", {"k": "v"}, realtime=True)]})],
        metrics={"prometheus": [metric("wf_live", "gauge", "{{workflow.duration}}", realtime=True)]})
    r = jupyter_flow.submit(doc)
    import time
    deadline = time.time() + 20
    seen = []
    while time.time() < deadline and not r.finished:
        seen = [m for m in r.metrics if m["name"] == "live_secs"]
        if seen and seen[0]["value"] > 0.3:
            break
        time.sleep(0.1)
    assert seen and seen[0]["realtime"] and seen[0]["value"] > 0.3   # read now, while the step runs
    assert r.wait(30) == "Succeeded"
    final = [m for m in r.metrics if m["name"] == "live_secs"]
    assert len(final) == 2   # at the node's creation, and again at its completion
    frozen = final[-1]["value"]
    assert 1.0 < frozen < 20
    time.sleep(0.3)
    assert [m for m in r.metrics if m["name"] == "live_secs"][-1]["value"] == frozen
    wf_live = [m["value"] for m in r.metrics if m["name"] == "wf_live"]
    assert wf_live and wf_live[-1] >= frozen


def test_retried_template_emits_per_retried_attempt_then_for_the_retry_node():
    # Argo's e2e TestRetryMetrics: limit 2, always failing -> 3 emissions
    doc = wf([sh("main", "exit 1", retryStrategy={"limit": "2"}, metrics={"prometheus": [
        metric("runs_exit", "counter", "1", {"code": "{{exitCode}}", "status": "{{status}}",
                                             "retries": "{{retries}}"})]})])
    r = run(doc)
    assert r.phase == "Failed"
    ms = [m for m in r.metrics if m["name"] == "runs_exit"]
    assert len(ms) == 3
    assert all(m["labels"]["code"] == "1" and m["labels"]["status"] == "Failed" for m in ms)
    root = r.nodes[r.name]
    assert ms[-1]["node"] == root["id"] and ms[-1]["labels"]["retries"] == "2"
    assert [m["node"] for m in ms[:2]] == root["children"][:2]


def test_emission_errors_become_argos_metrics_error_condition_and_the_run_goes_on():
    doc = wf([sh("main", "echo notanumber", metrics={"prometheus": [
        metric("bad_value", "gauge", "{{outputs.result}}"),
        metric("rt_bad", "gauge", "{{outputs.result}}", realtime=True),
        metric("rt_text", "gauge", "secs: {{duration}}", realtime=True),
        metric("fine", "gauge", "1")]})])
    r = run(doc)
    assert r.phase == "Succeeded"
    assert [m["name"] for m in r.metrics] == ["fine"]
    conds = r.to_dict()["status"]["conditions"]
    assert conds[0]["type"] == "MetricsError" and conds[0]["status"] == "True"
    assert "bad_value" in conds[0]["message"] and "invalid syntax" in conds[0]["message"]
    assert "real time metrics can only be used with metric variables" in conds[0]["message"]
    assert "'outputs.result' is not available as a real time metric" in conds[0]["message"]


def test_metric_in_a_huge_loop_is_capped_per_run_and_says_so(monkeypatch):
    monkeypatch.setenv("JUPYTER_FLOW_MAX_METRICS", "25")
    doc = wf([{"name": "main", "steps": [[{"name": "s", "template": "noop", "withSequence": {"count": "60"}}]]},
              {"name": "noop", "suspend": {"duration": "0"},
               "metrics": {"prometheus": [metric("loop_count", "counter", "1")]}}])
    r = run(doc)
    assert r.phase == "Succeeded"
    assert len(r.metrics) == 25
    (cond,) = r.to_dict()["status"]["conditions"]
    assert "35 metric emission(s) over this run's limit of 25" in cond["message"]


def test_get_json_puts_metrics_in_status_metrics(capsys):
    from jupyter_flow.cli import main
    r = run(wf([sh("main", "true", metrics={"prometheus": [metric("g", "gauge", "3")]})]))
    assert main(["get", r.name, "-o", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"]["metrics"][0]["name"] == "g" and out["status"]["metrics"][0]["value"] == 3.0
    assert "metrics" not in out["metadata"].get("annotations", {})


@pytest.mark.parametrize("decl, where, why", [
    (metric("bad-name", "gauge", "1"), "name", "metric name 'bad-name' is invalid"),
    (metric("ok", "gauge", "1", {"bad key": "v"}), "key", "metric label 'bad key' is invalid"),
    ({"name": "nohelp", "help": "", "gauge": {"value": "1"}}, None, "must contain a help string"),
    (metric("rt", "gauge", "{{resourcesDuration.cpu}}", realtime=True), "value", "cannot be used in real-time"),
])
def test_lint_refuses_invalid_template_metrics_with_their_line(decl, where, why):
    import yaml
    doc = wf([sh("main", "true", metrics={"prometheus": [decl]})])
    text = yaml.safe_dump(doc, sort_keys=False)
    errs = [e for e in jupyter_flow.lint(text, filename="m.yaml") if why in e.message]
    assert errs, [str(e) for e in jupyter_flow.lint(text, filename="m.yaml")]
    assert errs[0].severity == "error"
    lines = text.splitlines()
    line = lines[errs[0].line - 1]
    if where:
        assert where in line, (line, str(errs[0]))
    else:
        assert errs[0].line > 1


def test_runs_to_frame_has_a_metric_column_with_each_runs_last_value():
    pytest.importorskip("pandas")
    for v in ("0.5", "0.75"):
        run(wf([sh("main", f"echo {v}", metrics={"prometheus": [
            metric("acc", "gauge", "0"), metric("acc", "gauge", "{{outputs.result}}")]})]))
    frame = jupyter_flow.runs().to_frame()
    assert sorted(frame["metric.acc"].tolist()) == [0.5, 0.75]   # the last emission of each run


def test_template_defaults_metrics_count_every_dag_task_and_the_dag_itself():
    # as Argo's e2e TestDAGMetrics: a diamond under templateDefaults.metrics -> 5 (A, B, C, D, the DAG)
    echo = sh("echo", "echo {{inputs.parameters.m}}", inputs={"parameters": [{"name": "m"}]})
    tasks = [{"name": n, "template": "echo", "arguments": {"parameters": [{"name": "m", "value": n}]},
              **({"depends": d} if d else {})} for n, d in (("A", ""), ("B", "A"), ("C", "A"), ("D", "B && C"))]
    doc = wf([{"name": "main", "dag": {"tasks": tasks}}, echo],
             templateDefaults={"metrics": {"prometheus": [metric("result_counter", "counter", "1",
                                                                 {"status": "{{status}}"})]}})
    r = run(doc)
    assert r.phase == "Succeeded"
    fams = aggregate(open_store())
    assert fams["result_counter"]["series"] == {json.dumps({"status": "Succeeded"}): 5.0}
    assert {m["node"] for m in r.metrics} == set(r.nodes)


def test_dag_level_metric_with_when_failed_counts_the_failed_dag_once():
    # as Argo's e2e TestFailedMetric
    doc = wf([{"name": "main", "dag": {"tasks": [{"name": "t", "template": "bad"}]},
               "metrics": {"prometheus": [metric("task_failure", "counter", "1", when="{{status}} == Failed")]}},
              sh("bad", "exit 1")])
    r = run(doc)
    assert r.phase == "Failed"
    assert [(m["name"], m["node"]) for m in r.metrics] == [("task_failure", r.name)]


def test_lint_only_warns_on_workflow_level_metrics_argo_checks_at_emission():
    import yaml
    doc = wf([sh("main", "true")], metrics={"prometheus": [metric("bad-name", "counter", "1")]})
    errs = [e for e in jupyter_flow.lint(yaml.safe_dump(doc, sort_keys=False)) if "bad-name" in e.message]
    assert errs and all(e.severity == "warning" for e in errs)
    r = run(doc)   # submitted as Argo would; the controller refuses the metric at emission
    assert r.phase == "Succeeded" and r.metrics == []
    assert "metric name is invalid" in r.to_dict()["status"]["conditions"][0]["message"]
