"""Hostile step paths (issue 16.3): artifact paths with ``..``, hostPath volumes, symlinks out of
a step's outputs. Each runs a real workflow with the sandbox on, off, and (real podman) with
``--backend container``; a real sentinel file outside the jupyter-flow home must be untouched
and the step must error, naming itself and the path.

The hostile path arrives through a parameter, as it would from a form or ``-p``: lint reports a
``..`` written in the YAML (tests/spec/test_lint_paths.py), a substituted one only shows at run
time.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from jupyter_flow import api
from jupyter_flow.executors import sandbox as sb

from tests.executors.test_container import IMAGE, busybox_image  # noqa: F401 (a fixture)

UP = "/.." * 40   # more '..' than any staging directory is deep: the old join reached the host's /
MODES = ["sandbox", "no-sandbox", "container"]


@pytest.fixture
def victim(tmp_path):
    """A directory outside the jupyter-flow home holding a sentinel, as ~ holds .bashrc."""
    home = tmp_path / "victim-home"
    home.mkdir()
    (home / ".bashrc").write_text("ORIGINAL\n")
    return home


@pytest.fixture(params=MODES)
def mode(request, monkeypatch):
    if request.param == "sandbox":
        if not shutil.which("bwrap"):
            pytest.skip("bubblewrap is not installed")
        monkeypatch.setenv(sb.ENV_VAR, "auto")
        if sb.available() is None:
            pytest.skip("bubblewrap cannot run here")
    elif request.param == "no-sandbox":
        monkeypatch.setenv(sb.ENV_VAR, "off")
    else:
        request.getfixturevalue("busybox_image")
    return request.param


def _submit(mode: str, templates: list, params: dict, volumes: list | None = None):
    spec = {"entrypoint": "main", "templates": templates,
            "arguments": {"parameters": [{"name": k, "value": v} for k, v in params.items()]}}
    if volumes:
        spec["volumes"] = volumes
    wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "paths-"},
          "spec": spec}
    backend = "container" if mode == "container" else "local"
    return api.submit(wf, backend=backend, wait=True, timeout=120)


def _image(mode: str) -> str:
    return IMAGE if mode == "container" else "busybox"


def _untouched(victim: Path, *extra: str) -> None:
    assert (victim / ".bashrc").read_text() == "ORIGINAL\n"
    assert sorted(p.name for p in victim.iterdir()) == [".bashrc"], list(victim.iterdir())


def test_an_input_artifact_path_with_dotdot_is_refused_and_writes_nothing(mode, victim):
    target = UP + str(victim / ".bashrc")
    run = _submit(mode, [{
        "name": "main", "inputs": {"parameters": [{"name": "p"}],
                                   "artifacts": [{"name": "rc", "path": "{{inputs.parameters.p}}",
                                                  "raw": {"data": "PWNED\n"}}]},
        "container": {"image": _image(mode), "command": ["sh", "-c", "true"]}}], {"p": target})
    node = run.node(run.name)
    assert node["phase"] == "Error", node
    assert run.name in node["message"] and target in node["message"] and "'..'" in node["message"]
    _untouched(victim)


def test_an_output_artifact_path_with_dotdot_is_refused_and_copies_nothing_out(mode, victim):
    inside = str(victim / "dropped")     # where the step writes, in its own filesystem
    target = UP + inside
    run = _submit(mode, [{
        "name": "main", "inputs": {"parameters": [{"name": "p"}, {"name": "q"}]},
        "container": {"image": _image(mode), "command": ["sh", "-c"],
                      "args": [f"mkdir -p {victim} 2>/dev/null; echo PWNED > {inside} 2>/dev/null; true"]},
        "outputs": {"artifacts": [{"name": "out", "path": "{{inputs.parameters.p}}"}],
                    "parameters": [{"name": "rc", "valueFrom": {"path": "{{inputs.parameters.q}}"}}]}}],
        {"p": target, "q": UP + str(victim / ".bashrc")})
    node = run.node(run.name)
    assert node["phase"] == "Error", node
    assert run.name in node["message"] and "'..'" in node["message"]
    _untouched(victim)
    assert "ORIGINAL" not in str(node.get("outputs"))


def test_a_working_dir_with_dotdot_is_refused_and_makes_no_directory(mode, victim):
    target = UP + str(victim / "made-by-workingdir")
    run = _submit(mode, [{
        "name": "main", "inputs": {"parameters": [{"name": "p"}]},
        "container": {"image": _image(mode), "command": ["sh", "-c", "touch here"],
                      "workingDir": "{{inputs.parameters.p}}"}}], {"p": target})
    node = run.node(run.name)
    assert node["phase"] == "Error", node
    assert run.name in node["message"] and "workingDir" in node["message"]
    _untouched(victim)


def test_a_hostpath_volume_is_refused_unless_config_allows_it(mode, victim, flow_home):
    templates = [{"name": "main", "container": {
        "image": _image(mode), "command": ["sh", "-c"],
        "args": ["cat /host/.bashrc; echo PWNED > /host/.bashrc; echo new > /host/planted"],
        "volumeMounts": [{"name": "host", "mountPath": "/host"}]}}]
    volumes = [{"name": "host", "hostPath": {"path": str(victim)}}]
    run = _submit(mode, templates, {}, volumes)
    node = run.node(run.name)
    assert node["phase"] == "Error", node
    assert run.name in node["message"] and str(victim) in node["message"] and "allowHostPaths" in node["message"]
    _untouched(victim)
    if mode == "no-sandbox":
        return   # without a sandbox nothing can be bound: the refusal above is the whole story
    # named in config.yaml, the same host directory is bound, read and written
    (flow_home / "config.yaml").write_text(f"allowHostPaths: [{victim}]\n")
    run = _submit(mode, templates, {}, volumes)
    node = run.node(run.name)
    assert node["phase"] == "Succeeded", node
    assert node["outputs"]["result"] == "ORIGINAL"
    assert (victim / ".bashrc").read_text() == "PWNED\n" and (victim / "planted").read_text() == "new\n"


def test_the_root_as_hostpath_is_refused_even_when_a_directory_below_is_allowed(mode, victim, flow_home):
    (flow_home / "config.yaml").write_text(f"allowHostPaths: [{victim}]\n")
    run = _submit(mode, [{"name": "main", "container": {
        "image": _image(mode), "command": ["sh", "-c", f"echo PWNED > /host{victim}/.bashrc"],
        "volumeMounts": [{"name": "root", "mountPath": "/host"}]}}], {},
        [{"name": "root", "hostPath": {"path": "/"}}])
    assert run.node(run.name)["phase"] == "Error"
    _untouched(victim)


@pytest.mark.parametrize("mode", ["sandbox", "container"], indirect=True)
def test_a_symlink_out_of_the_step_is_not_followed_when_outputs_are_copied(mode, victim, flow_home):
    # In its own filesystem (at top-level names no host has) the step makes the victim's directory (with a file), /jf-out, a link to
    # the victim's .bashrc, and /jf-dir/link, a link to the victim's directory. Outputs are read as
    # the step sees them: collecting them must neither read the host's sentinel nor write beside
    # it (/jf-dir is copied out first, then /jf-dir/link/planted through the link it holds).
    run = _submit(mode, [{
        "name": "main",
        "container": {"image": _image(mode), "command": ["sh", "-c"],
                      "args": [f"mkdir -p {victim} /jf-dir && echo PWNED > {victim}/planted; "
                               f"ln -s {victim}/.bashrc /jf-out; ln -s {victim} /jf-dir/link; true"]},
        "outputs": {"artifacts": [{"name": "out", "path": "/jf-out", "optional": True},
                                  {"name": "dir", "path": "/jf-dir", "optional": True},
                                  {"name": "planted", "path": "/jf-dir/link/planted", "optional": True}],
                    "parameters": [{"name": "rc", "valueFrom": {"path": "/jf-out", "default": "none"}},
                                   {"name": "rc2", "valueFrom": {"path": "/jf-dir/link/.bashrc", "default": "none"}}]}}],
        {})
    node = run.node(run.name)
    assert node["phase"] == "Succeeded", node
    assert [p["value"] for p in node["outputs"]["parameters"]] == ["none", "none"]
    assert "out" not in [a["name"] for a in node["outputs"].get("artifacts") or []]
    _untouched(victim)
    stored = [p for p in (flow_home / "runs" / run.name / "artifacts").rglob("*") if p.is_file()]
    assert not any("ORIGINAL" in p.read_text(errors="replace") for p in stored)


def test_the_dask_staging_tree_keeps_hostile_tar_members_inside(tmp_path, victim):
    # what a dask worker sends back is the step's outputs as a tar: names with '..', a link to
    # the victim's directory and a file through it must all land inside the client's staging tree
    import io
    import tarfile

    from jupyter_flow.executors.dask import _unpack
    from jupyter_flow.executors.local import StepSpec, stage_inputs

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        def add(name, data=b"PWNED\n", **kw):
            info = tarfile.TarInfo(name)
            for k, v in kw.items():
                setattr(info, k, v)
            info.size = 0 if kw else len(data)
            tar.addfile(info, None if kw else io.BytesIO(data))
        add(("../" * 40).lstrip("/") + str(victim / ".bashrc").lstrip("/"))
        add("out/link", type=tarfile.SYMTYPE, linkname=str(victim))
        add("out/link/planted")
    staging = tmp_path / "staging"
    host_path, _, error = stage_inputs(StepSpec(node_id="n", step_name="s"), staging, None)
    assert error is None
    _unpack(buf.getvalue(), host_path)
    _untouched(victim)
    assert (staging / "fs" / str(victim / ".bashrc").lstrip("/")).read_text() == "PWNED\n"
    assert (staging / "fs" / str(victim / "planted").lstrip("/")).read_text() == "PWNED\n"
