"""The kubernetes and argo scenarios against a REAL cluster: run only when JUPYTER_FLOW_TEST_KUBECONFIG is set.

The same workflows as the test-double modules (``scenarios.py``): seed examples (node tree, logs),
streamed logs + stop, a suspend template while a pod runs, failure, retry, 403 and a resource
template. The ``kubernetes`` backend always; ``argo`` when the Workflow CRD is served (otherwise
skipped with that reason). Pods pull ``busybox``. See README.md, "Other backends", for kind/k3d.

Environment: ``JUPYTER_FLOW_TEST_KUBECONFIG`` (a kubeconfig with rights to create pods, configmaps,
service accounts and workflows in the namespace), ``JUPYTER_FLOW_TEST_NAMESPACE`` (default ``argo``,
where Argo's quick-start gives the default service account what its executor needs).
"""
from __future__ import annotations

import os
import sys
import uuid

import pytest

KUBECONFIG = os.environ.get("JUPYTER_FLOW_TEST_KUBECONFIG", "")
pytestmark = pytest.mark.skipif(not KUBECONFIG, reason="needs a real cluster: set JUPYTER_FLOW_TEST_KUBECONFIG to its "
                                "kubeconfig (see README.md, Other backends)")
if KUBECONFIG:
    pytest.importorskip("kubernetes", reason="pip install 'jupyter-flow[kubernetes]'")

from jupyter_flow import api  # noqa: E402
from jupyter_flow.errors import JupyterFlowError  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
import scenarios as sc  # noqa: E402

NAMESPACE = os.environ.get("JUPYTER_FLOW_TEST_NAMESPACE", "argo")
TIMEOUT = 300


def _client():
    from kubernetes import client, config
    return client, config.new_client_from_config(config_file=KUBECONFIG)


def _argo_installed() -> bool:
    from kubernetes.client.exceptions import ApiException
    client, api_client = _client()
    try:
        client.CustomObjectsApi(api_client).list_namespaced_custom_object("argoproj.io", "v1alpha1", NAMESPACE,
                                                                          "workflows", limit=1)
        return True
    except ApiException as exc:
        if exc.status == 404:
            return False
        raise


@pytest.fixture(params=["kubernetes", "argo"])
def backend(request, flow_home, monkeypatch):
    if request.param == "argo" and not _argo_installed():
        pytest.skip("Argo Workflows is not installed in this cluster (no workflows.argoproj.io in "
                    f"namespace {NAMESPACE!r})")
    monkeypatch.setenv("KUBECONFIG", KUBECONFIG)
    (flow_home / "config.yaml").write_text(f"kubernetes: {{namespace: {NAMESPACE}, pollInterval: 0.5}}\n"
                                           f"argo: {{namespace: {NAMESPACE}}}\n")
    runs = []
    yield request.param, runs
    for run in runs:   # leave nothing behind in the cluster
        try:
            if not run.finished:
                run.terminate()
                run.wait(60)
            if request.param == "argo":
                run.delete()
        except JupyterFlowError:
            pass


def _submit(backend, workflow, **kw):
    name, runs = backend
    run = api.submit(workflow, backend=name, **kw)
    runs.append(run)
    return run


@pytest.mark.parametrize("example", sc.SEEDS)
def test_seed_examples(backend, example):
    local = api.submit(sc.seed(example), backend="local", wait=True, timeout=60)
    run = _submit(backend, sc.seed(example), wait=True, timeout=TIMEOUT)
    assert run.phase == "Succeeded", run.to_dict()["status"]
    assert sc.shape(run) == sc.shape(local)
    if backend[0] == "kubernetes":   # the engine is ours: everything matches, outputs too
        assert sc.tree(run) == sc.tree(local)
    assert sc.pod_logs(run) == sc.pod_logs(local)


def test_logs_stream_then_stop(backend):
    run = _submit(backend, sc.LONG)
    sc.until(lambda: "first line" in sc.log_of(run, run.name), timeout=TIMEOUT, what="a streamed line")
    assert sc.node(run, run.name)["phase"] == "Running"
    run.stop()
    assert run.wait(TIMEOUT) == "Failed"
    assert "Stop" in run.to_dict()["status"]["message"]


def test_suspend_template_while_a_pod_runs(backend):
    run = _submit(backend, sc.SUSPEND)
    sc.until(lambda: sc.node(run, "approve").get("phase") == "Running" and "started" in sc.log_of(run, "work"),
             timeout=TIMEOUT, what="approve waiting while work runs")
    run.resume()
    assert run.wait(TIMEOUT) == "Succeeded"
    assert [sc.node(run, n)["phase"] for n in ("work", "approve", "after")] == ["Succeeded"] * 3


def test_failure(backend):
    run = _submit(backend, sc.FAIL, wait=True, timeout=TIMEOUT)
    assert run.phase == "Failed"
    main = sc.node(run, run.name)
    assert main["phase"] == "Failed" and main["message"] == "Error (exit code 3)"
    assert "oops" in run.logs(main["id"])


def test_retry(backend):
    client, api_client = _client()
    core = client.CoreV1Api(api_client)
    cm = f"jf-retry-{uuid.uuid4().hex[:8]}"
    run = _submit(backend, sc.retry_workflow({"configMap": {"name": cm, "optional": True}}), wait=True,
                  timeout=TIMEOUT)
    try:
        assert run.phase == "Failed" and sc.node(run, "flaky")["phase"] == "Failed"
        core.create_namespaced_config_map(NAMESPACE, {"metadata": {"name": cm}, "data": {"ok": "yes"}})
        new = run.retry(wait=True)
        assert new.phase == "Succeeded" and sc.node(new, "ok")["phase"] == "Succeeded"
        assert "recovered" in sc.log_of(new, "flaky")
    finally:
        core.delete_namespaced_config_map(cm, NAMESPACE, _preload_content=False)


def test_forbidden_is_a_clear_error(backend, tmp_path, monkeypatch):
    """A service account without any RBAC: 403 from the real API server."""
    client, api_client = _client()
    core = client.CoreV1Api(api_client)
    sa = f"jf-norbac-{uuid.uuid4().hex[:8]}"
    core.create_namespaced_service_account(NAMESPACE, {"metadata": {"name": sa}})
    try:
        token = core.create_namespaced_service_account_token(sa, NAMESPACE, {"spec": {"expirationSeconds": 600}})
        conf = api_client.configuration
        cluster = {"server": conf.host}
        if conf.ssl_ca_cert:
            cluster["certificate-authority"] = conf.ssl_ca_cert
        else:
            cluster["insecure-skip-tls-verify"] = True
        import json
        path = tmp_path / "norbac"
        path.write_text(json.dumps({"apiVersion": "v1", "kind": "Config", "current-context": "c",
                                    "clusters": [{"name": "c", "cluster": cluster}],
                                    "users": [{"name": "u", "user": {"token": token.status.token}}],
                                    "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}]}))
        monkeypatch.setenv("KUBECONFIG", str(path))
        if backend[0] == "argo":
            with pytest.raises(JupyterFlowError) as err:
                _submit(backend, sc.seed("hello-world.yaml"))
            msg = str(err.value)
        else:
            run = _submit(backend, sc.seed("hello-world.yaml"), wait=True, timeout=TIMEOUT)
            msg = sc.node(run, run.name)["message"]
            assert msg.startswith(f"step {run.name!r}: ")
        assert "forbidden (403)" in msg and f"namespace {NAMESPACE!r}" in msg and "RBAC" in msg
    finally:
        core.delete_namespaced_service_account(sa, NAMESPACE, _preload_content=False)


def test_resource_template_on_the_kubernetes_backend(backend):
    if backend[0] != "kubernetes":
        pytest.skip("resource templates on argo are Argo's own executor's business")
    cm = f"jf-res-{uuid.uuid4().hex[:8]}"
    manifest = f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {cm}}}\ndata: {{some: value}}\n"
    wf = sc.wf("res", [{"name": "main", "steps": [[{"name": "create", "template": "create"}],
                                                   [{"name": "get", "template": "get"}],
                                                   [{"name": "delete", "template": "delete"}]]},
                       {"name": "create", "resource": {"action": "create", "manifest": manifest}},
                       {"name": "get", "resource": {"action": "get", "manifest": manifest,
                                                    "successCondition": "data.some == value"},
                        "outputs": {"parameters": [{"name": "uid", "valueFrom": {"jsonPath": "{.metadata.uid}"}}]}},
                       {"name": "delete", "resource": {"action": "delete", "manifest": manifest}}])
    run = _submit(backend, wf, wait=True, timeout=TIMEOUT)
    assert run.phase == "Succeeded", run.to_dict()["status"]
    assert sc.node(run, "get")["outputs"]["parameters"][0]["value"]
