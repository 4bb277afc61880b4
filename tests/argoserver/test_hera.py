"""Hera's WorkflowsService, unchanged, against a real ``jupyter-flow server``."""
from __future__ import annotations

import subprocess
import sys

import pytest

hera = pytest.importorskip("hera")

from hera.workflows import (Container, CronWorkflow, Steps, Workflow, WorkflowsService,  # noqa: E402
                            WorkflowTemplate)
from hera.workflows.models import WorkflowSubmitRequest, WorkflowTemplateRef  # noqa: E402
from hera.exceptions import NotFound  # noqa: E402


def service(server, namespace="argo") -> WorkflowsService:
    return WorkflowsService(host=server.url, token=server.token, namespace=namespace)


def test_create_wait_get_list_delete(server):
    ws = service(server)
    with Workflow(generate_name="hello-", entrypoint="main", namespace="argo", workflows_service=ws) as w:
        Container(name="main", image="busybox", command=["echo", "hello from hera"])
    created = w.create()
    assert created.metadata.name.startswith("hello-")
    assert created.metadata.namespace == "argo"
    done = w.wait(poll_interval=0.2)
    assert done.status.phase == "Succeeded"
    pods = [n for n in done.status.nodes.values() if n.type == "Pod"]
    assert len(pods) == 1 and pods[0].phase == "Succeeded"

    got = ws.get_workflow(created.metadata.name)
    assert got.status.phase == "Succeeded"
    names = [i.metadata.name for i in ws.list_workflows().items]
    assert created.metadata.name in names
    # namespaces are real: the run is not in another one
    assert created.metadata.name not in [i.metadata.name for i in ws.list_workflows(namespace="other").items or []]
    with pytest.raises(NotFound):
        ws.get_workflow(created.metadata.name, namespace="other")
    # the CLI sees the run the Argo client made
    env = server.env()
    out = subprocess.run([sys.executable, "-m", "jupyter_flow.cli", "list", "-o", "name"], env=env,
                         capture_output=True, text=True, check=True).stdout
    assert created.metadata.name in out.split()

    ws.delete_workflow(created.metadata.name)
    with pytest.raises(NotFound):
        ws.get_workflow(created.metadata.name)


def test_workflow_template_then_submit_from_it(server):
    ws = service(server)
    with WorkflowTemplate(name="greet", entrypoint="main", namespace="argo", workflows_service=ws) as t:
        with Steps(name="main"):
            Container(name="say", image="busybox", command=["echo", "from a template"])()
    t.create()
    assert "greet" in [i.metadata.name for i in ws.list_workflow_templates().items]
    # as Hera users do: a Workflow that references the template
    with Workflow(generate_name="from-ref-", namespace="argo", workflows_service=ws,
                  workflow_template_ref=WorkflowTemplateRef(name="greet")) as w:
        pass
    assert w.create().metadata.name.startswith("from-ref-")
    assert w.wait(poll_interval=0.2).status.phase == "Succeeded"
    # and Argo's submit endpoint (argo submit --from workflowtemplate/greet)
    sub = ws.submit_workflow(WorkflowSubmitRequest(resource_kind="WorkflowTemplate", resource_name="greet"))
    assert sub.metadata.name.startswith("greet-")
    assert sub.metadata.labels["workflows.argoproj.io/workflow-template"] == "greet"


def test_cron_workflow_create(server):
    ws = service(server)
    with CronWorkflow(name="nightly", schedules=["0 3 * * *"], entrypoint="main", namespace="argo",
                      workflows_service=ws) as c:
        Container(name="main", image="busybox", command=["true"])
    created = c.create()
    assert created.metadata.name == "nightly"
    assert ws.get_cron_workflow("nightly").spec.schedules == ["0 3 * * *"]
    # the CLI's cron list sees it
    out = subprocess.run([sys.executable, "-m", "jupyter_flow.cli", "cron", "list", "-o", "name"], env=server.env(),
                         capture_output=True, text=True, check=True).stdout
    assert "nightly" in out.split()
    sub = ws.submit_workflow(WorkflowSubmitRequest(resource_kind="CronWorkflow", resource_name="nightly"))
    assert sub.metadata.labels["workflows.argoproj.io/cron-workflow"] == "nightly"
