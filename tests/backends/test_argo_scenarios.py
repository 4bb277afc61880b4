"""The ``argo`` backend's remaining scenarios against the API server TEST DOUBLE (``FakeKube``).

``test_argo.py`` covers submit, watch, logs, suspend/resume, stop/terminate/suspend patches, retry,
delete and 403 on create. Here: the seed examples' node tree and logs mirrored exactly (the double
plays Argo's controller by replaying the status a local run produced: Argo's node shape is the
engine's), a failed node's message, and 403 on a control and on the watch.
"""
from __future__ import annotations

import io
import json
import os
import sys
from contextlib import redirect_stdout

import pytest

pytest.importorskip("kubernetes", reason="the kubernetes client is not installed (pip install 'jupyter-flow[kubernetes]')")

from jupyter_flow import api, cli  # noqa: E402
from jupyter_flow.backends.argo.transport import pod_name  # noqa: E402
from jupyter_flow.errors import JupyterFlowError  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
import scenarios as sc  # noqa: E402
from fakekube import Wait  # noqa: E402


def _as_argo(fake, local, logs: dict | None = None, running_first: bool = True):
    """On create, script the Workflow's status as ``local``'s (renamed), pods' logs as its node logs."""
    status = local.to_dict()["status"]
    original = fake.route

    def route(h, method, path, query, body):
        if method == "POST" and path.endswith("/workflows"):
            name = body["metadata"]["name"]
            final = json.loads(json.dumps(status).replace(local.name, name))
            for k in ("progress", "resourcesDuration", "estimatedDuration"):
                final.pop(k, None)
            first = {"phase": "Running", "startedAt": final.get("startedAt"),
                     "nodes": {nid: dict(n, phase="Running") for nid, n in final["nodes"].items()
                               if n["type"] != "Pod"}}
            fake.script = ([first] if running_first else []) + [final]
            for n in final["nodes"].values():
                if n["type"] == "Pod":
                    fake.logs[pod_name(name, n)] = local.logs(n["id"].replace(name, local.name))
        return original(h, method, path, query, body)
    fake.route = route


@pytest.mark.parametrize("example", sc.SEEDS)
def test_seed_examples_mirror_argos_status_as_a_local_run(fake, example):
    local = api.submit(sc.seed(example), backend="local", wait=True, timeout=60)
    _as_argo(fake, local)
    run = api.submit(sc.seed(example), backend="argo", wait=True, timeout=30)
    assert run.phase == "Succeeded"
    assert sc.tree(run) == sc.tree(local)
    assert sc.pod_logs(run) == sc.pod_logs(local)
    drawn = _get_tree(run)
    assert drawn and drawn == _get_tree(local)   # `jupyter-flow get` draws the same tree


def _get_tree(run) -> list[list[str]]:
    """``jupyter-flow get``'s STEP table: glyphs, step and template (pod names and times differ)."""
    out = io.StringIO()
    with redirect_stdout(out):
        cli.main(["get", run.name])
    lines = out.getvalue().replace(run.name, "RUN").splitlines()
    table = lines[next(i for i, ln in enumerate(lines) if ln.startswith("STEP")) + 1:]
    return [ln.split()[:3] for ln in table if ln.strip()]


def test_failure_carries_argos_node_message(fake):
    local = api.submit(sc.FAIL, backend="local", wait=True, timeout=60)
    assert local.phase == "Failed"
    _as_argo(fake, local)
    run = api.submit(sc.FAIL, backend="argo", wait=True, timeout=30)
    assert run.phase == "Failed"
    main = sc.node(run, run.name)
    assert main["phase"] == "Failed" and main["message"] == "Error (exit code 3)"
    assert run.logs(main["id"]) == "oops\n"
    assert sc.tree(run) == sc.tree(local)
    out = io.StringIO()
    with redirect_stdout(out):
        cli.main(["get", run.name])
    assert "Error (exit code 3)" in out.getvalue() and "Failed" in out.getvalue()


def test_forbidden_control_is_a_clear_error(fake):
    original = fake.route

    def route(h, method, path, query, body):
        if method == "POST" and path.endswith("/workflows"):
            fake.script = [{"phase": "Running", "startedAt": "2026-01-01T00:00:00Z", "nodes": {}},
                           Wait(lambda o: bool((o.get("spec") or {}).get("shutdown")), timeout=1),
                           {"phase": "Failed", "finishedAt": "2026-01-01T00:00:05Z"}]
        return original(h, method, path, query, body)
    fake.route = route
    fake.forbid.add("PATCH workflows")
    run = api.submit(sc.seed("hello-world.yaml"), backend="argo")
    sc.until(lambda: run.phase == "Running", what="the run to be Running")
    with pytest.raises(JupyterFlowError) as err:
        run.stop()
    msg = str(err.value)
    assert "forbidden (403)" in msg and "namespace 'jobs'" in msg and "RBAC" in msg and "cannot patch" in msg
    assert run.wait(10) == "Failed"


def test_forbidden_watch_ends_the_run_with_a_clear_error(fake):
    fake.forbid.add("GET workflows")
    run = api.submit(sc.seed("hello-world.yaml"), backend="argo")
    assert run.wait(10) == "Error"
    msg = run.to_dict()["status"]["message"]
    assert "forbidden (403)" in msg and "RBAC" in msg and "get the Workflow" in msg
