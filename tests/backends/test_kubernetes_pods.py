"""The ``kubernetes`` backend's Pods in detail, against the API server TEST DOUBLE and its kubelet double.

What goes into a Pod and what comes back beyond the issue's scenarios (``test_kubernetes_scenarios.py``):
env from the cluster, sidecars and init containers, podGC, deadlines, artifacts, image pull
failures, a broken log stream, and how many pods run at once.
"""
from __future__ import annotations

import os
import sys

import pytest

pytest.importorskip("kubernetes", reason="the kubernetes client is not installed (pip install 'jupyter-flow[kubernetes]')")

from jupyter_flow import api  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
import scenarios as sc  # noqa: E402
from fakekubelet import BWRAP  # noqa: E402

from tests.upstream import example  # noqa: E402

pytestmark = pytest.mark.skipif(BWRAP is None, reason="the kubelet test double isolates pods with bwrap (bubblewrap)")


def test_env_from_secrets_and_fields_goes_into_the_pod(kube):
    env = [{"name": "PLAIN", "value": "p"},
           {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "token"}}},
           {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}]
    wf = sc.wf("env", [sc.sh("main", "echo $PLAIN", env=env)])
    local = api.submit(wf, backend="local", wait=True, timeout=60)
    assert local.phase == "Error" and "needs a cluster" in sc.node(local, local.name)["message"]
    run = api.submit(wf, backend="kubernetes", wait=True, timeout=60)
    assert run.phase == "Succeeded", sc.node(run, run.name)
    (pod,) = sc.validate_pods(kube)
    assert pod["spec"]["containers"][0]["env"] == env   # resolved by the kubelet, not here


def test_image_pull_failure_names_the_step_and_image(kube):
    kube.kubelet = None   # a kubelet that cannot pull: the status a real one reports

    def cannot_pull(pod):
        yield {"phase": "Pending", "containerStatuses": [{"name": "main", "state": {"waiting": {
            "reason": "ErrImagePull", "message": 'pull access denied for "nope/nope"'}}}]}
    kube.pod_script = cannot_pull
    run = api.submit(sc.wf("pull", [{"name": "main", "container": {"image": "nope/nope", "command": ["true"]}}]),
                     backend="kubernetes", wait=True, timeout=60)
    msg = sc.node(run, run.name)["message"]
    assert run.phase == "Error" and msg.startswith(f"step {run.name!r}: image pull failed for 'nope/nope': ErrImagePull")
    assert "imagePullSecrets" in msg
    assert not [k for k in kube.objects if k[0] == "pods"]   # not left pulling forever


def test_sidecars_and_init_containers_are_in_the_pod_and_main_ends_the_step(kube, flow_home):
    (flow_home / "config.yaml").write_text("kubernetes: {pollInterval: 0.02, podGC: Never}\n")
    wf = sc.wf("sidecar", [dict(sc.sh("main", "echo main done", volumeMounts=[{"name": "v", "mountPath": "/tmp/v"}]),
                                sidecars=[{"name": "db", "image": "busybox", "command": ["sleep", "3600"]}],
                                initContainers=[{"name": "init", "image": "busybox", "command": ["true"],
                                                 "mirrorVolumeMounts": True}])],
               volumes=[{"name": "v", "emptyDir": {}}])
    run = api.submit(wf, backend="kubernetes", wait=True, timeout=60)
    assert run.phase == "Succeeded", sc.node(run, run.name)
    assert sc.node(run, run.name)["outputs"]["result"] == "main done"
    (pod,) = sc.validate_pods(kube)
    assert [c["name"] for c in pod["spec"]["containers"]] == ["main", "db"]
    assert pod["spec"]["initContainers"] == [{"name": "init", "image": "busybox", "command": ["true"],
                                              "volumeMounts": [{"name": "v", "mountPath": "/tmp/v"}]}]
    # the sidecar would run forever: the pod is deleted although podGC is Never
    assert not [k for k in kube.objects if k[0] == "pods"]


@pytest.mark.parametrize("strategy", ["OnWorkflowSuccess", "OnWorkflowCompletion", "OnPodSuccess", None])
def test_pod_gc_strategy_from_the_workflow(kube, flow_home, strategy):
    (flow_home / "config.yaml").write_text("kubernetes: {pollInterval: 0.02, podGC: Never}\n")   # the fallback
    wf = dict(sc.seed("steps.yaml"))
    if strategy:
        wf["spec"] = dict(wf["spec"], podGC={"strategy": strategy})
    assert api.submit(wf, backend="kubernetes", wait=True, timeout=60).phase == "Succeeded"
    pods = [k for k in kube.objects if k[0] == "pods"]
    assert len(pods) == (3 if strategy is None else 0)
    assert len(kube.calls("DELETE", "/pods/")) == (0 if strategy is None else 3)
    order = [r["method"] for r in kube.requests if r["method"] in ("POST", "DELETE")]
    if strategy == "OnPodSuccess":   # hello1's pod goes before hello2a/b are created
        assert order.index("DELETE") < len(order) - 1 - order[::-1].index("POST")
    elif strategy:                   # all at the end of the run
        assert order == ["POST"] * 3 + ["DELETE"] * 3


def test_workflow_pod_gc_on_success_keeps_the_pods_of_a_failed_run(kube):
    wf = dict(sc.FAIL)
    wf["spec"] = dict(wf["spec"], podGC={"strategy": "OnWorkflowSuccess"})
    assert api.submit(wf, backend="kubernetes", wait=True, timeout=60).phase == "Failed"
    assert len([k for k in kube.objects if k[0] == "pods"]) == 1 and not kube.calls("DELETE", "/pods/")


def test_output_artifacts_fail_clearly_before_a_pod_is_made(kube):
    wf = sc.wf("art", [dict(sc.sh("main", "echo x > /tmp/x"), outputs={"artifacts": [
        {"name": "x", "path": "/tmp/x"}, {"name": "maybe", "path": "/tmp/y", "optional": True}]})])
    run = api.submit(wf, backend="kubernetes", wait=True, timeout=60)
    assert run.phase == "Error" and not kube.calls("POST", "/pods")
    assert sc.node(run, run.name)["message"] == (f"step {run.name!r}: output artifacts (x) need an artifact repository "
                                                 "in the cluster; run with --backend argo, or mark them optional")


def test_active_deadline_fails_the_node_as_on_the_local_backend(kube):
    wf = sc.wf("deadline", [dict(sc.sh("main", "echo 123; sleep 60"), activeDeadlineSeconds=1)])
    local = api.submit(wf, backend="local", wait=True, timeout=60)
    run = api.submit(wf, backend="kubernetes", wait=True, timeout=60)
    assert run.phase == "Failed"
    assert sc.node(run, run.name)["message"] == "Pod was active on the node longer than the specified deadline"
    (pod,) = sc.validate_pods(kube)
    assert pod["spec"]["activeDeadlineSeconds"] == 1
    # the same tree and messages; the exit code is what each reports for a kill (kubelet 137, local -9)
    assert [t[:8] for t in sc.tree(run)] == [t[:8] for t in sc.tree(local)] and sc.log_of(run, run.name) == "123\n"


def test_log_is_read_once_when_following_fails(kube):
    kube.follow_fails = True
    run = api.submit(sc.seed("steps.yaml"), backend="kubernetes", wait=True, timeout=60)
    assert run.phase == "Succeeded" and sc.log_of(run, "hello2b") == "hello2b\n"
    assert sc.node(run, "hello1")["outputs"]["result"] == "hello1"
    reads = [r["query"].get("follow") for r in kube.calls("GET", "/log")]
    assert reads.count("true") == 3 and reads.count(None) == 3   # each follow failed, then one plain read


def test_pods_are_not_held_to_the_local_process_cap(kube, tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_FLOW_MAX_PROCESSES", "4")
    shared = tmp_path / "meet"
    shared.mkdir()
    # six pods that each wait (up to 20 s) until all six have arrived: only possible if they run at once
    wait_all = 'touch /tmp/meet/{{inputs.parameters.n}}; for i in $(seq 200); do [ $(ls /tmp/meet | wc -l) -ge 6 ] ' \
               '&& exit 0; sleep 0.1; done; exit 1'
    meet = dict(sc.sh("meet", wait_all, volumeMounts=[{"name": "meet", "mountPath": "/tmp/meet"}]),
                inputs={"parameters": [{"name": "n"}]})
    step = {"name": "meet", "template": "meet", "withSequence": {"count": "6"},
            "arguments": {"parameters": [{"name": "n", "value": "{{item}}"}]}}
    wf = sc.wf("fanout", [{"name": "main", "steps": [[step]]}, meet],
               volumes=[{"name": "meet", "hostPath": {"path": str(shared), "type": "Directory"}}])
    run = api.submit(wf, backend="kubernetes", wait=True, timeout=60)
    assert run.phase == "Succeeded", [n.get("message") for n in run.nodes.values()]
    assert len(list(shared.iterdir())) == 6


def test_raw_input_artifacts_are_written_by_an_init_container(kube):
    path = example("input-artifact-raw.yaml")
    wf = sc.yaml.safe_load(path.read_text())
    local = api.submit(wf, backend="local", wait=True, timeout=60)
    run = api.submit(wf, backend="kubernetes", wait=True, timeout=60)
    assert run.phase == "Succeeded", sc.node(run, run.name)["message"]
    assert sc.tree(run) == sc.tree(local) and sc.log_of(run, run.name) == "this is\nthe raw file\ncontents\n"
    (pod,) = sc.validate_pods(kube)
    (init,) = pod["spec"]["initContainers"]
    assert init["image"] == "busybox" and init["env"][0]["value"] == "this is\nthe raw file\ncontents\n"
    assert {"name": "jupyter-flow-inputs", "mountPath": "/tmp/file", "subPath": "0"} in \
        pod["spec"]["containers"][0]["volumeMounts"]


def test_other_input_artifacts_need_argo(kube):
    wf = sc.wf("inart", [dict(sc.sh("main", "cat /tmp/x"), inputs={"artifacts": [
        {"name": "x", "path": "/tmp/x", "http": {"url": "https://example.com/x"}}]})])
    run = api.submit(wf, backend="kubernetes", wait=True, timeout=60)
    assert run.phase == "Error" and not kube.calls("POST", "/pods")
    assert sc.node(run, run.name)["message"] == (f"step {run.name!r}: input artifacts (x) need an artifact "
                                                 "repository in the cluster; run with --backend argo")


def test_a_daemon_step_is_daemoned_once_its_pod_is_ready_with_the_pod_ip_and_deleted_with_its_scope(kube):
    from fakekubelet import POD_IP
    wf = sc.wf("daemon", [
        {"name": "main", "steps": [[{"name": "server", "template": "server"}], [{"name": "client", "template": "client",
                                    "arguments": {"parameters": [{"name": "ip", "value": "{{steps.server.ip}}"}]}}]]},
        {"name": "server", "daemon": True, "container": {"image": "busybox", "command": ["sleep", "300"],
                                                          "readinessProbe": {"exec": {"command": ["true"]}}}},
        {"name": "client", "inputs": {"parameters": [{"name": "ip"}]},
         "container": {"image": "busybox", "command": ["echo", "{{inputs.parameters.ip}}"]}}])
    run = api.submit(wf, backend="kubernetes", wait=True, timeout=60)
    nodes = {n["displayName"]: n for n in run.nodes.values()}
    assert run.phase == "Succeeded", nodes
    assert nodes["client"]["outputs"]["result"] == POD_IP          # the pod's IP, not this machine's
    assert nodes["server"]["phase"] == "Succeeded" and nodes["server"]["podIP"] == POD_IP
    assert "daemoned" not in nodes["server"]
    pods = {p["metadata"]["name"]: p for p in sc.validate_pods(kube)}
    assert pods[nodes["server"]["id"]]["spec"]["containers"][0]["readinessProbe"] == {"exec": {"command": ["true"]}}
    # the daemon's pod is deleted when its steps end (killDaemonedChildren), none is left
    assert nodes["server"]["id"] in {r["path"].rsplit("/", 1)[1] for r in kube.calls("DELETE", "/pods/")}
    assert not [k for k in kube.objects if k[0] == "pods"]
