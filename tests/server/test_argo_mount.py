"""Argo Server's API mounted by the Jupyter server extension (``<base_url>jupyter-flow/argo/``),
behind Jupyter's auth, over the same store as the panel's REST API."""
from __future__ import annotations

import json

from .helpers import HELLO


async def argo(jp_fetch, *parts, method="GET", body=None):
    kwargs = dict(method=method, raise_error=False)
    if body is not None:
        kwargs["body"] = json.dumps(body)
        kwargs["headers"] = {"Content-Type": "application/json"}
    r = await jp_fetch("jupyter-flow", "argo", "api", "v1", *parts, **kwargs)
    return r.code, json.loads(r.body) if r.body else None


async def test_argo_clients_and_the_panel_see_the_same_runs(jp_fetch, http_server_client, jp_base_url):
    # a run submitted the panel's way is an Argo Workflow in the default namespace
    r = await jp_fetch("jupyter-flow", "api", "runs", method="POST", body=json.dumps({"yaml": HELLO, "wait": True}))
    panel_run = json.loads(r.body)["metadata"]["name"]
    code, listed = await argo(jp_fetch, "workflows", "default")
    assert code == 200, listed
    assert panel_run in [i["metadata"]["name"] for i in listed["items"]]
    code, wf = await argo(jp_fetch, "workflows", "default", panel_run)
    assert code == 200 and wf["status"]["phase"] == "Succeeded"

    # a Workflow created the Argo way is a run the panel lists
    manifest = {"metadata": {"generateName": "via-argo-"}, "spec": {"entrypoint": "main", "templates": [
        {"name": "main", "container": {"image": "busybox", "command": ["true"]}}]}}
    code, created = await argo(jp_fetch, "workflows", "default", method="POST", body={"workflow": manifest})
    assert code == 200, created
    r = await jp_fetch("jupyter-flow", "api", "runs")
    assert created["metadata"]["name"] in [x["name"] for x in json.loads(r.body)["runs"]]

    # streams too: the panel run's log, as grpc-gateway lines
    r = await jp_fetch("jupyter-flow", "argo", "api", "v1", "workflows", "default", panel_run, "log")
    lines = [json.loads(x)["result"] for x in r.body.decode().splitlines() if x.strip()]
    assert [x["content"] for x in lines] == ["hello world"]

    # Argo's error shapes come through the mount too
    code, err = await argo(jp_fetch, "workflows", "default", "no-such-run")
    assert code == 404 and err["code"] == 5
    code, err = await argo(jp_fetch, "archived-workflows")
    assert code == 501 and err["code"] == 12

    # and nothing answers without Jupyter's token
    for method, path, body in (("GET", "workflows/default", None), ("GET", f"workflows/default/{panel_run}", None),
                               ("POST", "workflows/default", json.dumps({"workflow": manifest})),
                               ("DELETE", f"workflows/default/{panel_run}", None)):
        r = await http_server_client.fetch(f"{jp_base_url}jupyter-flow/argo/api/v1/{path}", method=method,
                                           body=body, raise_error=False, allow_nonstandard_methods=True)
        assert r.code in (401, 403), (method, path, r.code)
    code, wf = await argo(jp_fetch, "workflows", "default", panel_run)
    assert code == 200
