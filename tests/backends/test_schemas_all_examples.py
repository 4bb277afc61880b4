"""Every object the argo/kubernetes backends would send, for every upstream example, against the real schemas.

* kubernetes: the Pod of every leaf template (container, script, each container of a containerSet)
  of every Workflow, WorkflowTemplate, ClusterWorkflowTemplate and CronWorkflow, built without
  running (``dry_run_pods``), validated strictly (unknown fields are errors) against the
  Kubernetes 1.30 OpenAPI schema from ``kubernetes-validate``.
* argo: ``submit --dry-run -o yaml --backend argo``'s object for every upstream Workflow, against
  Argo's schema (``jupyter_flow.spec.validate``).
"""
from __future__ import annotations

import copy
import functools

import pytest
import yaml

from jupyter_flow import api, spec
from jupyter_flow.backends import argo
from jupyter_flow.executors.kubepods import dry_run_pods
from tests.upstream import EXAMPLES as UPSTREAM  # the one corpus location; fails if absent

FILES = sorted(UPSTREAM.glob("**/*.yaml"))
K8S_VERSION = "1.30"


@functools.lru_cache(maxsize=1)
def _all_documents() -> list[tuple[str, dict]]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return [(f"{path.relative_to(UPSTREAM)}#{i}", doc) for path in FILES
            for i, doc in enumerate(yaml.load_all(path.read_text(), Loader=loader)) if isinstance(doc, dict)]


def _documents(kinds: tuple[str, ...]) -> list[tuple[str, dict]]:
    return [(where, copy.deepcopy(doc)) for where, doc in _all_documents() if doc.get("kind") in kinds]


@pytest.fixture(scope="module")
def pod_validator():
    """One strict Pod validator (``kubernetes_validate.validate`` rebuilds it per call: 20 ms each)."""
    kv = pytest.importorskip("kubernetes_validate", reason="pip install kubernetes-validate (test extra)")
    import jsonschema
    from kubernetes_validate.utils import Registry, Resource, schema_contents
    version = [v for v in kv.utils.all_versions() if kv.utils.major_minor(v) <= kv.utils.major_minor(K8S_VERSION)][-1]
    folder = f"kubernetes-json-schema/v{version}-local-strict"
    schema = schema_contents(f"{folder}/pod-v1.json", K8S_VERSION)
    registry = Resource.from_contents(schema) @ Registry()
    registry = Resource.from_contents(schema_contents(f"{folder}/_definitions.json", K8S_VERSION)) @ registry
    validator = jsonschema.validators.Draft202012Validator(schema, registry=registry)
    bad = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"},
           "spec": {"containers": [{"name": "main", "image": "b", "imagee": "typo"}]}}
    assert list(validator.iter_errors(bad)), "the validator must reject unknown fields"
    with pytest.raises(kv.ValidationError):   # and agree with the package's own entry point
        kv.validate(bad, K8S_VERSION, strict=True)
    return validator


def test_every_pod_of_every_upstream_example_is_a_valid_kubernetes_pod(pod_validator):
    checked, failures = 0, []
    docs = _documents(("Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow"))
    for where, doc in docs:
        wspec = doc.get("spec") or {}
        if doc["kind"] == "CronWorkflow":
            wspec = wspec.get("workflowSpec") or {}
        for template, pod in dry_run_pods({"metadata": doc.get("metadata") or {}, "spec": wspec}, "jobs"):
            checked += 1
            errors = [f"{'.'.join(map(str, e.absolute_path))}: {e.message[:160]}" for e in pod_validator.iter_errors(pod)]
            if errors:
                failures.append(f"{where} template {template!r}: {errors[:3]}")
    assert not failures, "\n".join(failures)
    assert len(docs) > 200 and checked > 300   # the corpus was really walked (311 pods from 223 documents)


def test_argo_dry_run_of_every_upstream_workflow_validates_against_argos_schema():
    failures = []
    docs = _documents(("Workflow",))
    for where, doc in docs:
        sent = argo.manifest(api.apply_options(doc), {})
        errors = [str(e) for e in spec.validate(spec.load(sent)[0]) if e.severity == "error"]
        if errors:
            failures.append(f"{where}: {errors[:3]}")
    assert not failures, "\n".join(failures)
    assert len(docs) > 190


def test_dry_run_pods_cover_containers_scripts_and_container_sets():
    wf = {"metadata": {"generateName": "x-"}, "spec": {
        "templateDefaults": {"activeDeadlineSeconds": 30},
        "templates": [{"name": "steps", "steps": [[{"name": "a", "template": "c"}]]},
                      {"name": "c", "container": {"image": "busybox", "command": ["true"]},
                       "podSpecPatch": "{{inputs.parameters.patch}}"},
                      {"name": "s", "script": {"image": "python:3", "command": ["python"], "source": "print(1)"}},
                      {"name": "set", "containerSet": {"containers": [
                          {"name": "one", "image": "busybox", "resources": {"limits": {"cpu": "1"}}},
                          {"name": "two", "image": "busybox"}]}}]}}
    pods = dry_run_pods(wf)
    assert [t for t, _ in pods] == ["c", "s", "set", "set"]
    assert pods[1][1]["spec"]["containers"][0]["args"] == ["-c", "print(1)"]
    assert pods[2][1]["spec"]["containers"][0]["resources"] == {"limits": {"cpu": "1"}}   # its own container's
    assert "resources" not in pods[3][1]["spec"]["containers"][0]
    assert all(p["spec"]["activeDeadlineSeconds"] == 30 for _, p in pods)
