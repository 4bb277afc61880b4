"""``jupyter-flow cp`` never writes through a link an artifact left in the destination (issue 16.3).

Two artifacts copied into one folder (``--path '{workflowName}'``: the two nodes' ``out`` land in
the same ``out/``): the first holds a link ``x -> <victim>``, the second a directory ``x/`` with
files. ``shutil.copytree(..., dirs_exist_ok=True)`` followed the link and wrote the second
artifact's files into the victim directory, outside the destination, even when the steps ran in a
container that could never reach it. A real run (podman when usable, else the local backend), the
real CLI, a real sentinel directory outside the home.
"""
from __future__ import annotations

import subprocess
import sys

import pytest

from jupyter_flow import api
from jupyter_flow.errors import JupyterFlowError
from jupyter_flow.executors import sandbox as sb

from tests.executors.test_container import IMAGE, busybox_image  # noqa: F401 (a fixture)


def _workflow(victim) -> dict:
    def step(name, cmd):
        return {"name": name, "template": "mk", "arguments": {"parameters": [{"name": "cmd", "value": cmd}]}}
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "cp-links-"},
            "spec": {"entrypoint": "main", "templates": [
                {"name": "main", "steps": [
                    [step("a", f"mkdir -p /out && ln -s {victim} /out/x")],
                    [step("b", "mkdir -p /out/x && echo EVIL > /out/x/keep && echo EVIL > /out/x/new")]]},
                {"name": "mk", "inputs": {"parameters": [{"name": "cmd"}]},
                 "container": {"image": IMAGE, "command": ["sh", "-c", "{{inputs.parameters.cmd}}"]},
                 "outputs": {"artifacts": [{"name": "out", "path": "/out"}]}}]}}


@pytest.fixture
def finished(request, tmp_path, monkeypatch):
    victim = tmp_path / "victim-home"
    victim.mkdir()
    (victim / "keep").write_text("ORIGINAL\n")
    try:
        request.getfixturevalue("busybox_image")
        backend = "container"
    except pytest.skip.Exception:   # the bubblewrap sandbox keeps the steps' /out off the host
        monkeypatch.setenv(sb.ENV_VAR, "auto")
        if sb.available() is None:
            pytest.skip("neither podman nor bubblewrap can run here")
        backend = "local"
    run = api.submit(_workflow(victim), backend=backend, wait=True, timeout=120)
    assert run.phase == "Succeeded", run.phase
    return run, victim


@pytest.mark.parametrize("order", ["link-first", "dir-first"])
def test_cp_into_one_folder_never_writes_through_a_link(finished, tmp_path, order):
    run, victim = finished
    dest = tmp_path / "dest"
    found = run.artifacts()
    # argo cp copies in the order it finds them: try both, the link first is the attack
    if (order == "link-first") != any((a.stored / "x").is_symlink() for a in found[:1]):
        found = list(reversed(found))
    from jupyter_flow.artifacts import copy
    if order == "link-first":
        with pytest.raises(JupyterFlowError, match="is a link"):
            copy(found, dest, workflow=run.name, path="{workflowName}")
    else:
        with pytest.raises(JupyterFlowError, match="is a directory"):   # no link over a directory copied
            copy(found, dest, workflow=run.name, path="{workflowName}")
    assert sorted(p.name for p in victim.iterdir()) == ["keep"]
    assert (victim / "keep").read_text() == "ORIGINAL\n"


def test_the_cli_refuses_with_a_message(finished, tmp_path):
    run, victim = finished
    dest = tmp_path / "dest"
    proc = subprocess.run([sys.executable, "-m", "jupyter_flow.cli", "cp", run.name, str(dest),
                           "--path", "{workflowName}"], capture_output=True, text=True, timeout=120)
    assert (victim / "keep").read_text() == "ORIGINAL\n" and not (victim / "new").exists()
    assert proc.returncode != 0 and "Traceback" not in proc.stderr, proc.stderr


def test_copying_a_tree_with_links_twice_keeps_the_links(finished, tmp_path):
    """The same artifact copied again into its own folder: its links are replaced, not refused."""
    run, victim = finished
    dest = tmp_path / "dest"
    from jupyter_flow.artifacts import copy
    for _ in range(2):
        written = copy(run.artifacts(), dest, workflow=run.name)
    links = [p / "x" for p in written if (p / "x").is_symlink()]
    assert len(links) == 1 and str(links[0].readlink()) == str(victim)
    assert (victim / "keep").read_text() == "ORIGINAL\n"
