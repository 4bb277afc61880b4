"""Every surface launches through one pipeline (``jupyter_flow.launch``), so the backend is chosen the
same way everywhere: the Jupyter server's submit and resubmit used to call ``api.create`` without
the backend, so ``backend: argo`` in config.yaml was ignored for JupyterLab submissions and a lab
resubmit of an argo run ran locally. Against the fake Kubernetes API (real HTTP, real client)."""
from __future__ import annotations

import json

import pytest

pytest.importorskip("kubernetes", reason="the kubernetes client is not installed (pip install 'jupyter-flow[kubernetes]')")

from jupyter_flow import api  # noqa: E402
from jupyter_flow.server.manager import FlowManager  # noqa: E402

WF = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "hello-"},
      "spec": {"entrypoint": "hello", "templates": [
          {"name": "hello", "container": {"image": "busybox", "command": ["echo", "hello"]}}]}}
POSTS = "/apis/argoproj.io/v1alpha1/namespaces/jobs/workflows"


def _argo_finishes_each_workflow(fake) -> None:
    """Script Argo's controller: each Workflow created succeeds."""
    original = fake.route

    def route(h, method, path, query, body):
        if method == "POST" and path.endswith("/workflows"):
            name = body["metadata"]["name"]
            fake.script = [{"phase": "Succeeded", "startedAt": "2026-07-01T12:00:00Z",
                            "finishedAt": "2026-07-01T12:00:02Z",
                            "nodes": {name: {"id": name, "name": name, "displayName": name, "type": "Pod",
                                             "templateName": "hello", "phase": "Succeeded",
                                             "startedAt": "2026-07-01T12:00:00Z",
                                             "finishedAt": "2026-07-01T12:00:02Z"}}}]
        return original(h, method, path, query, body)
    fake.route = route


def test_lab_submit_runs_on_the_backend_of_config_yaml(fake, flow_home):
    (flow_home / "config.yaml").write_text("backend: argo\nargo:\n  namespace: jobs\n")
    _argo_finishes_each_workflow(fake)
    wf = FlowManager(flow_home).submit(json.dumps(WF), wait=True, timeout=20)
    name = wf["metadata"]["name"]
    assert [p["body"]["metadata"]["name"] for p in fake.calls("POST", POSTS)] == [name]
    assert api.get(name).store.get_run(name).backend == "argo"
    assert wf["status"]["phase"] == "Succeeded"


def test_lab_resubmit_of_an_argo_run_goes_to_argo(fake, flow_home):
    _argo_finishes_each_workflow(fake)          # config.yaml names no backend: `local` by default
    run = api.submit(WF, backend="argo", wait=True, timeout=20)
    assert run.phase == "Succeeded"
    new = FlowManager(flow_home).action(run.name, "resubmit")["name"]
    assert new != run.name
    assert [p["body"]["metadata"]["name"] for p in fake.calls("POST", POSTS)] == [run.name, new]
    assert api.get(new).store.get_run(new).backend == "argo"
    assert api.get(new).wait(20) == "Succeeded"
