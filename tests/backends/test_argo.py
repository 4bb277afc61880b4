"""The argo backend against a fake Kubernetes API over real HTTP, with the real kubernetes client."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from contextlib import redirect_stdout

import pytest

pytest.importorskip("kubernetes", reason="the kubernetes client is not installed (pip install 'jupyter-flow[kubernetes]')")

from jupyter_flow import api, spec  # noqa: E402
from jupyter_flow.backends import argo  # noqa: E402
from jupyter_flow.backends.argo.transport import pod_name  # noqa: E402
from jupyter_flow.errors import JupyterFlowError, SpecError  # noqa: E402
from jupyter_flow.runset import select  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from fakekube import Wait  # noqa: E402

WF = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "approve-"},
      "spec": {"entrypoint": "main", "templates": [
          {"name": "main", "steps": [[{"name": "hello", "template": "hello"}],
                                     [{"name": "approve", "template": "approve"}]]},
          {"name": "hello", "container": {"image": "busybox", "command": ["echo", "hello world"],
                                          "resources": {"limits": {"memory": "32Mi"}}}},
          {"name": "approve", "suspend": {}}]}}


def _nodes(name, *, hello="Succeeded", approve=None, root="Running"):
    nid = lambda n: f"{name}-{abs(hash(n)) % 10**9}"  # noqa: E731
    nodes = {name: {"id": name, "name": name, "displayName": name, "type": "Steps", "templateName": "main",
                    "phase": root, "startedAt": "2026-01-01T00:00:00Z", "children": [nid("[0]")]},
             nid("[0]"): {"id": nid("[0]"), "name": f"{name}[0]", "displayName": "[0]", "type": "StepGroup",
                          "phase": "Succeeded" if hello == "Succeeded" else "Running", "boundaryID": name,
                          "children": [nid("hello")], "startedAt": "2026-01-01T00:00:00Z"},
             nid("hello"): {"id": nid("hello"), "name": f"{name}[0].hello", "displayName": "hello", "type": "Pod",
                            "templateName": "hello", "phase": hello, "boundaryID": name,
                            "startedAt": "2026-01-01T00:00:01Z",
                            **({"outputs": {"result": "hello world", "exitCode": "0"},
                                "finishedAt": "2026-01-01T00:00:03Z"} if hello == "Succeeded" else {})}}
    if approve:
        nodes[nid("approve")] = {"id": nid("approve"), "name": f"{name}[1].approve", "displayName": "approve",
                                 "type": "Suspend", "templateName": "approve", "phase": approve, "boundaryID": name,
                                 "startedAt": "2026-01-01T00:00:04Z"}
    return nodes


def test_submit_follow_logs_and_resume_like_argo(fake):
    def script_for(name):
        return [
            {"phase": "Running", "startedAt": "2026-01-01T00:00:00Z", "nodes": _nodes(name, hello="Running")},
            {"phase": "Running", "nodes": _nodes(name, approve="Running")},
            Wait(lambda o: any(n.get("displayName") == "approve" and n.get("phase") == "Succeeded"
                               for n in ((o.get("status") or {}).get("nodes") or {}).values())),
            {"phase": "Succeeded", "finishedAt": "2026-01-01T00:00:09Z",
             "nodes": _nodes(name, approve="Succeeded", root="Succeeded")},
        ]
    # the script is known once the name is: install it when the create request arrives
    original_route = fake.route

    def route(h, method, path, query, body):
        if method == "POST" and path.endswith("/workflows"):
            name = body["metadata"]["name"]
            fake.script = script_for(name)
            hello = _nodes(name)[[k for k, n in _nodes(name).items() if n["displayName"] == "hello"][0]]
            fake.logs[pod_name(name, hello)] = "hello world\nsecond line\n"
        return original_route(h, method, path, query, body)
    fake.route = route

    run = api.submit(WF, backend="argo")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if any(n.get("displayName") == "approve" and n.get("phase") == "Running" for n in run.nodes.values()):
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"suspend node never seen: {run.to_dict()['status']} {[(r['method'], r['path']) for r in fake.requests][:6]}")
    run.resume()
    assert run.wait(20) == "Succeeded"

    # what was sent: one Workflow, valid against Argo's schema, in the configured namespace
    posts = fake.calls("POST", "/apis/argoproj.io/v1alpha1/namespaces/jobs/workflows")
    assert len(posts) == 1
    sent = posts[0]["body"]
    assert sent == argo.manifest(dict(WF, metadata={"name": run.name}), {"namespace": "jobs"})
    assert [e for e in spec.validate(spec.load(sent)[0]) if e.severity == "error"] == []
    assert posts[0]["auth"] == "Bearer t0ken"
    watches = [r for r in fake.calls("GET", "/workflows") if r["query"].get("watch")]
    assert watches and watches[0]["query"]["fieldSelector"] == f"metadata.name={run.name}"
    # resume = GET + PUT of the object with the suspend node Succeeded (ResumeWorkflow)
    puts = fake.calls("PUT", f"/workflows/{run.name}")
    assert len(puts) == 1
    approve = [n for n in puts[0]["body"]["status"]["nodes"].values() if n["displayName"] == "approve"][0]
    assert approve["phase"] == "Succeeded" and approve["finishedAt"]
    assert "suspend" not in puts[0]["body"]["spec"]

    # every surface shows it like a local run
    assert run.node("hello")["outputs"]["result"] == "hello world"
    assert run.logs("hello") == "hello world\nsecond line\n"
    assert fake.calls("GET", "/log")[0]["query"]["container"] == "main"
    out = io.StringIO()
    from jupyter_flow import cli
    with redirect_stdout(out):
        assert cli.main(["get", run.name]) == 0
    assert "hello" in out.getvalue() and "approve" in out.getvalue() and "Succeeded" in out.getvalue()
    assert api.get(run.name).phase == "Succeeded"


@pytest.mark.parametrize("action,patch", [("stop", {"spec": {"shutdown": "Stop"}}),
                                          ("terminate", {"spec": {"shutdown": "Terminate"}}),
                                          ("suspend", {"spec": {"suspend": True}})])
def test_control_patches_are_argos(fake, action, patch):
    def route_factory(orig):
        def route(h, method, path, query, body):
            if method == "POST" and path.endswith("/workflows"):
                name = body["metadata"]["name"]
                fake.script = [{"phase": "Running", "startedAt": "2026-01-01T00:00:00Z",
                                "nodes": _nodes(name, hello="Running")},
                               Wait(lambda o: bool((o.get("spec") or {}).get("shutdown") or
                                                   (o.get("spec") or {}).get("suspend"))),
                               {"phase": "Failed", "finishedAt": "2026-01-01T00:00:05Z",
                                "message": "Stopped with strategy 'Stop'",
                                "nodes": _nodes(name, hello="Failed", root="Failed")}]
            return orig(h, method, path, query, body)
        return route
    fake.route = route_factory(fake.route)
    run = api.submit(WF, backend="argo")
    deadline = time.monotonic() + 20
    while run.phase != "Running" and time.monotonic() < deadline:
        time.sleep(0.05)
    getattr(run, action)()
    assert run.wait(20) == "Failed"
    patches = fake.calls("PATCH", f"/workflows/{run.name}")
    assert [p["body"] for p in patches] == [patch]
    assert patches[0]["content_type"].startswith("application/merge-patch+json")
    assert run.to_dict()["status"]["message"] == "Stopped with strategy 'Stop'"


def test_retry_and_delete(fake):
    fake.route = (lambda orig: lambda h, m, p, q, b: (
        setattr(fake, "script", [{"phase": "Failed", "startedAt": "2026-01-01T00:00:00Z",
                                  "finishedAt": "2026-01-01T00:00:02Z",
                                  "nodes": _nodes(b["metadata"]["name"], hello="Failed", root="Failed")}])
        if m == "POST" and p.endswith("/workflows") else None) or orig(h, m, p, q, b))(fake.route)
    run = api.submit(WF, backend="argo", wait=True, timeout=20)
    assert run.phase == "Failed"
    fake.script = [{"phase": "Succeeded", "finishedAt": "2026-01-01T00:00:09Z",
                    "nodes": _nodes(run.name, root="Succeeded")}]
    new = run.retry(wait=True)
    assert new.phase == "Succeeded"
    put = fake.calls("PUT", f"/workflows/{run.name}")[0]["body"]
    assert put["status"]["phase"] == "Running" and put["metadata"]["labels"]["workflows.argoproj.io/completed"] == "false"
    assert all(n["phase"] != "Failed" for n in put["status"]["nodes"].values())
    hello = [n for n in _nodes(run.name).values() if n["displayName"] == "hello"][0]
    assert fake.calls("DELETE", f"/pods/{pod_name(run.name, hello)}")
    api.get(run.name).delete()
    assert fake.calls("DELETE", f"/workflows/{run.name}")
    assert ("workflows", "jobs", run.name) not in fake.objects


def test_forbidden_is_a_clear_error(fake):
    fake.forbid.add("POST workflows")
    with pytest.raises(JupyterFlowError) as err:
        api.submit(WF, backend="argo")
    msg = str(err.value)
    assert "403" in msg and "'jobs'" in msg and "RBAC" in msg and "cannot post" in msg


def test_no_kubeconfig_is_a_clear_error(flow_home, tmp_path, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "nope"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(JupyterFlowError) as err:
        api.submit(WF, backend="argo")
    assert "no Kubernetes configuration found" in str(err.value) and "KUBECONFIG" in str(err.value)
    # the run is recorded as an Error, not left Pending
    assert select()[0].phase == "Error"


def test_dry_run_prints_exactly_what_would_be_sent(flow_home, tmp_path):
    path = tmp_path / "wf.yaml"
    import yaml
    path.write_text(yaml.safe_dump(WF))
    env = dict(os.environ, JUPYTER_FLOW_HOME=str(flow_home))
    out = subprocess.run([sys.executable, "-m", "jupyter_flow.cli", "submit", str(path), "--dry-run", "-o", "yaml",
                          "--backend", "argo", "-p", "x=1"], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    sent = yaml.safe_load(out.stdout)
    assert sent == argo.manifest(api.apply_options(WF, parameters={"x": "1"}), {})
    assert sent["apiVersion"] == "argoproj.io/v1alpha1" and sent["kind"] == "Workflow"
    assert sent["metadata"]["generateName"] == "approve-" and "uid" not in sent["metadata"]
    assert [e for e in spec.validate(spec.load(sent)[0]) if e.severity == "error"] == []
    assert not select()   # nothing was created


CLUSTER_REF = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "tref-"},
               "spec": {"entrypoint": "main", "templates": [{"name": "main", "steps": [[
                   {"name": "call", "templateRef": {"name": "cluster-only", "template": "hello"},
                    "arguments": {"parameters": [{"name": "msg", "value": "hi"}]}}]]}]}}


def test_templates_that_live_on_the_cluster_need_no_local_copy(flow_home, tmp_path):
    """On Argo, templateRef / workflowTemplateRef targets are the cluster's: ``--backend argo``
    (dry run or not) must not require them in the local registry; the local backend does."""
    import yaml
    steps = json.loads(json.dumps(CLUSTER_REF))
    whole = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "wtref-"},
             "spec": {"workflowTemplateRef": {"name": "on-cluster", "clusterScope": True},
                      "arguments": {"parameters": [{"name": "p", "value": "1"}]}}}
    env = dict(os.environ, JUPYTER_FLOW_HOME=str(flow_home))
    for i, doc in enumerate((steps, whole)):
        path = tmp_path / f"wf{i}.yaml"
        path.write_text(yaml.safe_dump(doc))
        out = subprocess.run([sys.executable, "-m", "jupyter_flow.cli", "submit", str(path), "--dry-run", "-o", "yaml",
                              "--backend", "argo"], capture_output=True, text=True, env=env, timeout=60)
        assert out.returncode == 0, out.stderr
        assert yaml.safe_load(out.stdout) == argo.manifest(doc, {})
        local = subprocess.run([sys.executable, "-m", "jupyter_flow.cli", "submit", str(path), "--dry-run"],
                               capture_output=True, text=True, env=env, timeout=60)
        assert local.returncode != 0 and "unknown" in local.stderr and "WorkflowTemplate" in local.stderr
    # the API too: create() for the argo backend validates without the registry
    name, wf = api.create(steps, backend="argo")
    assert wf["spec"]["templates"][0]["steps"][0][0]["templateRef"]["name"] == "cluster-only"
    with pytest.raises(SpecError, match="cluster-only"):
        api.create(steps)
    assert not select(phase="Running")


def test_argo_server_mode_uses_the_rest_api_with_a_bearer_token(flow_home, monkeypatch):
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    import threading
    seen = []
    state = {}

    class H(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def _reply(self, obj):
            data = json.dumps(obj).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append(("POST", self.path, body, self.headers.get("Authorization")))
            wf = body["workflow"]
            wf["metadata"]["resourceVersion"] = "1"
            wf["status"] = {"phase": "Succeeded", "startedAt": "2026-01-01T00:00:00Z",
                            "finishedAt": "2026-01-01T00:00:01Z", "nodes": _nodes(wf["metadata"]["name"], root="Succeeded")}
            state["wf"] = wf
            self._reply(wf)

        def do_GET(self):
            seen.append(("GET", self.path, None, self.headers.get("Authorization")))
            if "/log?" in self.path:
                return self._reply({"result": {"content": "from server", "podName": "p"}})
            self._reply(state["wf"])

    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        (flow_home / "config.yaml").write_text(
            f"backend: argo\nargo: {{server: 'http://127.0.0.1:{srv.server_address[1]}', token: abc, namespace: ns1}}\n")
        run = api.submit(WF, wait=True, timeout=20)
        assert run.phase == "Succeeded"
        assert seen[0][:2] == ("POST", "/api/v1/workflows/ns1") and seen[0][3] == "Bearer abc"
        assert seen[0][2]["workflow"]["metadata"]["name"] == run.name
        assert run.logs("hello").strip() == "from server"
    finally:
        srv.shutdown()
        srv.server_close()


def test_node_set_object_is_argos_update_suspended_node():
    """What `node set` writes into a Workflow on the kube transport (util.updateSuspendedNode)."""
    wf = {"metadata": {"name": "w"}, "status": {"nodes": _nodes("w", approve="Running")}}
    approve = next(n for n in wf["status"]["nodes"].values() if n["displayName"] == "approve")
    approve["outputs"] = {"parameters": [{"name": "answer", "valueFrom": {"supplied": {}}},
                                         {"name": "fixed", "value": "1"}]}
    out = argo.set_node_object(wf, "approve", {"answer": "yes"}, "ok by me", "Failed")
    node = next(n for n in out["status"]["nodes"].values() if n["displayName"] == "approve")
    assert node["phase"] == "Failed" and node["finishedAt"] and node["message"] == "ok by me"
    assert node["outputs"]["parameters"][0] == {"name": "answer", "value": "yes"}   # valueFrom gone: set once
    assert approve["phase"] == "Running"                                           # the input is not changed
    with pytest.raises(JupyterFlowError, match="no suspend nodes matching"):
        argo.set_node_object(out, "approve", {}, "m")                               # no longer waiting
    once = argo.set_node_object(wf, "approve", {"answer": "yes"}, None)
    with pytest.raises(JupyterFlowError, match="already set"):
        argo.set_node_object(once, "approve", {"answer": "again"}, None)
    with pytest.raises(JupyterFlowError, match="because it does not use valueFrom.raw"):
        argo.set_node_object(wf, "approve", {"fixed": "2"}, None)
    with pytest.raises(JupyterFlowError, match="not expecting output parameter 'other'"):
        argo.set_node_object(wf, "approve", {"other": "2"}, None)
    with pytest.raises(JupyterFlowError, match="no suspend nodes matching nodeFieldSelector: displayName=hello"):
        argo.set_node_object(wf, "hello", {}, "m")                                  # a Pod is not a suspend node


def test_a_cluster_status_of_the_wrong_shape_is_taken_in_as_well_formed_nodes(fake):
    """Argo's CRDs do not validate ``status``: whoever may patch a Workflow's status decides what the
    backend reads. Malformed nodes (not a mapping, an id that is not its key, fields of the wrong type, a
    phase Argo has not) are dropped or lose that field; the run still follows to its end, and ``get``, the
    JSON and the lab's picture of it answer."""
    def script_for(name):
        good = _nodes(name, root="Succeeded")
        hello = [k for k, n in good.items() if n["displayName"] == "hello"][0]
        bad = dict(good)
        bad.update({"not-a-map": ["x"], "other-id": {"id": "someone-else", "phase": "Failed"},
                    "int-fields": {"id": "int-fields", "name": 7, "displayName": {"a": 1}, "phase": {"x": 1},
                                   "children": "abc", "outputs": "nope", "startedAt": 12,
                                   "boundaryID": name, "type": "Pod"}})
        bad[hello] = dict(good[hello], children=[1, None, "ok"], phase="<b>Odd</b>")
        return [
            {"phase": {"weird": True}, "startedAt": "not a time", "message": ["m"], "nodes": bad},
            {"phase": "Succeeded", "startedAt": "2026-01-01T00:00:00Z", "finishedAt": "garbage",
             "nodes": bad},
        ]
    original_route = fake.route

    def route(h, method, path, query, body):
        if method == "POST" and path.endswith("/workflows"):
            fake.script = script_for(body["metadata"]["name"])
        return original_route(h, method, path, query, body)
    fake.route = route

    run = api.submit(WF, backend="argo", wait=True, timeout=20)
    assert run.phase == "Succeeded"
    nodes = run.to_dict()["status"]["nodes"]
    assert "not-a-map" not in nodes and "other-id" not in nodes
    odd = nodes["int-fields"]
    assert odd["id"] == "int-fields" and odd["boundaryID"] == run.name and odd["type"] == "Pod"
    assert not ({"name", "displayName", "phase", "children", "outputs", "startedAt"} & set(odd))
    hello = [n for n in nodes.values() if n.get("displayName") == "hello"][0]
    assert hello["children"] == ["ok"] and "phase" not in hello
    from jupyter_flow import render
    from jupyter_flow.server.picture import run_picture
    assert run.name in render.render_get(run.to_dict())
    json.dumps(run.to_dict())
    picture = run_picture(run.to_dict())
    assert picture["graph"]["nodes"]
