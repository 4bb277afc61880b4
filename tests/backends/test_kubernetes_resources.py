"""``resource`` templates on the ``kubernetes`` backend, with upstream examples, against the API server TEST DOUBLE.

``FakeKube`` stores objects and runs no controllers: a Job's or Workflow's status changes only
when the test sets it (``fake.advance``), which is what the success/failure conditions watch.
"""
from __future__ import annotations

import json
import os
import shutil
import sys

import pytest
import yaml

pytest.importorskip("kubernetes", reason="the kubernetes client is not installed (pip install 'jupyter-flow[kubernetes]')")

from jupyter_flow import api  # noqa: E402
from jupyter_flow.kube.resource import condition, jq_filter, json_path  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
import scenarios as sc  # noqa: E402
from fakekube import FakeKube  # noqa: E402

from tests.upstream import example  # noqa: E402


def upstream(name: str) -> dict:
    return yaml.safe_load(example(name).read_text())


@pytest.fixture
def kube(flow_home, tmp_path, monkeypatch):
    fake = FakeKube()
    monkeypatch.setenv("KUBECONFIG", str(fake.kubeconfig(tmp_path / "kubeconfig", namespace="jobs")))
    (flow_home / "config.yaml").write_text("kubernetes: {pollInterval: 0.02}\n")
    yield fake
    fake.close()


def _created(fake, plural):
    return sc.until(lambda: next((k for k in list(fake.objects) if k[0] == plural), None), what=f"a {plural} object")


@pytest.mark.parametrize("outcome", ["succeeded", "failed"])
def test_k8s_jobs_waits_for_the_conditions_and_outputs_jsonpath_and_jq(kube, outcome):
    run = api.submit(upstream("k8s-jobs.yaml"), backend="kubernetes")
    key = _created(kube, "jobs")
    job = kube.objects[key]
    assert job["metadata"]["name"].startswith("rand-num-") and job["spec"]["completions"] == 3
    kube.advance(key, {"active": 3, "succeeded": 1})   # neither condition holds yet: still waiting
    seen = len(kube.calls("GET", f"/jobs/{key[2]}"))
    sc.until(lambda: len(kube.calls("GET", f"/jobs/{key[2]}")) >= seen + 2, what="the step to re-read the Job")
    assert run.phase == "Running" and run.node(run.name)["phase"] == "Running"
    kube.advance(key, {"succeeded": 3} if outcome == "succeeded" else {"failed": 2})
    if outcome == "failed":
        assert run.wait(30) == "Failed"
        assert run.node(run.name)["message"] == "failure condition 'status.failed > 1' matched"
        return
    assert run.wait(30) == "Succeeded", run.node(run.name)
    node = run.node(run.name)
    params = {p["name"]: p["value"] for p in node["outputs"]["parameters"]}
    assert params["job-name"] == key[2]
    assert json.loads(params["job-obj"]) == kube.objects[key] and "\n" not in params["job-obj"]   # jq -c
    assert kube.calls("GET", "/apis/batch/v1") and kube.calls("POST", "/apis/batch/v1/namespaces/jobs/jobs")
    log = run.logs(node["id"])
    assert f"job.batch/{key[2]} created" in log and "setOwnerReference" in log


def test_k8s_set_owner_reference_creates_the_configmap(kube):
    run = api.submit(upstream("k8s-set-owner-reference.yaml"), backend="kubernetes", wait=True, timeout=30)
    assert run.phase == "Succeeded", run.node(run.name)
    (key,) = [k for k in kube.objects if k[0] == "configmaps"]
    assert key[1] == "jobs" and key[2].startswith("owned-eg-") and kube.objects[key]["data"] == {"some": "value"}


@pytest.mark.parametrize("phase,expected", [("Succeeded", "Succeeded"), ("Error", "Failed")])
def test_k8s_wait_wf_gets_a_workflow_until_its_phase(kube, phase, expected):
    run = api.submit(upstream("k8s-wait-wf.yaml"), backend="kubernetes")
    key = _created(kube, "workflows")
    assert key[2].startswith("sleep-")
    sc.until(lambda: sc.node(run, "wait-wf").get("phase") == "Running", what="wait-wf waiting")
    kube.advance(key, {"phase": phase})   # `in (Failed, Error)` is the failure condition
    assert run.wait(30) == expected
    wait = sc.node(run, "wait-wf")
    assert wait["inputs"]["parameters"][0]["value"] == key[2]        # create-wf's jsonPath output
    if expected == "Failed":
        assert wait["message"] == "failure condition 'status.phase in (Failed, Error)' matched"


def _patch_wf(strategy, manifest, flags=None):
    res = {"action": "patch", "manifest": manifest, **({"mergeStrategy": strategy} if strategy else {}),
           **({"flags": flags} if flags else {})}
    return sc.wf("patch", [{"name": "main", "resource": res}])


@pytest.mark.parametrize("strategy", [None, "merge", "json"])
def test_patch_strategies_like_the_k8s_patch_examples(kube, strategy):
    # the upstream k8s-patch*-pod examples patch the step's own pod, which this backend does not have
    # for a resource step: the same patches, aimed at a ConfigMap the test created
    kube.objects[("configmaps", "jobs", "cm")] = {"apiVersion": "v1", "kind": "ConfigMap",
                                                  "metadata": {"name": "cm", "namespace": "jobs", "annotations": {}}}
    if strategy == "json":   # as k8s-patch-json-pod.yaml: ops plus flags naming the object
        wf = upstream("k8s-patch-json-pod.yaml")
        wf["spec"]["templates"][0]["resource"]["flags"] = ["configmap", "cm"]
    else:
        wf = _patch_wf(strategy, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  annotations: {foo: bar}\n")
    run = api.submit(wf, backend="kubernetes", wait=True, timeout=30)
    assert run.phase == "Succeeded", run.node(run.name)
    assert kube.objects[("configmaps", "jobs", "cm")]["metadata"]["annotations"] == {"foo": "bar"}
    (patch,) = kube.calls("PATCH", "/api/v1/namespaces/jobs/configmaps/cm")
    assert patch["content_type"] == {None: "application/strategic-merge-patch+json",
                                     "merge": "application/merge-patch+json",
                                     "json": "application/json-patch+json"}[strategy]


def test_apply_creates_then_updates_and_delete_ignores_missing(kube):
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: conf}\ndata: {k: '{{workflow.parameters.v}}'}\n"
    wf = sc.wf("apply", [{"name": "main", "resource": {"action": "apply", "manifest": cm}}],
               arguments={"parameters": [{"name": "v", "value": "1"}]})
    assert api.submit(wf, backend="kubernetes", wait=True, timeout=30).phase == "Succeeded"
    assert api.submit(wf, backend="kubernetes", parameters={"v": "2"}, wait=True, timeout=30).phase == "Succeeded"
    assert kube.objects[("configmaps", "jobs", "conf")]["data"] == {"k": "2"}
    delete = sc.wf("delete", [{"name": "main", "resource": {"action": "delete", "manifest": cm}}],
                   arguments={"parameters": [{"name": "v", "value": "x"}]})
    assert api.submit(delete, backend="kubernetes", wait=True, timeout=30).phase == "Succeeded"
    assert ("configmaps", "jobs", "conf") not in kube.objects
    assert api.submit(delete, backend="kubernetes", wait=True, timeout=30).phase == "Succeeded"   # already gone


def test_forbidden_resource_names_the_step_and_rbac(kube):
    kube.forbid.add("POST jobs")
    run = api.submit(upstream("k8s-jobs.yaml"), backend="kubernetes", wait=True, timeout=30)
    msg = run.node(run.name)["message"]
    assert run.phase == "Error" and msg.startswith(f"step {run.name!r}: backend 'kubernetes': create Job: forbidden (403)")
    assert "namespace 'jobs'" in msg and "RBAC" in msg


def test_unknown_kind_and_unsupported_flags_are_clear(kube):
    tfjob = upstream("k8s-resource-log-selector.yaml")
    run = api.submit(tfjob, backend="kubernetes", wait=True, timeout=30)
    assert run.node(run.name)["message"] == (f"step {run.name!r}: the cluster does not serve 'kubeflow.org/v1' "
                                             "(is its CRD installed?)")
    tfjob["spec"]["templates"][0]["resource"]["manifest"] = "apiVersion: batch/v1\nkind: TFJob\nmetadata: {name: x}\n"
    run = api.submit(tfjob, backend="kubernetes", wait=True, timeout=30)
    assert "the cluster has no kind 'TFJob' in 'batch/v1' (is its CRD installed?)" in run.node(run.name)["message"]
    run = api.submit(_patch_wf("merge", "metadata: {}\n", flags=["cm", "x", "--overwrite"]), backend="kubernetes",
                     wait=True, timeout=30)
    assert "understands only [resource, name]" in run.node(run.name)["message"]


def test_conditions_jsonpath_and_jq_semantics():
    obj = {"metadata": {"name": "j", "labels": {"a": "b"}}, "status": {"succeeded": 3, "phase": "Error",
                                                                        "list": [{"n": 1}, {"n": 2}]}}
    assert condition(obj, "status.succeeded > 2, status.phase in (Failed, Error)")
    assert condition(obj, "status.phase = Error") and condition(obj, "status.missing != x")
    assert condition(obj, "status.phase notin (Running)") and condition(obj, "!status.missing")
    assert condition(obj, "metadata.name") and not condition(obj, "status.succeeded < 3")
    assert not condition(obj, "status.phase == Succeeded") and not condition(obj, "status.failed > 0")
    assert json_path(obj, "{.metadata.name}") == "j" and json_path(obj, "{.status.list[*].n}") == "1 2"
    assert json_path(obj, "{.metadata.labels}") == '{"a": "b"}'
    assert jq_filter(obj, ".metadata.name") == "j" and jq_filter(obj, ".status.list[1]") == '{"n":2}'
    if shutil.which("jq"):
        assert jq_filter(obj, "[.status.list[].n] | add") == "3"
