"""The official ``argo-workflows`` SDK (WorkflowServiceApi), unchanged, against ``jupyter-flow server``."""
from __future__ import annotations

import json
import time

import pytest

argo_workflows = pytest.importorskip("argo_workflows")

from argo_workflows.api import workflow_service_api  # noqa: E402
from argo_workflows.exceptions import NotFoundException  # noqa: E402
from argo_workflows.model.io_argoproj_workflow_v1alpha1_workflow_create_request import (  # noqa: E402
    IoArgoprojWorkflowV1alpha1WorkflowCreateRequest as CreateRequest)
from argo_workflows.model.io_argoproj_workflow_v1alpha1_workflow_resume_request import (  # noqa: E402
    IoArgoprojWorkflowV1alpha1WorkflowResumeRequest as ResumeRequest)

APPROVAL = {
    "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
    "metadata": {"generateName": "approval-", "labels": {"team": "data"}},
    "spec": {"entrypoint": "main", "templates": [
        {"name": "main", "steps": [[{"name": "hello", "template": "hello"}],
                                   [{"name": "approve", "template": "approve"}],
                                   [{"name": "after", "template": "after"}]]},
        {"name": "hello", "container": {"image": "busybox", "command": ["echo", "hi from the sdk"]}},
        {"name": "approve", "suspend": {}},
        {"name": "after", "container": {"image": "busybox", "command": ["echo", "approved"]}}]}}


@pytest.fixture(scope="module")
def api(server):
    cfg = argo_workflows.Configuration(host=server.url)
    cfg.api_key["BearerToken"] = server.token
    cfg.api_key_prefix["BearerToken"] = "Bearer"
    with argo_workflows.ApiClient(cfg) as client:
        yield workflow_service_api.WorkflowServiceApi(client)


def _suspended(wf) -> bool:
    return any(n.get("type") == "Suspend" and n.get("phase") == "Running"
               for n in (wf.status.get("nodes") or {}).values())


def test_create_get_list_resume_watch_logs(api):
    wf = api.create_workflow("default", CreateRequest(workflow=APPROVAL, _check_type=False),
                             _check_return_type=False)
    name = wf["metadata"]["name"]
    deadline = time.monotonic() + 30
    got = api.get_workflow("default", name)
    while not _suspended(got):
        assert time.monotonic() < deadline, got.status
        time.sleep(0.1)
        got = api.get_workflow("default", name)
    assert got.status.phase == "Running"
    listed = api.list_workflows("default", list_options_label_selector="team=data")
    assert name in [i.metadata.name for i in listed.items]
    assert api.list_workflows("default", list_options_label_selector="team=other").items in (None, [])

    api.resume_workflow("default", name, ResumeRequest())
    resp = api.watch_workflows("default", list_options_field_selector=f"metadata.name={name}",
                               _preload_content=False)
    phases = []
    buf = b""
    for chunk in resp.stream(1024):
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            if line.strip():
                event = json.loads(line)["result"]
                assert event["object"]["metadata"]["name"] == name
                phases.append((event["type"], event["object"]["status"]["phase"]))
        if phases and phases[-1][1] == "Succeeded":
            break
    resp.release_conn()
    assert phases[0][0] == "ADDED" and phases[-1][1] == "Succeeded"

    logs = api.workflow_logs("default", name, log_options_container="main", _preload_content=False)
    entries = [json.loads(line)["result"] for line in logs.data.decode().splitlines() if line.strip()]
    assert [e["content"] for e in entries] == ["hi from the sdk", "approved"]
    assert all(e["podName"].startswith(name + "-") for e in entries)
    grep = api.workflow_logs("default", name, grep="appr", _preload_content=False)
    assert [json.loads(x)["result"]["content"] for x in grep.data.decode().splitlines()] == ["approved"]


def test_not_found_is_argo_shaped(api):
    with pytest.raises(NotFoundException) as err:
        api.get_workflow("default", "no-such-workflow")
    body = json.loads(err.value.body)
    assert body["code"] == 5 and "not found" in body["message"]
