"""``daemon: true`` templates with real local daemons (a Python HTTP server, a TCP listener).

Argo's rules (operator.go assessNodeStatus, exec_control.go killDaemonedChildren): the daemon
node is Running with ``daemoned: true`` once ready (its readinessProbe, or at start), later steps
reach it at ``{{steps.NAME.ip}}`` / ``{{tasks.NAME.ip}}``, and it is killed and marked Succeeded
when the steps/DAG node holding it ends. A daemon that ends before it is ready fails its step.
Every test checks that the daemon's whole process group is gone afterwards.
"""
from __future__ import annotations

import os
import socket
import time

import pytest

import jupyter_flow
from tests.engine.workflows import by_name, run, wf


@pytest.fixture(autouse=True)
def host_tmp(monkeypatch):
    """The daemons write their pid under pytest's /tmp: steps see the host's /tmp."""
    monkeypatch.setenv("JUPYTER_FLOW_SANDBOX", "off")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def group_alive(pgid: int) -> bool:
    """Whether a live (not zombie) process is left in process group ``pgid``: a killed orphan is a
    zombie until whatever adopted it reaps it, and ``killpg(pgid, 0)`` still finds that."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def group_gone(pgid: int, within: float = 10.0) -> bool:
    """The group was sent SIGKILL: True once none of it is left. A killed process can still show
    as running until the scheduler gives it the CPU to die (seen on a loaded machine), so this
    waits for that, never for the engine to do anything more."""
    deadline = time.monotonic() + within
    while group_alive(pgid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def server(name, port, pidfile, probe=None, delay=0, extra=""):
    """A daemon: records its process group, leaves a grandchild in it, serves HTTP after ``delay`` s."""
    # `$$$$`: Kubernetes expands `$$` in args to `$` (podenv.expand), so the shell gets `$$`
    script = (f"echo $$$$ > {pidfile}; sleep 300 & {extra} sleep {delay}; "
              f"exec python3 -m http.server {port} --bind 127.0.0.1")
    tmpl = {"name": name, "daemon": True, "container": {"image": "python:3.12", "command": ["sh", "-c"],
                                                         "args": [script]}}
    if probe is not None:
        tmpl["container"]["readinessProbe"] = probe
    return tmpl


def client(name="client"):
    code = ("import sys, urllib.request; "
            "print(urllib.request.urlopen(sys.argv[1], timeout=5).status)")
    return {"name": name, "inputs": {"parameters": [{"name": "url"}]},
            "container": {"image": "python:3.12", "command": ["python3", "-c", code],
                          "args": ["{{inputs.parameters.url}}"]}}


def http_probe(port, **timing):
    return {"httpGet": {"path": "/", "port": port}, "periodSeconds": 1, **timing}


def pgid_of(pidfile) -> int:
    return int(pidfile.read_text().strip())


def test_steps_daemon_ready_by_http_probe_is_reached_then_killed_when_the_steps_end(tmp_path):
    port, pidfile = free_port(), tmp_path / "pid"
    doc = wf([
        {"name": "main", "steps": [
            [{"name": "server", "template": "server"}],
            [{"name": "client", "template": "client",
              "arguments": {"parameters": [{"name": "url", "value": f"http://{{{{steps.server.ip}}}}:{port}/"}]}}]]},
        # the server listens only after 1.5 s: the client can only succeed if the probe held it back
        server("server", port, pidfile, http_probe(port, initialDelaySeconds=1), delay=1.5),
        client()])
    r = run(doc)
    nodes = by_name(r)
    assert r.phase == "Succeeded", r.to_dict()["status"].get("message")
    assert nodes["client"]["outputs"]["result"] == "200"
    assert nodes["client"]["inputs"]["parameters"][0]["value"] == f"http://127.0.0.1:{port}/"
    daemon = nodes["server"]
    assert daemon["phase"] == "Succeeded" and "daemoned" not in daemon
    assert daemon["podIP"] == "127.0.0.1"
    assert daemon["finishedAt"] >= nodes["client"]["finishedAt"]
    assert group_gone(pgid_of(pidfile))


def test_daemon_in_an_inner_steps_template_ends_with_that_template(tmp_path):
    port, pidfile = free_port(), tmp_path / "pid"
    check = (f"import socket, os; s = socket.socket(); "
             f"print('open' if s.connect_ex(('127.0.0.1', {port})) == 0 else 'closed')")
    doc = wf([
        {"name": "main", "steps": [[{"name": "inner", "template": "inner"}],
                                   [{"name": "after", "template": "after"}]]},
        {"name": "inner", "steps": [[{"name": "server", "template": "server"}],
                                    [{"name": "during", "template": "after"}]]},
        server("server", port, pidfile, {"tcpSocket": {"port": port}, "periodSeconds": 1}),
        {"name": "after", "container": {"image": "python:3.12", "command": ["python3", "-c", check]}}])
    r = run(doc)
    nodes = by_name(r)
    assert r.phase == "Succeeded", r.to_dict()["status"].get("message")
    assert nodes["during"]["outputs"]["result"] == "open"
    assert nodes["after"]["outputs"]["result"] == "closed"   # killed when `inner` ended, before `after`
    assert nodes["server"]["phase"] == "Succeeded"
    assert nodes["server"]["finishedAt"] <= nodes["after"]["startedAt"]
    assert group_gone(pgid_of(pidfile))


def test_dag_daemon_task_ip_depends_and_exec_probe(tmp_path):
    port, pidfile, ready = free_port(), tmp_path / "pid", tmp_path / "ready"
    probe = {"exec": {"command": ["test", "-f", str(ready)]}, "periodSeconds": 1}
    doc = wf([
        {"name": "main", "dag": {"tasks": [
            {"name": "server", "template": "server"},
            {"name": "client", "template": "client", "depends": "server",
             "arguments": {"parameters": [{"name": "url", "value": f"http://{{{{tasks.server.ip}}}}:{port}/"}]}},
            {"name": "only-if-daemoned", "template": "client", "depends": "server.Daemoned",
             "arguments": {"parameters": [{"name": "url", "value": f"http://127.0.0.1:{port}/"}]}}]}},
        # ready (the file exists) only once it listens
        server("server", port, pidfile, probe,
               extra=f"(while ! python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", {port}))' "
                     f"2>/dev/null; do sleep 0.1; done; touch {ready}) &"),
        client()])
    r = run(doc)
    nodes = by_name(r)
    assert r.phase == "Succeeded", r.to_dict()["status"].get("message")
    assert nodes["client"]["outputs"]["result"] == "200"
    assert nodes["only-if-daemoned"]["phase"] == "Succeeded"
    assert nodes["server"]["phase"] == "Succeeded" and "daemoned" not in nodes["server"]
    assert group_gone(pgid_of(pidfile))


def test_a_daemon_that_dies_before_it_is_ready_fails_the_step(tmp_path):
    port = free_port()
    doc = wf([
        {"name": "main", "steps": [[{"name": "server", "template": "crash"}, {"name": "ok", "template": "quits"}],
                                   [{"name": "never", "template": "client",
                                     "arguments": {"parameters": [{"name": "url", "value": "x"}]}}]]},
        {"name": "crash", "daemon": True, "container": {
            "image": "alpine", "command": ["sh", "-c", "sleep 0.3; exit 3"],
            "readinessProbe": {"tcpSocket": {"port": port}, "periodSeconds": 1}}},
        # exit 0 before readiness: a daemon is meant to run on, Argo marks it Failed as well
        {"name": "quits", "daemon": True, "container": {
            "image": "alpine", "command": ["sh", "-c", "exit 0"],
            "readinessProbe": {"tcpSocket": {"port": port}, "periodSeconds": 1}}},
        client()])
    r = run(doc)
    nodes = by_name(r)
    assert r.phase == "Failed"
    assert nodes["server"]["phase"] == "Failed" and nodes["server"]["message"] == "Error (exit code 3)"
    assert nodes["ok"]["phase"] == "Failed"
    assert "never" not in nodes
    assert "daemoned" not in nodes["server"]


def test_daemon_without_probe_is_ready_at_start_and_a_retried_daemon_is_daemoned_with_its_retry_node(tmp_path):
    pidfile, pid2 = tmp_path / "pid", tmp_path / "pid2"
    retried = server("retried", free_port(), pid2)
    retried["retryStrategy"] = {"limit": 2}
    doc = wf([
        {"name": "main", "steps": [[{"name": "server", "template": "server"},
                                    {"name": "retried", "template": "retried"}],
                                   [{"name": "next", "template": "next"}]]},
        # no probe and a server that never listens: ready at start all the same
        server("server", free_port(), pidfile, delay=300), retried,
        # both daemons run beside it: it ends once they have both written their pid
        {"name": "next", "container": {"image": "alpine", "command": [
            "sh", "-c", f"while [ ! -s {pidfile} ] || [ ! -s {pid2} ]; do sleep 0.05; done"]}}])
    r = run(doc)
    nodes = by_name(r)
    assert r.phase == "Succeeded", r.to_dict()["status"].get("message")
    assert nodes["server"]["phase"] == "Succeeded" and nodes["next"]["phase"] == "Succeeded"
    retry = nodes["retried"]
    assert retry["type"] == "Retry" and retry["phase"] == "Succeeded" and "daemoned" not in retry
    (attempt,) = [r.nodes[c] for c in retry["children"]]
    assert attempt["phase"] == "Succeeded" and attempt["podIP"] == "127.0.0.1"
    for f in (pidfile, pid2):
        assert group_gone(pgid_of(f))


def test_daemon_nodes_are_running_and_daemoned_while_ready(tmp_path):
    port, pidfile, gate = free_port(), tmp_path / "pid", tmp_path / "gate"
    doc = wf([
        {"name": "main", "steps": [[{"name": "server", "template": "server"}], [{"name": "hold", "template": "hold"}]]},
        server("server", port, pidfile, http_probe(port)),
        {"name": "hold", "container": {"image": "alpine", "command": ["sh", "-c",
                                                                      f"while [ ! -f {gate} ]; do sleep 0.05; done"]}}])
    r = jupyter_flow.submit(doc)
    try:
        deadline = time.time() + 30
        while time.time() < deadline and "hold" not in by_name(r):
            time.sleep(0.05)
        node = by_name(r)["server"]
        assert node["phase"] == "Running" and node["daemoned"] is True and node["podIP"] == "127.0.0.1"
        assert group_alive(pgid_of(pidfile))
    finally:
        gate.write_text("go")
    r.wait(30)
    assert r.phase == "Succeeded"
    assert "daemoned" not in by_name(r)["server"]
    assert group_gone(pgid_of(pidfile))


@pytest.mark.parametrize("how", ["stop", "terminate"])
def test_stop_and_terminate_kill_a_running_daemon(tmp_path, how):
    port, pidfile = free_port(), tmp_path / "pid"
    doc = wf([
        {"name": "main", "steps": [[{"name": "server", "template": "server"}], [{"name": "hold", "template": "hold"}]]},
        server("server", port, pidfile, http_probe(port)),
        {"name": "hold", "container": {"image": "alpine", "command": ["sleep", "300"]}}])
    r = jupyter_flow.submit(doc)
    deadline = time.time() + 30
    while time.time() < deadline and "hold" not in by_name(r):
        time.sleep(0.05)
    assert by_name(r)["server"].get("daemoned") is True
    getattr(r, how)()
    r.wait(30)
    assert r.phase == "Failed"
    # signals_test.go TestStopBehaviorWithDaemon: the daemoned node ends Succeeded
    server_node = by_name(r)["server"]
    assert server_node["phase"] == "Succeeded" and "daemoned" not in server_node
    assert by_name(r)["hold"]["phase"] == "Failed"
    assert group_gone(pgid_of(pidfile))


def test_an_unsupported_probe_errors_before_starting():
    doc = wf([{"name": "main", "daemon": True, "container": {
        "image": "alpine", "command": ["sleep", "300"], "readinessProbe": {"grpc": {"port": 9000}}}}])
    r = run(doc)
    node = r.node(r.name)
    assert r.phase == "Error" and "readinessProbe.grpc is not supported" in node["message"]


def test_a_daemon_that_dies_after_it_was_ready_fails_its_node_but_not_the_finished_group(tmp_path):
    """assessNodeStatus: the dead daemon's node is Failed; the steps already went on, and a Retry
    node around such a daemon stays daemoned until its scope ends (then Succeeded)."""
    steps, pids = [], []
    templates = []
    for name, retry in (("plain", None), ("retried", {"limit": 1})):
        pid, die = tmp_path / f"{name}.pid", tmp_path / f"{name}.die"
        pids.append(pid)
        t = {"name": name, "daemon": True, "container": {"image": "alpine", "command": ["sh", "-c"], "args": [
            f"echo $$$$ > {pid}; while [ ! -f {die} ]; do sleep 0.05; done; exit 7"]}}
        if retry:
            t["retryStrategy"] = retry
        templates.append(t)
        steps.append((pid, die))
    # the next step tells both daemons to end, then waits until the engine has reaped them
    wait = "; ".join(f"while [ ! -s {p} ]; do sleep 0.05; done; touch {d}; "
                     f"while kill -0 $(cat {p}) 2>/dev/null; do sleep 0.05; done" for p, d in steps)
    doc = wf([{"name": "main", "steps": [[{"name": "plain", "template": "plain"},
                                          {"name": "retried", "template": "retried"}],
                                         [{"name": "end-them", "template": "end-them"}]]},
              *templates, {"name": "end-them", "container": {"image": "alpine", "command": ["sh", "-c", wait]}}])
    r = run(doc)
    nodes = by_name(r)
    assert r.phase == "Succeeded", r.to_dict()["status"].get("message")
    assert nodes["plain"]["phase"] == "Failed" and nodes["plain"]["message"] == "Error (exit code 7)"
    assert "daemoned" not in nodes["plain"]
    retry = nodes["retried"]
    (attempt,) = [r.nodes[c] for c in retry["children"]]
    assert attempt["phase"] == "Failed" and attempt["message"] == "Error (exit code 7)"
    assert retry["phase"] == "Succeeded" and "daemoned" not in retry
    for p in pids:
        assert group_gone(pgid_of(p))
