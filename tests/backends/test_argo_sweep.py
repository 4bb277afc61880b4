"""A sweep on the argo backend: each run is a Workflow sent to the cluster with the experiment label
(fake Kubernetes API over real HTTP, real kubernetes client)."""
from __future__ import annotations

import pytest

pytest.importorskip("kubernetes", reason="the kubernetes client is not installed (pip install 'jupyter-flow[kubernetes]')")

import jupyter_flow as jf  # noqa: E402
from jupyter_flow.experiments.grid import LABEL  # noqa: E402

WF = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "train-"},
      "spec": {"entrypoint": "main", "arguments": {"parameters": [{"name": "lr", "value": "1"}]},
               "templates": [{"name": "main", "container": {"image": "busybox", "command": ["true"]}}]}}


def test_sweep_runs_reach_the_cluster_labelled(fake):
    original_route = fake.route

    def route(h, method, path, query, body):
        if method == "POST" and path.endswith("/workflows"):   # each run ends as soon as it is watched
            fake.script = [{"phase": "Succeeded", "startedAt": "2026-01-01T00:00:00Z",
                            "finishedAt": "2026-01-01T00:00:01Z", "nodes": {}}]
        return original_route(h, method, path, query, body)
    fake.route = route

    exp = jf.sweep(WF, {"lr": [0.1, 0.01]}, parallelism=1, name="on-argo", backend="argo")
    assert exp.wait(30) == "Succeeded"
    posts = fake.calls("POST", "/apis/argoproj.io/v1alpha1/namespaces/jobs/workflows")
    assert len(posts) == 2
    sent = [p["body"] for p in posts]
    assert [b["metadata"]["labels"][LABEL] for b in sent] == ["on-argo", "on-argo"]
    assert [b["spec"]["arguments"]["parameters"] for b in sent] == [[{"name": "lr", "value": "0.1"}],
                                                                     [{"name": "lr", "value": "0.01"}]]
    assert sorted(b["metadata"]["name"] for b in sent) == sorted(exp.runs.names)
