"""``sidecars`` off-cluster: processes beside the main container, reachable on 127.0.0.1, killed
when the main container ends; a sidecar that failed by itself fails the pod (inferFailedReason).
Real processes; each test checks the sidecar's whole process group is gone afterwards.
"""
from __future__ import annotations

import pytest

from tests.engine.test_daemon import free_port, group_gone, pgid_of
from tests.engine.workflows import run, wf


@pytest.fixture(autouse=True)
def host_tmp(monkeypatch):
    monkeypatch.setenv("JUPYTER_FLOW_SANDBOX", "off")


def test_main_reaches_its_sidecar_which_is_killed_when_main_ends(tmp_path, flow_home):
    # sidecar-nginx.yaml, with a Python HTTP server for nginx
    port, pidfile = free_port(), tmp_path / "pid"
    main = ("import time, urllib.request\n"
            "for _ in range(200):\n"
            "    try:\n"
            f"        print(urllib.request.urlopen('http://127.0.0.1:{port}/', timeout=2).status); break\n"
            "    except OSError:\n"
            "        time.sleep(0.05)\n")
    doc = wf([{"name": "main", "container": {"image": "python:3.12", "command": ["python3", "-c", main]},
               "sidecars": [{"name": "web", "image": "python:3.12", "command": ["sh", "-c"], "args": [
                   f"echo $$$$ > {pidfile}; sleep 300 & exec python3 -m http.server {port} --bind 127.0.0.1"]}]}])
    r = run(doc)
    node = r.node(r.name)
    assert r.phase == "Succeeded", node.get("message")
    assert node["outputs"]["result"] == "200"
    assert group_gone(pgid_of(pidfile))
    # its own log, beside the pod's (`argo logs` shows the main container's)
    assert "GET / HTTP" in (flow_home / "runs" / r.name / "logs" / f"{node['id']}-web.log").read_text()
    assert "GET / HTTP" not in r.logs(node["id"])


def test_a_sidecar_that_fails_by_itself_fails_the_pod_and_a_killed_one_does_not(tmp_path):
    doc = wf([{"name": "main", "steps": [[{"name": "bad", "template": "bad"}, {"name": "good", "template": "good"}]]},
              {"name": "bad", "container": {"image": "alpine", "command": ["sleep", "0.5"]},
               "sidecars": [{"name": "crash", "image": "alpine", "command": ["sh", "-c", "exit 3"]}]},
              {"name": "good", "container": {"image": "alpine", "command": ["true"]},
               "sidecars": [{"name": "forever", "image": "alpine", "command": ["sleep", "300"]}]}])
    r = run(doc)
    nodes = {n["displayName"]: n for n in r.nodes.values()}
    assert nodes["bad"]["phase"] == "Failed" and nodes["bad"]["message"] == "crash: Error (exit code 3)"
    assert nodes["good"]["phase"] == "Succeeded"


def test_a_sidecar_name_that_is_no_container_name_is_refused():
    doc = wf([{"name": "main", "container": {"image": "alpine", "command": ["true"]},
               "sidecars": [{"name": "../../escape", "image": "alpine", "command": ["true"]}]}])
    r = run(doc)
    assert r.phase == "Error" and "not a valid container name" in r.node(r.name)["message"]


def test_a_sidecar_that_cannot_start_here_ends_the_step_instead_of_hanging():
    # sidecar-nginx.yaml without nginx on this machine: main would poll for ever
    doc = wf([{"name": "main", "container": {"image": "alpine", "command": ["sleep", "300"]},
               "sidecars": [{"name": "nginx", "image": "nginx:1.13", "command": ["no-such-nginx-jf", "-g"]}]}])
    r = run(doc)
    node = r.node(r.name)
    assert r.phase == "Error"
    assert node["message"].startswith("sidecar nginx: ") and "no-such-nginx-jf" in node["message"]


def test_a_daemons_sidecars_live_as_long_as_the_daemon(tmp_path):
    from tests.engine.test_daemon import group_alive
    daemon_pid, sidecar_pid = tmp_path / "daemon", tmp_path / "sidecar"
    check = (f"import os, sys; pgid = int(open({str(sidecar_pid)!r}).read()); os.killpg(pgid, 0); print('alive')")
    doc = wf([{"name": "main", "steps": [[{"name": "server", "template": "server"}], [{"name": "check", "template": "check"}]]},
              {"name": "server", "daemon": True, "container": {
                  "image": "alpine", "command": ["sh", "-c", f"echo $$$$ > {daemon_pid}; exec sleep 300"],
                  "readinessProbe": {"exec": {"command": ["test", "-s", str(sidecar_pid)]}, "periodSeconds": 1}},
               "sidecars": [{"name": "helper", "image": "alpine", "command": [
                   "sh", "-c", f"echo $$$$ > {sidecar_pid}.tmp; mv {sidecar_pid}.tmp {sidecar_pid}; exec sleep 300"]}]},
              {"name": "check", "container": {"image": "python:3.12", "command": ["python3", "-c", check]}}])
    r = run(doc)
    nodes = {n["displayName"]: n for n in r.nodes.values()}
    assert r.phase == "Succeeded", r.to_dict()["status"].get("message")
    assert nodes["check"]["outputs"]["result"] == "alive"      # the sidecar ran while the daemon did
    assert nodes["server"]["phase"] == "Succeeded"
    assert group_gone(pgid_of(daemon_pid)) and group_gone(pgid_of(sidecar_pid))
    assert not group_alive(pgid_of(sidecar_pid))
