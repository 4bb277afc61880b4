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
from fakekubelet import BWRAP  # noqa: E402

from tests.upstream import example as example_path  # noqa: E402

pytestmark = pytest.mark.skipif(BWRAP is None, reason="the kubelet test double isolates pods with bwrap (bubblewrap)")


@pytest.mark.parametrize("example", sc.SEEDS)
def test_seed_examples_run_as_pods_with_the_local_node_tree(kube, example):
    local = api.submit(sc.seed(example), backend="local", wait=True, timeout=60)
    run = api.submit(sc.seed(example), backend="kubernetes", wait=True, timeout=60)
    assert local.phase == "Succeeded" and run.phase == "Succeeded", run.to_dict()["status"]
    assert sc.tree(run) == sc.tree(local)
    assert sc.pod_logs(run) == sc.pod_logs(local)
    # one Pod per Pod node, named after it, valid against the Kubernetes schema, deleted when done (podGC)
    pods = sc.validate_pods(kube)
    pod_nodes = {n["id"] for n in run.nodes.values() if n["type"] == "Pod"}
    assert {p["metadata"]["name"] for p in pods} == pod_nodes
    assert all(p["spec"]["containers"][0]["image"] == "busybox" for p in pods)
    assert {r["path"].rsplit("/", 1)[1] for r in kube.calls("DELETE", "/pods/")} == pod_nodes
    assert not [k for k in kube.objects if k[0] == "pods"]


@pytest.mark.parametrize("example", ["output-parameter.yaml", "loops-maps.yaml", "dag-multiroot.yaml",
                                     "exit-code-output-variable.yaml", "continue-on-fail.yaml"])
def test_deterministic_upstream_examples_give_the_local_node_tree(kube, example):
    path = example_path(example)
    wf = sc.yaml.safe_load(path.read_text())
    local = api.submit(wf, backend="local", wait=True, timeout=60)
    run = api.submit(wf, backend="kubernetes", wait=True, timeout=60)
    assert run.phase == local.phase and sc.tree(run) == sc.tree(local)
    assert sc.pod_logs(run) == sc.pod_logs(local)
    sc.validate_pods(kube)


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
    sc.validate_pods(kube)


@pytest.mark.parametrize("forbidden,what", [("POST pods", "create its Pod"), ("GET pods", "read its Pod")])
def test_forbidden_names_the_step_and_rbac(kube, forbidden, what):
    kube.forbid.add(forbidden)
    run = api.submit(sc.seed("steps.yaml"), backend="kubernetes", wait=True, timeout=60)
    assert run.phase == "Failed"                       # a steps workflow whose step errored
    assert sc.node(run, "hello1")["phase"] == "Error"   # Argo: the pod could not be made (markNodeError)
    msg = sc.node(run, "hello1")["message"]
    assert msg.startswith("step 'hello1': backend 'kubernetes': " + what), msg
    assert "forbidden (403)" in msg and "namespace 'jobs'" in msg and "RBAC" in msg and "rolebinding" in msg
    assert 'cannot ' + forbidden.split()[0].lower() + ' resource "pods"' in msg
