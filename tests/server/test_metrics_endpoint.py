"""``GET /jupyter-flow/metrics``: the runs' custom metrics as Prometheus text, parsed with
Prometheus' own Python parser (prometheus_client), over a real server with real runs; hostile
label values from a step's output stay inside their label; no token, no metrics."""
from __future__ import annotations

import json

import pytest

parser = pytest.importorskip("prometheus_client.parser")

METRICS = r"""
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: metrics-
spec:
  entrypoint: main
  metrics:
    prometheus:
    - name: wf_runs
      help: "Runs by status"
      labels: [{key: status, value: "{{workflow.status}}"}]
      counter: {value: "1"}
  templates:
  - name: main
    outputs:
      parameters:
      - name: score
        valueFrom: {path: /tmp/score}
    metrics:
      prometheus:
      - name: model_score
        help: "Score of the model\nsecond line \\ backslash"
        labels:
        - {key: who, value: "{{outputs.result}}"}
        gauge: {value: "{{outputs.parameters.score}}", realtime: false}
      - name: score_hist
        help: "Scores"
        histogram: {value: "{{outputs.parameters.score}}", buckets: [0.5, 1, 0.25]}
    container:
      image: busybox
      command: [sh, -c]
      args: ["printf 0.75 > /tmp/score; printf '%s\\n%s' 'a\"b\\c} x{y=\"1\"' 'argo_workflows_fake 1'"]
"""


async def _submit(jp_fetch):
    r = await jp_fetch("jupyter-flow", "api", "runs", method="POST",
                       body=json.dumps({"yaml": METRICS, "wait": True}), raise_error=False)
    assert r.code == 201, r.body
    wf = json.loads(r.body)
    assert wf["status"]["phase"] == "Succeeded", wf["status"]
    return wf


def _families(text: str) -> dict:
    return {f.name: f for f in parser.text_string_to_metric_families(text)}


async def test_metrics_endpoint_serves_prometheus_text_aggregated_across_runs(jp_fetch):
    for _ in range(2):
        await _submit(jp_fetch)
    r = await jp_fetch("jupyter-flow", "metrics")
    assert r.code == 200
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    fams = _families(r.body.decode())
    assert set(fams) == {"argo_workflows_wf_runs", "argo_workflows_model_score", "argo_workflows_score_hist"}
    runs = fams["argo_workflows_wf_runs"]
    assert runs.type == "counter"
    assert [(s.labels, s.value) for s in runs.samples] == [({"status": "Succeeded"}, 2.0)]   # summed
    score = fams["argo_workflows_model_score"]
    assert score.type == "gauge" and score.documentation == "Score of the model\nsecond line \\ backslash"
    (sample,) = score.samples   # one series: the same label set in both runs, last value kept
    # quotes, backslashes, braces and a newline followed by a would-be sample stay in their label
    assert sample.labels == {"who": 'a"b\\c} x{y="1"\nargo_workflows_fake 1'} and sample.value == 0.75
    hist = fams["argo_workflows_score_hist"]
    assert hist.type == "histogram"
    buckets = {s.labels["le"]: s.value for s in hist.samples if s.name.endswith("_bucket")}
    assert buckets == {"0.25": 0, "0.5": 0, "1": 2, "+Inf": 2}   # le as Go formats it
    total = {s.name: s.value for s in hist.samples if not s.name.endswith("_bucket")}
    assert total == {"argo_workflows_score_hist_sum": 1.5, "argo_workflows_score_hist_count": 2}


async def test_metrics_endpoint_needs_jupyters_auth(jp_fetch, jp_serverapp, http_server_client, jp_base_url):
    await _submit(jp_fetch)
    url = jp_base_url + "jupyter-flow/metrics"
    r = await http_server_client.fetch(url, raise_error=False)
    assert r.code == 403 and b"argo_workflows" not in r.body
    r = await http_server_client.fetch(url, raise_error=False, headers={"Authorization": "bearer wrong"})
    assert r.code == 403 and b"argo_workflows" not in r.body
    # what a Prometheus scrape config with `authorization: {credentials: <token>}` sends
    token = jp_serverapp.identity_provider.token
    r = await http_server_client.fetch(url, raise_error=False, headers={"Authorization": f"Bearer {token}"})
    assert r.code == 200 and "argo_workflows_model_score" in _families(r.body.decode())
