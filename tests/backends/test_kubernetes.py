"""The kubernetes backend: Pod manifests valid against the Kubernetes schema, pods run via a fake API."""
from __future__ import annotations

import os
import sys

import pytest

pytest.importorskip("kubernetes", reason="the kubernetes client is not installed (pip install 'jupyter-flow[kubernetes]')")

from jupyter_flow import api  # noqa: E402
from jupyter_flow.executors.kubernetes import _condition, parse_termination, pod_manifest  # noqa: E402
from jupyter_flow.executors.local import StepSpec  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from fakekube import FakeKube  # noqa: E402

TMPL = {"name": "t", "nodeSelector": {"disk": "ssd"},
        "tolerations": [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}],
        "podSpecPatch": '{"containers": [{"name": "main", "resources": {"limits": {"cpu": "2"}}}]}',
        "container": {"image": "busybox", "command": ["sh", "-c"], "args": ["echo hi > /tmp/o"],
                      "resources": {"requests": {"memory": "32Mi"}},
                      "volumeMounts": [{"name": "work", "mountPath": "/work"}]},
        "outputs": {"parameters": [{"name": "o", "valueFrom": {"path": "/tmp/o"}}]}}
WF = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "k8s-x"},
      "spec": {"entrypoint": "t", "serviceAccountName": "runner",
               "volumes": [{"name": "work", "emptyDir": {}}], "templates": [TMPL]}}


def _spec():
    return StepSpec(node_id="k8s-x-123", step_name="t", image="busybox", command=["sh", "-c"],
                    args=["echo hi > /tmp/o"], env={"A": "1"}, deadline=30, template=TMPL, workflow=WF)


def test_pod_manifest_has_everything_and_validates_against_the_kubernetes_schema():
    kv = pytest.importorskip("kubernetes_validate", reason="pip install kubernetes-validate (test extra)")
    pod = pod_manifest(_spec(), "jobs")
    kv.validate(pod, "1.30", strict=True)          # raises on any schema error or unknown field
    c = pod["spec"]["containers"][0]
    assert c["name"] == "main" and c["image"] == "busybox" and c["env"] == [{"name": "A", "value": "1"}]
    assert c["resources"] == {"requests": {"memory": "32Mi"}, "limits": {"cpu": "2"}}   # podSpecPatch merged
    assert pod["spec"]["nodeSelector"] == {"disk": "ssd"} and pod["spec"]["tolerations"][0]["key"] == "gpu"
    assert pod["spec"]["volumes"] == [{"name": "work", "emptyDir": {}}]
    assert pod["spec"]["serviceAccountName"] == "runner" and pod["spec"]["activeDeadlineSeconds"] == 30
    assert c["terminationMessagePath"] == "/dev/termination-log" and "/tmp/o" in c["command"][-1]


def test_conditions_and_termination_message():
    obj = {"status": {"succeeded": 2, "phase": "Done"}}
    assert _condition(obj, "status.succeeded > 0") and _condition(obj, "status.phase == Done")
    assert not _condition(obj, "status.failed > 0")
    assert parse_termination("o\0hi\n\0p\0x\0") == {"o": "hi\n", "p": "x"}


def test_steps_run_as_pods_through_the_api(flow_home, tmp_path, monkeypatch):
    fake = FakeKube()
    try:
        monkeypatch.setenv("KUBECONFIG", str(fake.kubeconfig(tmp_path / "kc", namespace="jobs")))
        (flow_home / "config.yaml").write_text("kubernetes: {pollInterval: 0.05}\n")

        def pod_script(pod):
            yield {"phase": "Running"}
            fake.logs[pod["metadata"]["name"]] = "hi from pod\n"
            yield {"phase": "Succeeded", "hostIP": "10.0.0.1", "containerStatuses": [{"name": "main", "state": {
                "terminated": {"exitCode": 0, "message": "o\0value-from-file\n\0"}}}]}
        fake.pod_script = pod_script
        run = api.submit(dict(WF, metadata={"generateName": "k8s-"}), backend="kubernetes", wait=True, timeout=30)
        assert run.phase == "Succeeded", run.to_dict()["status"]
        node = run.node(run.name)
        assert node["outputs"]["result"] == "hi from pod"
        assert node["outputs"]["parameters"][0]["value"] == "value-from-file"
        assert run.logs(run.name) == "hi from pod\n"
        post = fake.calls("POST", "/api/v1/namespaces/jobs/pods")[0]["body"]
        assert post["metadata"]["name"] == node["id"] and post["spec"]["containers"][0]["image"] == "busybox"
        assert fake.calls("DELETE", f"/pods/{node['id']}")             # podGC OnPodCompletion
        # 403 on pod create: the node's message names the step and the RBAC to grant
        fake.forbid.add("POST pods")
        run = api.submit(dict(WF, metadata={"generateName": "k8s-"}), backend="kubernetes", wait=True, timeout=30)
        msg = run.node(run.name)["message"]
        assert run.phase == "Error" and "403" in msg and repr(run.name) in msg and "RBAC" in msg
    finally:
        fake.close()


def test_no_kubeconfig_fails_the_step_clearly(flow_home, tmp_path, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "none"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    run = api.submit(dict(WF, metadata={"generateName": "k8s-"}), backend="kubernetes", wait=True, timeout=30)
    msg = run.node(run.name)["message"]
    assert run.phase == "Error" and "no Kubernetes configuration found" in msg and repr(run.name) in msg


def test_resource_template_on_local_backend_keeps_its_message():
    wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "res-"},
          "spec": {"entrypoint": "r", "templates": [{"name": "r", "resource": {
              "action": "create", "manifest": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"}}]}}
    run = api.submit(wf, wait=True, timeout=30)
    assert run.phase == "Error" and "--backend argo" in run.node(run.name)["message"]
