"""The container backend against real podman, with a busybox image built here (no pulls)."""
from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from jupyter_flow import api
from jupyter_flow.executors.container import quantity, resource_args

IMAGE = "localhost/jf-busybox:test"
ECHO_IMAGE = "localhost/jf-busybox-echo:test"
PODMAN = ["podman", "--runtime", "runc"]


def _podman_usable() -> str | None:
    if not shutil.which("podman"):
        return "podman is not installed (apt-get install podman runc busybox-static)"
    if not shutil.which("runc"):
        return "runc is not installed (apt-get install runc)"
    busybox = shutil.which("busybox")
    if not busybox:
        return "busybox-static is not installed (apt-get install busybox-static)"
    return None


@pytest.fixture(scope="session")
def busybox_image(tmp_path_factory):
    """A local image made by `podman import` of a busybox rootfs (CMD sh), plus one with an echo ENTRYPOINT."""
    why = _podman_usable()
    if why:
        pytest.skip(why)
    exists = subprocess.run([*PODMAN, "image", "exists", IMAGE]).returncode == 0
    exists_echo = subprocess.run([*PODMAN, "image", "exists", ECHO_IMAGE]).returncode == 0
    if not (exists and exists_echo):
        root = tmp_path_factory.mktemp("rootfs")
        (root / "bin").mkdir()
        (root / "tmp").mkdir()
        (root / "etc").mkdir()
        (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
        shutil.copy(shutil.which("busybox"), root / "bin" / "busybox")
        applets = subprocess.run([str(root / "bin" / "busybox"), "--list"], capture_output=True, text=True).stdout
        for name in applets.split():
            if name != "busybox":
                (root / "bin" / name).symlink_to("busybox")
        tar = subprocess.run(["tar", "-C", str(root), "-c", "."], capture_output=True, check=True).stdout
        for tag, change in ((IMAGE, 'CMD ["/bin/sh"]'), (ECHO_IMAGE, 'ENTRYPOINT ["/bin/echo", "from-entrypoint"]')):
            r = subprocess.run([*PODMAN, "import", "--change", change, "-", tag], input=tar, capture_output=True)
            if r.returncode != 0:
                pytest.skip(f"podman import failed here: {r.stderr.decode()[-300:]}")
    return IMAGE


def _wf(templates, entry="main", name="ctr-"):
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": name},
            "spec": {"entrypoint": entry, "templates": templates}}


def test_quantities_become_runtime_limits():
    assert quantity("500m") == 0.5 and quantity("64Mi") == 64 * 2 ** 20 and quantity("1G") == 1e9
    assert resource_args({"limits": {"cpu": "1500m", "memory": "64Mi"}, "requests": {"cpu": "250m"}}) == [
        "--cpus", "1.5", "--memory", str(64 * 2 ** 20), "--cpu-shares", "256"]
    with pytest.raises(ValueError):
        quantity("lots")


def test_steps_run_in_the_image_with_outputs_inputs_env_workdir_and_logs(busybox_image):
    wf = _wf([
        {"name": "main", "steps": [
            [{"name": "gen", "template": "gen"}],
            [{"name": "use", "template": "use", "arguments": {
                "parameters": [{"name": "msg", "value": "{{steps.gen.outputs.parameters.out}}"}],
                "artifacts": [{"name": "data", "from": "{{steps.gen.outputs.artifacts.data}}"}]}}],
            [{"name": "entry", "template": "entry"}]]},
        {"name": "gen", "container": {
            "image": IMAGE, "command": ["sh", "-c"],
            "args": ["echo hello > /tmp/out.txt; mkdir -p /out; echo art > /out/a.txt; echo to-log >&2; "
                     "test -f /etc/passwd && echo in-image $FOO"],
            "env": [{"name": "FOO", "value": "bar"}],
            "resources": {"limits": {"cpu": "500m", "memory": "64Mi"}}},
         "outputs": {"parameters": [{"name": "out", "valueFrom": {"path": "/tmp/out.txt"}}],
                     "artifacts": [{"name": "data", "path": "/out"}]}},
        {"name": "use", "inputs": {"parameters": [{"name": "msg"}], "artifacts": [{"name": "data", "path": "/in"}]},
         "script": {"image": IMAGE, "command": ["sh"], "workingDir": "/work/dir",
                    "source": 'echo "msg={{inputs.parameters.msg}} art=$(cat /in/a.txt) pwd=$(pwd)"'}},
        {"name": "entry", "container": {"image": ECHO_IMAGE, "args": ["x"]}},
    ])
    run = api.submit(wf, backend="container", wait=True, timeout=120)
    assert run.phase == "Succeeded", run.to_dict()["status"]
    gen, use, entry = run.node("gen"), run.node("use"), run.node("entry")
    assert gen["outputs"]["result"] == "in-image bar"
    assert gen["outputs"]["parameters"][0]["value"] == "hello"
    assert use["outputs"]["result"] == "msg=hello art=art pwd=/work/dir"
    assert entry["outputs"]["result"] == "from-entrypoint x"          # the image's own entrypoint
    assert "to-log" in run.logs("gen") and "in-image bar" in run.logs("gen")
    assert run.logs().count("\n") >= 4
    # the host saw none of the container's paths, and no container is left behind
    assert not Path("/out/a.txt").exists() and not Path("/in").exists()
    left = subprocess.run([*PODMAN, "ps", "-a", "--format", "{{.Names}}"], capture_output=True, text=True).stdout
    assert run.name not in left


def test_missing_image_fails_the_node_naming_step_and_image(busybox_image, flow_home):
    (flow_home / "config.yaml").write_text("backend: container\ncontainer: {pull: Never}\n")
    wf = _wf([{"name": "main", "container": {"image": "localhost/not-here:1", "command": ["true"]}}])
    run = api.submit(wf, wait=True, timeout=60)      # backend from config.yaml
    node = run.node(run.name)
    assert run.phase == "Error" and node["phase"] == "Error"
    assert "'" + run.name + "'" in node["message"] and "localhost/not-here:1" in node["message"]
    assert "not present locally" in node["message"]


def test_image_pull_failure_names_step_and_image(busybox_image):
    wf = _wf([{"name": "main", "container": {"image": "jf-registry.invalid/nothing:1", "command": ["true"]}}])
    run = api.submit(wf, backend="container", wait=True, timeout=120)
    msg = run.node(run.name)["message"]
    assert run.phase == "Error"
    assert "image pull failed" in msg and "jf-registry.invalid/nothing:1" in msg and run.name in msg


def test_missing_runtime_is_a_clear_error(flow_home):
    (flow_home / "config.yaml").write_text("container: {runtime: /nonexistent/podman}\n")
    wf = _wf([{"name": "main", "container": {"image": IMAGE, "command": ["true"]}}])
    run = api.submit(wf, backend="container", wait=True, timeout=30)
    msg = run.node(run.name)["message"]
    assert run.phase == "Error" and "container runtime" in msg and "apt-get install podman" in msg
    assert repr(run.name) in msg


def test_stop_kills_the_container_and_deadline_too(busybox_image):
    wf = _wf([{"name": "main", "container": {"image": IMAGE, "command": ["sh", "-c"],
                                             "args": ["echo started; sleep 60"]}}])
    run = api.submit(wf, backend="container")
    deadline = time.monotonic() + 30
    while "started" not in run.logs() and time.monotonic() < deadline:
        time.sleep(0.1)
    t0 = time.monotonic()
    run.stop()
    assert run.wait(30) == "Failed"
    assert time.monotonic() - t0 < 15
    assert "shutdown" in run.node(run.name)["message"]
    names = subprocess.run([*PODMAN, "ps", "-a", "--format", "{{.Names}}"], capture_output=True, text=True).stdout
    assert f"jf-{run.name}" not in names

    wf = _wf([{"name": "main", "activeDeadlineSeconds": 1,
               "container": {"image": IMAGE, "command": ["sleep", "60"]}}])
    run = api.submit(wf, backend="container", wait=True, timeout=60)
    assert run.phase == "Failed" and "deadline" in run.node(run.name)["message"]
