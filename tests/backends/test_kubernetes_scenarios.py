"""The ``kubernetes`` backend's scenarios against the API server TEST DOUBLE (``FakeKube``) and its kubelet double.

Real client code (the official ``kubernetes`` package) over real HTTP; the pods' commands really
run (``fakekubelet.ProcessKubelet``: bubblewrap on this machine, no images). The same scenarios
run against a real cluster in ``test_real_cluster.py``.
"""
from __future__ import annotations

import io
import os
import sys
from contextlib import redirect_stdout

import pytest

pytest.importorskip("kubernetes", reason="the kubernetes client is not installed (pip install 'jupyter-flow[kubernetes]')")

from jupyter_flow import api, cli  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
import scenarios as sc  # noqa: E402
from fakekube import FakeKube  # noqa: E402
from fakekubelet import BWRAP, ProcessKubelet  # noqa: E402

pytestmark = pytest.mark.skipif(BWRAP is None, reason="the kubelet test double isolates pods with bwrap (bubblewrap)")


@pytest.fixture
def kube(flow_home, tmp_path, monkeypatch):
    fake = FakeKube()
    fake.kubelet = ProcessKubelet()
    monkeypatch.setenv("KUBECONFIG", str(fake.kubeconfig(tmp_path / "kubeconfig", namespace="jobs")))
    (flow_home / "config.yaml").write_text("kubernetes: {pollInterval: 0.02}\n")
    yield fake
    fake.close()


def _validate_pods(fake):
    kv = pytest.importorskip("kubernetes_validate", reason="pip install kubernetes-validate (test extra)")
    posted = [r["body"] for r in fake.calls("POST", "/api/v1/namespaces/jobs/pods")]
    for pod in posted:
        kv.validate(pod, "1.30", strict=True)
    return posted


@pytest.mark.parametrize("example", sc.SEEDS)
def test_seed_examples_run_as_pods_with_the_local_node_tree(kube, example):
    local = api.submit(sc.seed(example), backend="local", wait=True, timeout=60)
    run = api.submit(sc.seed(example), backend="kubernetes", wait=True, timeout=60)
    assert local.phase == "Succeeded" and run.phase == "Succeeded", run.to_dict()["status"]
    assert sc.tree(run) == sc.tree(local)
    assert sc.pod_logs(run) == sc.pod_logs(local)
    # one Pod per Pod node, named after it, valid against the Kubernetes schema, deleted when done (podGC)
    pods = _validate_pods(kube)
    pod_nodes = {n["id"] for n in run.nodes.values() if n["type"] == "Pod"}
    assert {p["metadata"]["name"] for p in pods} == pod_nodes
    assert all(p["spec"]["containers"][0]["image"] == "busybox" for p in pods)
    assert {r["path"].rsplit("/", 1)[1] for r in kube.calls("DELETE", "/pods/")} == pod_nodes
    assert not [k for k in kube.objects if k[0] == "pods"]


@pytest.mark.parametrize("example", ["output-parameter.yaml", "loops-maps.yaml", "dag-multiroot.yaml",
                                     "exit-code-output-variable.yaml", "continue-on-fail.yaml"])
def test_deterministic_upstream_examples_give_the_local_node_tree(kube, example):
    path = sc.UPSTREAM / example
    if not path.exists():
        pytest.skip(f"upstream example {path} not found (set JUPYTER_FLOW_SHARED)")
    wf = sc.yaml.safe_load(path.read_text())
    local = api.submit(wf, backend="local", wait=True, timeout=60)
    run = api.submit(wf, backend="kubernetes", wait=True, timeout=60)
    assert run.phase == local.phase and sc.tree(run) == sc.tree(local)
    assert sc.pod_logs(run) == sc.pod_logs(local)
    _validate_pods(kube)


def test_logs_stream_while_the_pod_runs_then_stop(kube):
    run = api.submit(sc.LONG, backend="kubernetes")
    # the line is in the node's log while the pod is still running: the log is followed, not read at the end
    sc.until(lambda: "first line" in sc.log_of(run, run.name), what="a streamed line")
    assert sc.node(run, run.name)["phase"] == "Running"
    follows = [r for r in kube.calls("GET", "/log") if r["query"].get("follow") == "true"]
    assert follows and follows[0]["query"]["container"] == "main"
    run.stop()
    assert run.wait(30) == "Failed"
    main = sc.node(run, run.name)
    assert main["phase"] == "Failed" and main["message"] == "workflow shutdown with strategy: Stop"
    assert run.to_dict()["status"]["message"] == "Stopped with strategy 'Stop'"
    deletes = kube.calls("DELETE", f"/pods/{main['id']}")
    assert deletes and deletes[0]["body"] is None and deletes[0]["query"].get("gracePeriodSeconds") == "0"
    assert run.logs(main["id"]) == "first line\n"


def test_suspend_template_while_a_pod_runs_then_resume(kube):
    run = api.submit(sc.SUSPEND, backend="kubernetes")
    sc.until(lambda: sc.node(run, "approve").get("phase") == "Running"
             and "started" in sc.log_of(run, "work"), what="approve waiting, work running")
    assert sc.node(run, "work")["phase"] == "Running"
    assert not kube.calls("POST", "/pods") or all("after" not in r["body"]["metadata"]["annotations"][
        "workflows.argoproj.io/node-name"] for r in kube.calls("POST", "/pods"))
    run.resume()
    assert run.wait(30) == "Succeeded"
    assert [sc.node(run, n)["phase"] for n in ("work", "approve", "after")] == ["Succeeded"] * 3
    assert sc.node(run, "work")["outputs"]["result"] == "started\ndone"
    assert len(kube.calls("POST", "/pods")) == 2   # work and after; a suspend node has no pod


def test_failure_is_argos_message_as_on_the_local_backend(kube):
    local = api.submit(sc.FAIL, backend="local", wait=True, timeout=60)
    run = api.submit(sc.FAIL, backend="kubernetes", wait=True, timeout=60)
    assert run.phase == "Failed"
    main = sc.node(run, run.name)
    assert main["phase"] == "Failed" and main["message"] == "Error (exit code 3)"
    assert main["outputs"]["exitCode"] == "3" and run.logs(main["id"]) == "oops\n"
    assert sc.tree(run) == sc.tree(local)


def test_retry_of_a_failed_run_replaces_only_the_failed_pod(kube, flow_home, tmp_path):
    (flow_home / "config.yaml").write_text("kubernetes: {pollInterval: 0.02, podGC: OnPodSuccess}\n")
    shared = tmp_path / "shared"
    shared.mkdir()
    wf = sc.retry_workflow({"hostPath": {"path": str(shared), "type": "Directory"}})
    run = api.submit(wf, backend="kubernetes", wait=True, timeout=60)
    assert run.phase == "Failed" and sc.node(run, "flaky")["message"] == "Error (exit code 1)"
    flaky = sc.node(run, "flaky")["id"]
    assert ("pods", "jobs", flaky) in kube.objects          # podGC OnPodSuccess keeps the failed pod
    (shared / "ok").write_text("")
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(["retry", run.name, "--wait"]) == 0, out.getvalue()
    run = api.get(run.name)
    assert run.phase == "Succeeded" and sc.node(run, "flaky")["outputs"]["result"] == "recovered"
    posts = [r["body"]["metadata"]["name"] for r in kube.calls("POST", "/pods")]
    assert posts.count(sc.node(run, "ok")["id"]) == 1   # ok kept, not re-run
    # flaky: created; on retry 409 (the kept pod), which is deleted (as argo retry does), then created again
    assert posts.count(flaky) == 3
    flaky_calls = [(r["method"], r["query"].get("gracePeriodSeconds")) for r in kube.requests
                   if r["path"].endswith(f"/pods/{flaky}") and r["method"] == "DELETE"]
    assert flaky_calls == [("DELETE", "0"), ("DELETE", None)]   # the old pod replaced; the new one by podGC
    _validate_pods(kube)


@pytest.mark.parametrize("forbidden,what", [("POST pods", "create its Pod"), ("GET pods", "read its Pod")])
def test_forbidden_names_the_step_and_rbac(kube, forbidden, what):
    kube.forbid.add(forbidden)
    run = api.submit(sc.seed("steps.yaml"), backend="kubernetes", wait=True, timeout=60)
    assert run.phase in ("Error", "Failed")
    msg = sc.node(run, "hello1")["message"]
    assert msg.startswith("step 'hello1': backend 'kubernetes': " + what), msg
    assert "forbidden (403)" in msg and "namespace 'jobs'" in msg and "RBAC" in msg and "rolebinding" in msg
    assert 'cannot ' + forbidden.split()[0].lower() + ' resource "pods"' in msg


def test_env_from_secrets_and_fields_goes_into_the_pod(kube):
    env = [{"name": "PLAIN", "value": "p"},
           {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "token"}}},
           {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}]
    wf = sc.wf("env", [sc.sh("main", "echo $PLAIN", env=env)])
    local = api.submit(wf, backend="local", wait=True, timeout=60)
    assert local.phase == "Error" and "needs a cluster" in sc.node(local, local.name)["message"]
    run = api.submit(wf, backend="kubernetes", wait=True, timeout=60)
    assert run.phase == "Succeeded", sc.node(run, run.name)
    (pod,) = _validate_pods(kube)
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
    (pod,) = _validate_pods(kube)
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
    (pod,) = _validate_pods(kube)
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
