"""Runs keep a namespace: the configured default for runs started from Python, the notebook or the
CLI; the Argo operations (no HTTP here) list and find them by it."""
from __future__ import annotations

import pytest

from jupyter_flow import api
from jupyter_flow.argoserver.errors import ArgoError
from jupyter_flow.argoserver.workflows import WorkflowOps

HELLO = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: ns-}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: busybox, command: [echo, hi]}
"""


def test_a_python_run_takes_the_configured_namespace(flow_home, store, monkeypatch):
    monkeypatch.setenv("JUPYTER_FLOW_NAMESPACE", "team-x")
    run = api.submit(HELLO, wait=True, store=store)
    assert run.to_dict()["metadata"]["namespace"] == "team-x"
    ops = WorkflowOps(flow_home)
    assert [w["metadata"]["name"] for w in ops.list("team-x")["items"]] == [run.name]
    assert ops.list("default")["items"] == []
    assert ops.get("team-x", run.name)["status"]["phase"] == "Succeeded"
    with pytest.raises(ArgoError) as err:
        ops.get("default", run.name)
    assert err.value.status == 404


def test_config_yaml_namespace_and_the_default(flow_home, store, monkeypatch):
    monkeypatch.delenv("JUPYTER_FLOW_NAMESPACE", raising=False)
    name, wf = api.create(HELLO, store=store)
    assert wf["metadata"]["namespace"] == "default"
    (flow_home / "config.yaml").write_text("namespace: from-config\n")
    name, wf = api.create(HELLO, store=store)
    assert wf["metadata"]["namespace"] == "from-config"
    assert store.get_run(name, with_nodes=False).namespace == "from-config"
    # a Workflow that names its namespace keeps it
    name, wf = api.create(HELLO.replace("{generateName: ns-}", "{generateName: ns-, namespace: own}"), store=store)
    assert wf["metadata"]["namespace"] == "own"
