"""The REST API over real HTTP (pytest-jupyter's server): routes, auth, XSRF, behaviour."""
from __future__ import annotations

import json
import re
from http.cookies import SimpleCookie
from urllib.parse import quote

from jupyter_flow.server.handlers import API
from jupyter_flow.runset import select
from jupyter_flow.server.manager import ACTIONS

from .helpers import FAIL, HELLO, SLEEP, TYPO

MUTATING = {"post", "put", "patch", "delete"}


def flow_routes(serverapp) -> list[tuple[str, type]]:
    """Every (pattern, handler) the app serves under jupyter-flow/api, found by walking its routers."""
    found: list[tuple[str, type]] = []

    def walk(router):
        for rule in getattr(router, "rules", []):
            if hasattr(rule.target, "rules"):
                walk(rule.target)
            else:
                regex = getattr(rule.matcher, "regex", None)
                if regex is not None and API in regex.pattern:
                    found.append((regex.pattern, rule.target))

    walk(serverapp.web_app.default_router)
    walk(serverapp.web_app.wildcard_router)
    return found


_GROUP = re.compile(r"\(\?P<(\w+)>([^()]*)\)")


def concrete_urls(pattern: str, values: dict[str, str]) -> list[str]:
    """Expand a route regex into real paths (one per alternative of an alternation group)."""
    urls = [pattern.rstrip("$")]
    if urls[0].endswith("/?"):
        urls = [urls[0][:-2]]
    out = []
    while urls:
        url = urls.pop()
        m = _GROUP.search(url)
        if not m:
            out.append(url.replace("\\", ""))
            continue
        name, body = m.group(1), m.group(2)
        choices = body.split("|") if name not in values else [values[name]]
        for choice in choices:
            urls.append(url[:m.start()] + choice + url[m.end():])
    return sorted(out)


def methods(handler: type) -> set[str]:
    return {m for m in ("get", "post", "put", "patch", "delete") if m in handler.__dict__}


async def api(jp_fetch, *parts, method="GET", body=None, **kw):
    kwargs = dict(method=method, raise_error=False, **kw)
    if body is not None or method in ("POST", "PUT", "PATCH"):
        kwargs["body"] = json.dumps(body if body is not None else {})
    r = await jp_fetch("jupyter-flow", "api", *parts, **kwargs)
    data = json.loads(r.body) if r.body and r.headers.get("Content-Type", "").startswith("application/json") else r.body
    return r.code, data


async def submit_wait(jp_fetch, text=HELLO, **extra):
    code, wf = await api(jp_fetch, "runs", method="POST", body={"yaml": text, "wait": True, **extra})
    assert code == 201, wf
    return wf


def pod(wf):
    return next(n for n in wf["status"]["nodes"].values() if n["type"] == "Pod")


# -- routes and auth ----------------------------------------------------------------------------
async def test_routes_cover_the_whole_api(jp_serverapp):
    routes = flow_routes(jp_serverapp)
    table = {(m, p) for p, h in routes for m in methods(h)}
    assert len(routes) == 9, routes
    verbs = {m for m, _ in table}
    assert verbs == {"get", "post", "delete"}
    mutating = [(m, u) for p, h in routes for m in methods(h) & MUTATING
                for u in concrete_urls(p, {"name": "some-run", "node": "n", "key": "k"})]
    # submit, lint, DELETE run (by path and by ?name=), and one POST per action
    assert len(mutating) == 4 + len(ACTIONS), mutating


async def _every_request(serverapp, base_url, name, node):
    base = base_url.rstrip("/")
    for pattern, handler in flow_routes(serverapp):
        for url in concrete_urls(pattern, {"name": name, "node": node, "key": f"{node}/x"}):
            assert url.startswith(base + "/"), (url, base)
            for method in methods(handler):
                yield method.upper(), url


async def test_every_endpoint_refuses_a_request_without_token(jp_fetch, jp_serverapp, http_server_client, jp_base_url):
    wf = await submit_wait(jp_fetch)
    name, node = wf["metadata"]["name"], pod(wf)["id"]
    seen = 0
    async for method, url in _every_request(jp_serverapp, jp_base_url, name, node):
        body = json.dumps({"yaml": HELLO}) if method in ("POST", "PUT") else None
        r = await http_server_client.fetch(url, method=method, body=body, raise_error=False,
                                           allow_nonstandard_methods=True)
        assert r.code == 403, (method, url, r.code)
        seen += 1
    assert seen >= 12
    # nothing happened: the run is still there and no other run was created
    code, data = await api(jp_fetch, "runs")
    assert [r["name"] for r in data["runs"]] == [name]


async def _login_cookies(http_server_client, jp_serverapp, jp_base_url) -> dict[str, str]:
    token = jp_serverapp.identity_provider.token
    cookies: dict[str, str] = {}
    for path in (f"api/status?token={token}", "no-such-page-for-xsrf"):
        r = await http_server_client.fetch(jp_base_url + path, raise_error=False, follow_redirects=False,
                                           headers={"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())})
        for header in r.headers.get_list("Set-Cookie"):
            c = SimpleCookie()
            c.load(header)
            cookies.update({k: m.value for k, m in c.items()})
    assert any(k.startswith("username-") for k in cookies) and "_xsrf" in cookies, cookies
    return cookies


async def test_every_mutation_refuses_a_cookie_login_without_xsrf(jp_fetch, jp_serverapp, http_server_client,
                                                                   jp_base_url):
    wf = await submit_wait(jp_fetch)
    name, node = wf["metadata"]["name"], pod(wf)["id"]
    cookies = await _login_cookies(http_server_client, jp_serverapp, jp_base_url)
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    mutations = 0
    async for method, url in _every_request(jp_serverapp, jp_base_url, name, node):
        body = json.dumps({"yaml": HELLO}) if method in ("POST", "PUT") else None
        r = await http_server_client.fetch(url, method=method, body=body, raise_error=False,
                                           allow_nonstandard_methods=True, headers={"Cookie": cookie})
        if method == "GET":
            assert r.code != 403, (method, url)  # the cookie alone is a login for reading
        else:
            assert r.code == 403, (method, url, r.code)
            mutations += 1
    assert mutations == 4 + len(ACTIONS)
    code, data = await api(jp_fetch, "runs")
    assert [r["name"] for r in data["runs"]] == [name]

    # the same cookie with the XSRF token is accepted
    r = await http_server_client.fetch(jp_base_url + "jupyter-flow/api/lint", method="POST",
                                       body=json.dumps({"yaml": HELLO}), raise_error=False,
                                       headers={"Cookie": cookie, "X-XSRFToken": cookies["_xsrf"]})
    assert r.code == 200, r.body


async def test_a_wrong_token_is_refused(http_server_client, jp_base_url):
    r = await http_server_client.fetch(jp_base_url + "jupyter-flow/api/runs", raise_error=False,
                                       headers={"Authorization": "token not-the-token"})
    assert r.code == 403


# -- behaviour ------------------------------------------------------------------------------------
async def test_list_get_and_filter(jp_fetch):
    code, data = await api(jp_fetch, "runs")
    assert code == 200 and data["runs"] == [] and data["total"] == 0
    ok = await submit_wait(jp_fetch, filename="hello.yaml")
    bad = await submit_wait(jp_fetch, FAIL)
    code, data = await api(jp_fetch, "runs")
    assert [r["name"] for r in data["runs"]] == [bad["metadata"]["name"], ok["metadata"]["name"]]
    code, data = await api(jp_fetch, "runs", params={"phase": "Failed"})
    assert [r["name"] for r in data["runs"]] == [bad["metadata"]["name"]]
    code, data = await api(jp_fetch, "runs", params={"phase": "Nope"})
    assert code == 400
    code, wf = await api(jp_fetch, "runs", ok["metadata"]["name"])
    assert code == 200 and wf["kind"] == "Workflow" and pod(wf)["phase"] == "Succeeded"
    code, data = await api(jp_fetch, "runs", "missing-run")
    assert code == 404 and "not found" in data["message"]


async def test_submit_validation_errors_carry_positions(jp_fetch):
    code, data = await api(jp_fetch, "runs", method="POST", body={"yaml": TYPO, "filename": "typo.yaml"})
    assert code == 422
    assert data["errors"][0]["line"] == 11 and data["errors"][0]["column"] == 5
    code, data = await api(jp_fetch, "runs", method="POST", body={})
    assert code == 400
    r = await jp_fetch("jupyter-flow", "api", "runs", method="POST", body="not json", raise_error=False)
    assert r.code == 400


async def test_debug_endpoint_gives_the_cell_of_a_node(jp_fetch):
    wf = await submit_wait(jp_fetch)
    name, node = wf["metadata"]["name"], pod(wf)
    code, data = await api(jp_fetch, "runs", name, "nodes", node["id"], "debug")
    assert code == 200 and data["node"] == node["id"]
    assert data["code"].startswith("%%bash\n") and "echo 'hello world'" in data["code"]
    code, data = await api(jp_fetch, "runs", name, "nodes", "nope", "debug")
    assert code == 404 and "no node" in data["message"]
    code, data = await api(jp_fetch, "runs", "missing-run", "nodes", node["id"], "debug")
    assert code == 404


async def test_lint_endpoint(jp_fetch):
    code, data = await api(jp_fetch, "lint", method="POST", body={"yaml": TYPO, "filename": "typo.yaml"})
    assert code == 200
    assert [(e["line"], e["column"]) for e in data["errors"]] == [(11, 5)]
    assert data["errors"][0]["text"].startswith("typo.yaml:11:5:")
    code, data = await api(jp_fetch, "lint", method="POST", body={"yaml": HELLO})
    assert data == {"errors": []}


async def test_node_log_and_offsets(jp_fetch):
    wf = await submit_wait(jp_fetch, parameters={})
    name, node = wf["metadata"]["name"], pod(wf)
    code, data = await api(jp_fetch, "runs", name, "nodes", node["id"], "log")
    assert code == 200 and data == {"text": "hello world\n", "start": 0, "offset": 12, "size": 12, "finished": True}
    code, data = await api(jp_fetch, "runs", name, "nodes", node["id"], "log", params={"offset": "6"})
    assert data["text"] == "world\n"
    code, data = await api(jp_fetch, "runs", name, "nodes", node["id"], "log", params={"offset": "x"})
    assert code == 400


async def test_log_follow_is_server_sent_events(jp_fetch):
    code, wf = await api(jp_fetch, "runs", method="POST", body={"yaml": SLEEP.replace("sleep 60", "sleep 1; echo done")})
    name = wf["metadata"]["name"]
    import asyncio
    for _ in range(200):
        code, wf = await api(jp_fetch, "runs", name)
        pods = [n for n in wf["status"].get("nodes", {}).values() if n["type"] == "Pod"]
        if pods:
            break
        await asyncio.sleep(0.05)
    r = await jp_fetch("jupyter-flow", "api", "runs", name, "nodes", pods[0]["id"], "log",
                       params={"follow": "1"}, request_timeout=60)
    assert r.headers["Content-Type"].startswith("text/event-stream")
    text = r.body.decode()
    events = [block for block in text.split("\n\n") if block.strip()]
    logs = "".join(json.loads(b.split("data: ", 1)[1])["text"] for b in events if b.startswith("id:"))
    assert logs == "started\ndone\n"
    assert events[-1].startswith("event: end")


async def test_log_and_artifact_paths_cannot_escape(jp_fetch, flow_home):
    wf = await submit_wait(jp_fetch)
    name, node = wf["metadata"]["name"], pod(wf)["id"]
    (flow_home / "secret.txt").write_text("top secret")
    for parts in ([name, "nodes", quote("../../secret", safe=""), "log"],
                  [name, "nodes", "..", "log"],
                  [name, "artifacts", "..%2F..%2F..%2Fsecret.txt"],
                  [name, "artifacts", quote("../../../secret.txt", safe="")],
                  [name, "artifacts", "%2Fetc%2Fpasswd"],
                  [quote("../x", safe=""), "nodes", node, "log"]):
        r = await jp_fetch("jupyter-flow", "api", "runs", *parts, raise_error=False)
        assert r.code in (400, 403, 404), (parts, r.code)
        assert b"top secret" not in r.body and b"root:" not in r.body


async def test_artifact_download_is_never_active_content(jp_fetch, flow_home):
    wf = await submit_wait(jp_fetch)
    name, node = wf["metadata"]["name"], pod(wf)["id"]
    from jupyter_flow.store import open_store
    root = open_store(flow_home).artifact_dir(name) / node
    root.mkdir(parents=True)
    (root / "page.html").write_text("<script>alert(1)</script>")
    r = await jp_fetch("jupyter-flow", "api", "runs", name, "artifacts", node, "page.html")
    assert r.headers["Content-Type"] == "application/octet-stream"
    assert "sandbox" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    code, listing = await api(jp_fetch, "runs", name, "artifacts", node)
    assert listing["entries"] == ["page.html"]


async def test_actions_over_http(jp_fetch):
    failed = await submit_wait(jp_fetch, FAIL)
    name = failed["metadata"]["name"]
    code, data = await api(jp_fetch, "runs", name, "stop", method="POST")
    assert code == 409
    code, data = await api(jp_fetch, "runs", name, "resubmit", method="POST")
    assert code == 200 and data["name"] != name
    code, data = await api(jp_fetch, "runs", name, "retry", method="POST")
    assert code == 200 and data == {"name": name}
    code, data = await api(jp_fetch, "runs", name, method="DELETE")
    assert code == 200 and data["deleted"]
    code, _ = await api(jp_fetch, "runs", name)
    assert code == 404
    code, _ = await api(jp_fetch, "runs", "whatever", "explode", method="POST")
    assert code == 404


async def test_stop_a_running_run_over_http(jp_fetch):
    import asyncio
    code, wf = await api(jp_fetch, "runs", method="POST", body={"yaml": SLEEP})
    name = wf["metadata"]["name"]
    for _ in range(400):
        code, wf = await api(jp_fetch, "runs", name)
        if any(n["phase"] == "Running" and n["type"] == "Pod" for n in wf["status"].get("nodes", {}).values()):
            break
        await asyncio.sleep(0.05)
    code, data = await api(jp_fetch, "runs", name, "stop", method="POST", body={"message": "enough"})
    assert code == 200
    for _ in range(400):
        code, wf = await api(jp_fetch, "runs", name)
        if wf["status"]["phase"] not in ("Pending", "Running"):
            break
        await asyncio.sleep(0.05)
    assert wf["status"]["phase"] == "Failed"   # Argo: a stopped workflow is Failed


async def test_the_server_runs_the_homes_cron_workflows_while_it_is_up(jp_serverapp):
    """The extension is the cron controller while Jupyter runs (ServerApp `schedule_crons`)."""
    import asyncio
    import threading
    import time

    from jupyter_flow import cron
    store = jp_serverapp.web_app.settings["jupyter_flow_manager"].store
    cron.create({"apiVersion": "argoproj.io/v1alpha1", "kind": "CronWorkflow", "metadata": {"name": "beat"},
                 "spec": {"schedules": ["@every 1s"], "concurrencyPolicy": "Forbid", "workflowSpec": {
                     "entrypoint": "main", "templates": [
                         {"name": "main", "container": {"image": "busybox", "command": ["true"]}}]}}}, store)
    deadline = time.monotonic() + 20
    while not [r for r in select(store=store) if r.name.startswith("beat-")]:
        assert time.monotonic() < deadline, "the server never started the CronWorkflow's run"
        await asyncio.sleep(0.1)
    apps = [ext.app for pkg in jp_serverapp.extension_manager.extensions.values()
            for ext in pkg.extension_points.values() if ext.app is not None and ext.app.name == "jupyter_flow"]
    await apps[0].stop_extension()
    deadline = time.monotonic() + 5
    while any(t.name == "jupyter-flow-cron" and t.is_alive() for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the scheduler outlived the extension"
        await asyncio.sleep(0.05)
    for r in select(store=store):
        r.wait(20)
