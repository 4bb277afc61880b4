"""Argo Server's routes over HTTP: errors in grpc-gateway's shape, namespaces, selectors, fields,
steering a run (suspend, resume, set, stop, terminate, retry, resubmit), streamed logs, watch."""
from __future__ import annotations

import json
import threading
import time

import pytest
import requests


def wf(name=None, *, steps=None, generate="t-", labels=None, namespace=None):
    meta = {"name": name} if name else {"generateName": generate}
    if labels:
        meta["labels"] = labels
    if namespace:
        meta["namespace"] = namespace
    templates = steps or [{"name": "main", "container": {"image": "busybox", "command": ["echo", "done"]}}]
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": meta,
            "spec": {"entrypoint": "main", "templates": templates}}


APPROVAL = [
    {"name": "main", "steps": [[{"name": "hello", "template": "hello"}], [{"name": "approve", "template": "approve"}],
                               [{"name": "after", "template": "after"}]]},
    {"name": "hello", "container": {"image": "busybox", "command": ["echo", "before"]}},
    {"name": "approve", "suspend": {}, "outputs": {"parameters": [{"name": "ok", "valueFrom": {"supplied": {}}}]}},
    {"name": "after", "container": {"image": "busybox", "command": ["echo", "after"]}},
]
FAIL = [{"name": "main", "container": {"image": "busybox", "command": ["false"]}}]


class Client:
    def __init__(self, server):
        self.base = f"{server.url}/api/v1/"
        self.headers = {"Authorization": f"Bearer {server.token}"}

    def __call__(self, method, path, body=None, *, data=None, **params):
        # no Content-Type for raw bodies, as the argo CLI sends them
        r = requests.request(method, self.base + path, json=body, data=data, params=params, headers=self.headers,
                             timeout=60)
        return r.status_code, (r.json() if r.text.strip() else None)

    def create(self, manifest, namespace="default"):
        code, out = self("POST", f"workflows/{namespace}", {"workflow": manifest})
        assert code == 200, out
        return out["metadata"]["name"]

    def wait(self, name, until, namespace="default", timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            code, out = self("GET", f"workflows/{namespace}/{name}")
            assert code == 200, out
            if until(out):
                return out
            assert time.monotonic() < deadline, out["status"]
            time.sleep(0.1)


@pytest.fixture(scope="module")
def api(server):
    return Client(server)


def done(w):
    return w["status"].get("phase") in ("Succeeded", "Failed", "Error")


def suspended(w):
    return any(n["type"] == "Suspend" and n["phase"] == "Running" for n in (w["status"].get("nodes") or {}).values())


# -- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("method, path, status, code", [
    ("GET", "workflows/default/no-such", 404, 5),
    ("GET", "workflows/default/Bad_Name", 400, 3),
    ("GET", "workflows/Not_A_Namespace", 400, 3),
    ("GET", "workflows/default/a/b/c/d", 404, 5),
    ("GET", "no-such-service", 404, 5),
    ("PATCH", "workflows/default", 501, 12),
    ("DELETE", "workflows/default", 501, 12),
    ("GET", "archived-workflows", 501, 12),
    ("GET", "archived-workflows/some-uid", 501, 12),
    ("GET", "workflow-event-bindings/default", 501, 12),
    ("POST", "events/default/x", 501, 12),
    ("GET", "sensors/default", 501, 12),
    ("GET", "workflow-templates/default/missing", 404, 5),
    ("GET", "cron-workflows/default/missing", 404, 5),
])
def test_errors_in_grpc_gateway_shape(api, method, path, status, code):
    got, body = api(method, path, {} if method in ("POST", "PUT") else None)
    assert got == status, body
    if code is not None:
        assert body["code"] == code and body["message"]


def test_bad_bodies_are_400_not_500(api):
    assert api("POST", "workflows/default", data="{not json")[0] == 400
    assert api("POST", "workflows/default", data="[1]")[0] == 400
    assert api("POST", "workflows/default", data="[" * 100 + "]" * 100)[0] == 400
    assert api("POST", "workflows/default", data=json.dumps({"workflow": {"a": [[[[[[[[]]]]]]]]}}) + " " * 10)[0] == 400
    code, body = api("POST", "workflows/default", {})
    assert code == 400 and "workflow body not specified" in body["message"]
    code, body = api("POST", "workflows/default", data=b'{"workflow": "' + b"x" * (9 << 20) + b'"}')
    assert code in (400, 413)


def test_create_refuses_invalid_taken_and_mismatched(api):
    code, body = api("POST", "workflows/default", {"workflow": wf("bad", steps=[
        {"name": "main", "steps": [[{"name": "a", "template": "nope"}]]}])})
    assert code == 400 and body["code"] == 3 and "nope" in body["message"]
    assert api("GET", "workflows/default/bad")[0] == 404   # nothing stored
    code, body = api("POST", "workflows/default", {"workflow": wf("x", namespace="other")})
    assert code == 400 and "namespace" in body["message"]
    code, body = api("POST", "workflows/default", {"workflow": wf("../../etc")})
    assert code == 400
    name = api.create(wf("once"))
    code, body = api("POST", "workflows/default", {"workflow": wf(name)})
    assert code == 409 and body["code"] == 6
    api.wait(name, done)


def test_server_dry_run_stores_nothing(api):
    code, out = api("POST", "workflows/default", {"workflow": wf("dry"), "serverDryRun": True})
    assert code == 200 and out["metadata"]["name"] == "dry"
    assert api("GET", "workflows/default/dry")[0] == 404


def test_lint(api):
    assert api("POST", "workflows/default/lint", {"workflow": wf("l")})[0] == 200
    code, body = api("POST", "workflows/default/lint", {"workflow": wf("l", steps=[{"name": "other", "suspend": {}}])})
    assert code == 400 and "main" in body["message"]


# -- namespaces, selectors, fields ---------------------------------------------------------------------
def test_namespaces_labels_and_fields(api):
    a = api.create(wf(generate="ns-a-", labels={"team": "data"}), namespace="team-a")
    b = api.create(wf(generate="ns-b-", labels={"team": "ml"}), namespace="team-b")
    api.wait(a, done, namespace="team-a")
    api.wait(b, done, namespace="team-b")
    names = lambda out: [i["metadata"]["name"] for i in out["items"] or []]  # noqa: E731
    assert names(api("GET", "workflows/team-a")[1]) == [a]
    assert set(names(api("GET", "workflows/")[1])) >= {a, b}   # all namespaces
    assert api("GET", f"workflows/team-b/{a}")[0] == 404
    assert api("DELETE", f"workflows/team-b/{a}")[0] == 404
    got = api("GET", "workflows/", **{"listOptions.labelSelector": "team in (ml)"})[1]
    assert names(got) == [b]
    got = api("GET", "workflows/team-a", **{"listOptions.labelSelector": "workflows.argoproj.io/completed=true"})[1]
    assert names(got) == [a]
    got = api("GET", "workflows/", **{"listOptions.fieldSelector": f"metadata.name={b}"})[1]
    assert names(got) == [b]
    code, got = api("GET", "workflows/team-a", fields="items.metadata.name,items.status.phase")
    assert got["items"] == [{"metadata": {"name": a}, "status": {"phase": "Succeeded"}}]
    code, got = api("GET", f"workflows/team-a/{a}", fields="-status.nodes")
    assert "nodes" not in got["status"] and got["status"]["phase"] == "Succeeded"
    assert api("GET", "workflows/team-a", **{"listOptions.labelSelector": "team in x"})[0] == 400


# -- steering -----------------------------------------------------------------------------------------
def test_suspend_resume_set_and_logs(api):
    name = api.create(wf(generate="approve-", steps=APPROVAL))
    api.wait(name, suspended)
    assert api("PUT", f"workflows/default/{name}/suspend", {})[0] == 200
    api.wait(name, lambda w: w["status"].get("suspended") is True)
    # the suspend node waits for its supplied parameter: resuming without it is refused, as Argo does
    code, out = api("PUT", f"workflows/default/{name}/resume", {})
    assert code == 400 and out["code"] == 9 and "'ok'" in out["message"], out
    # set it, then resume the node
    code, out = api("PUT", f"workflows/default/{name}/set", {"nodeFieldSelector": "displayName=approve",
                                                                 "outputParameters": json.dumps({"ok": "yes"})})
    assert code == 200, out
    code, out = api("PUT", f"workflows/default/{name}/resume", {"nodeFieldSelector": "displayName=approve"})
    assert code == 200, out
    final = api.wait(name, done)
    assert final["status"]["phase"] == "Succeeded", final["status"]
    approve = next(n for n in final["status"]["nodes"].values() if n["displayName"] == "approve")
    assert approve["outputs"]["parameters"][0]["value"] == "yes"
    code, out = api("PUT", f"workflows/default/{name}/resume", {})
    assert code == 400 and out["code"] == 9   # completed
    # logs, and one pod's logs by the pod name Argo gives it
    r = requests.get(api.base + f"workflows/default/{name}/log", headers=api.headers, timeout=30)
    entries = [json.loads(x)["result"] for x in r.text.splitlines() if x.strip()]
    assert [e["content"] for e in entries] == ["before", "after"]
    pod = entries[1]["podName"]
    r = requests.get(api.base + f"workflows/default/{name}/{pod}/log", headers=api.headers, timeout=30)
    assert [json.loads(x)["result"]["content"] for x in r.text.splitlines() if x.strip()] == ["after"]
    assert api("GET", f"workflows/default/{name}/log", grep="(")[0] == 400
    # Server-Sent Events, as Argo answers the argo CLI and the UI (Accept: text/event-stream)
    r = requests.get(api.base + f"workflows/default/{name}/log", timeout=30,
                     headers={**api.headers, "Accept": "text/event-stream"})
    assert r.headers["Content-Type"] == "text/event-stream"
    events = [x for x in r.text.split("\n\n") if x]
    assert all(e.startswith("data: ") for e in events), r.text
    assert [json.loads(e[len("data: "):])["result"]["content"] for e in events] == ["before", "after"]


def test_followed_logs_stream_until_the_run_ends(api):
    name = api.create(wf(generate="follow-", steps=APPROVAL))
    api.wait(name, suspended)
    lines: list[str] = []

    def follow():
        with requests.get(api.base + f"workflows/default/{name}/log", headers=api.headers, stream=True, timeout=60,
                          params={"logOptions.follow": "true"}) as r:
            for line in r.iter_lines():
                if line.strip():
                    lines.append(json.loads(line)["result"]["content"])
    t = threading.Thread(target=follow)
    t.start()
    deadline = time.monotonic() + 20
    while "before" not in lines and time.monotonic() < deadline:
        time.sleep(0.05)
    assert lines == ["before"]   # streamed while the run waits
    api("PUT", f"workflows/default/{name}/set", {"nodeFieldSelector": "displayName=approve",
                                                   "outputParameters": json.dumps({"ok": "y"}), "phase": "Succeeded"})
    t.join(30)
    assert not t.is_alive()   # the stream ended with the run
    assert lines == ["before", "after"]


def test_stop_terminate_retry_resubmit_delete(api):
    name = api.create(wf(generate="term-", steps=APPROVAL))
    api.wait(name, suspended)
    assert api("PUT", f"workflows/default/{name}/terminate", {})[0] == 200
    assert api.wait(name, done)["status"]["phase"] == "Failed"
    code, out = api("PUT", f"workflows/default/{name}/resubmit", {})
    assert code == 200 and out["metadata"]["name"] != name
    again = out["metadata"]["name"]
    api.wait(again, suspended)
    assert api("PUT", f"workflows/default/{again}/stop", {"message": "enough"})[0] == 200
    assert api.wait(again, done)["status"]["phase"] == "Failed"

    failing = api.create(wf(generate="fail-", steps=FAIL))
    assert api.wait(failing, done)["status"]["phase"] == "Failed"
    code, out = api("PUT", f"workflows/default/{failing}/retry", {})
    assert code == 200 and out["metadata"]["name"] == failing, out
    assert api.wait(failing, done)["status"]["phase"] == "Failed"

    for n in (name, again, failing):
        assert api("DELETE", f"workflows/default/{n}")[0] == 200
        assert api("GET", f"workflows/default/{n}")[0] == 404


def test_watch_sends_added_modified_and_deleted(api):
    events: list[tuple[str, str, str]] = []
    ready = threading.Event()

    def watch():
        with requests.get(api.base + "workflow-events/watched", headers=api.headers, stream=True, timeout=60,
                          params={"fields": "result.object.metadata.name,result.object.status.phase,result.type"}) as r:
            ready.set()
            for line in r.iter_lines():
                if not line.strip():
                    continue
                ev = json.loads(line)["result"]
                events.append((ev["type"], ev["object"]["metadata"]["name"], ev["object"].get("status", {}).get("phase")))
                if ev["type"] == "DELETED":
                    return
    t = threading.Thread(target=watch, daemon=True)
    t.start()
    ready.wait(10)
    # the run waits at a Suspend step until the watch has sent it as ADDED, so the change to Succeeded
    # is one the watch must send as MODIFIED (an echo step could end before the watch first looked)
    name = api.create(wf(generate="watched-", steps=[{"name": "main", "suspend": {}}]), namespace="watched")
    api.wait(name, suspended, namespace="watched")
    deadline = time.monotonic() + 20
    while not events and time.monotonic() < deadline:
        time.sleep(0.05)
    assert events and events[0][:2] == ("ADDED", name) and events[0][2] != "Succeeded", events
    assert api("PUT", f"workflows/watched/{name}/resume", {})[0] == 200
    api.wait(name, done, namespace="watched")
    time.sleep(0.5)
    api("DELETE", f"workflows/watched/{name}")
    t.join(20)
    assert ("MODIFIED", name, "Succeeded") in events
    assert events[-1][:2] == ("DELETED", name)


# -- templates and cron ------------------------------------------------------------------------------
def test_templates_crud_and_submit_with_options(api):
    tmpl = {"metadata": {"name": "echo-tmpl", "labels": {"kind": "demo"}}, "spec": {
        "entrypoint": "main", "arguments": {"parameters": [{"name": "msg", "value": "default"}]},
        "templates": [{"name": "main", "inputs": {"parameters": [{"name": "msg"}]},
                       "container": {"image": "busybox", "command": ["echo", "{{inputs.parameters.msg}}"]}}]}}
    code, out = api("POST", "workflow-templates/tmpls", {"template": tmpl})
    assert code == 200 and out["metadata"]["namespace"] == "tmpls", out
    assert api("POST", "workflow-templates/tmpls", {"template": tmpl})[1]["code"] == 6
    assert api("GET", "workflow-templates/other/echo-tmpl")[0] == 404
    got = api("GET", "workflow-templates/tmpls", **{"listOptions.labelSelector": "kind=demo"})[1]
    assert [i["metadata"]["name"] for i in got["items"]] == ["echo-tmpl"]
    code, out = api("POST", "workflows/tmpls/submit", {
        "resourceKind": "WorkflowTemplate", "resourceName": "echo-tmpl",
        "submitOptions": {"parameters": ["msg=from-submit"], "labels": "via=submit"}})
    assert code == 200, out
    name = out["metadata"]["name"]
    assert out["metadata"]["labels"]["via"] == "submit"
    api.wait(name, done, namespace="tmpls")
    r = requests.get(api.base + f"workflows/tmpls/{name}/log", headers=api.headers, timeout=30)
    assert [json.loads(x)["result"]["content"] for x in r.text.splitlines()] == ["from-submit"]
    tmpl["spec"]["arguments"]["parameters"][0]["value"] = "changed"
    assert api("PUT", "workflow-templates/tmpls/echo-tmpl", {"template": tmpl})[0] == 200
    got = api("GET", "workflow-templates/tmpls/echo-tmpl")[1]
    assert got["spec"]["arguments"]["parameters"][0]["value"] == "changed"
    code, out = api("POST", "workflow-templates/tmpls/lint", {"template": {"metadata": {"name": "x"},
                                                                           "spec": {"templates": "nope"}}})
    assert code == 400
    assert api("DELETE", "workflow-templates/tmpls/echo-tmpl")[0] == 200
    assert api("GET", "workflow-templates/tmpls/echo-tmpl")[0] == 404

    code, out = api("POST", "cluster-workflow-templates", {"template": dict(tmpl, metadata={"name": "c-tmpl"})})
    assert code == 200, out
    assert "c-tmpl" in [i["metadata"]["name"] for i in api("GET", "cluster-workflow-templates")[1]["items"]]
    code, out = api("POST", "workflows/elsewhere/submit", {"resourceKind": "ClusterWorkflowTemplate",
                                                           "resourceName": "c-tmpl"})
    assert code == 200 and out["metadata"]["namespace"] == "elsewhere"


def test_cron_workflows(api):
    cron = {"metadata": {"name": "every-night"}, "spec": {"schedules": ["0 2 * * *"], "workflowSpec": {
        "entrypoint": "main", "templates": [{"name": "main", "container": {"image": "busybox",
                                                                          "command": ["true"]}}]}}}
    code, out = api("POST", "cron-workflows/default", {"cronWorkflow": cron})
    assert code == 200 and out["metadata"]["name"] == "every-night", out
    assert api("PUT", "cron-workflows/default/every-night/suspend", {})[1]["spec"]["suspend"] is True
    assert api("PUT", "cron-workflows/default/every-night/resume", {})[1]["spec"]["suspend"] is False
    bad = {"metadata": {"name": "bad-cron"}, "spec": {"schedules": ["not a schedule"], "workflowSpec": cron["spec"][
        "workflowSpec"]}}
    assert api("POST", "cron-workflows/default", {"cronWorkflow": bad})[0] == 400
    assert [i["metadata"]["name"] for i in api("GET", "cron-workflows/default")[1]["items"]] == ["every-night"]
    assert api("DELETE", "cron-workflows/default/every-night")[0] == 200
