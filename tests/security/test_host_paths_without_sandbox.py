"""Without a sandbox a step's declared paths are the host's own (issue 16.3, red-team follow-up).

``JUPYTER_FLOW_SANDBOX=off`` (or no working bubblewrap), local backend: an input artifact
``path: /home/u/thesis`` with a ``raw`` payload used to make the engine replace the user's
directory before the step (``true``) even ran, no ``..`` needed. The engine now writes such a
path only under /tmp (through entries the user owns) or an ``allowHostPaths`` entry; anything
else errors the step before anything is written.

The sentinel lives in /var/tmp, not in pytest's tmp_path (which is under /tmp, the one place
the engine may write): a real directory outside both the jupyter-flow home and /tmp.
"""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest

from jupyter_flow import api
from jupyter_flow.executors import sandbox as sb


@pytest.fixture(autouse=True)
def no_sandbox(monkeypatch):
    monkeypatch.setenv(sb.ENV_VAR, "off")


@pytest.fixture
def thesis():
    """A user's directory outside /tmp, with work in it."""
    top = Path("/var/tmp") / f"jf-sentinel-{uuid.uuid4().hex[:12]}"
    top.mkdir(mode=0o700)
    try:
        work = top / "thesis"
        work.mkdir()
        (work / "chapter1.tex").write_text("ORIGINAL\n")
        yield work
    finally:
        shutil.rmtree(top, ignore_errors=True)


def _untouched(thesis: Path) -> None:
    assert sorted(p.name for p in thesis.iterdir()) == ["chapter1.tex"], list(thesis.iterdir())
    assert (thesis / "chapter1.tex").read_text() == "ORIGINAL\n"


def _run(artifacts: list, *, working_dir: str | None = None, command: str = "true"):
    container = {"image": "busybox", "command": ["sh", "-c", command]}
    if working_dir:
        container["workingDir"] = working_dir
    wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "hostfs-"},
          "spec": {"entrypoint": "main", "templates": [
              {"name": "main", "inputs": {"artifacts": artifacts}, "container": container}]}}
    run = api.submit(wf, backend="local", wait=True, timeout=60)
    return run, run.node(run.name)


def _refused(node: dict, run_name: str, path: str) -> None:
    assert node["phase"] == "Error", node
    msg = node["message"]
    assert run_name in msg and path in msg, msg
    assert "bubblewrap" in msg and "--backend container" in msg and "allowHostPaths" in msg, msg


def test_a_raw_input_artifact_over_a_users_file_is_refused_and_nothing_is_written(flow_home, thesis):
    target = str(thesis / "chapter1.tex")
    run, node = _run([{"name": "x", "path": target, "raw": {"data": "PWNED\n"}}])
    _refused(node, run.name, target)
    _untouched(thesis)


def test_a_directory_artifact_does_not_replace_a_users_directory(flow_home, thesis, tmp_path):
    # a previous step's directory output, passed in at the user's directory: the old engine
    # removed the directory (rmtree) and copied the artifact there
    made = tmp_path / "made"
    wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "hostfs-"},
          "spec": {"entrypoint": "main", "templates": [
              {"name": "main", "steps": [
                  [{"name": "make", "template": "make"}],
                  [{"name": "use", "template": "use", "arguments": {"artifacts": [
                      {"name": "d", "from": "{{steps.make.outputs.artifacts.d}}"}]}}]]},
              {"name": "make", "container": {"image": "busybox", "command": ["sh", "-c",
                                                                             f"mkdir -p {made} && echo PWNED > {made}/x"]},
               "outputs": {"artifacts": [{"name": "d", "path": str(made)}]}},
              {"name": "use", "inputs": {"artifacts": [{"name": "d", "path": str(thesis)}]},
               "container": {"image": "busybox", "command": ["true"]}}]}}
    run = api.submit(wf, backend="local", wait=True, timeout=60)
    use = next(n for n in run.nodes.values() if n.get("displayName") == "use")
    _refused(use, "use", str(thesis))
    _untouched(thesis)


def test_a_file_beside_the_users_work_is_not_planted(flow_home, thesis):
    target = str(thesis / "planted.sh")
    run, node = _run([{"name": "x", "path": target, "raw": {"data": "PWNED\n"}}])
    _refused(node, run.name, target)
    _untouched(thesis)


def test_no_input_is_written_when_a_later_one_is_refused(flow_home, thesis, tmp_path):
    first = tmp_path / "first.txt"
    run, node = _run([{"name": "ok", "path": str(first), "raw": {"data": "fine\n"}},
                      {"name": "bad", "path": str(thesis / "planted"), "raw": {"data": "PWNED\n"}}])
    _refused(node, run.name, str(thesis / "planted"))
    assert not first.exists()
    _untouched(thesis)


def test_a_link_in_tmp_to_the_users_directory_is_not_written_through(flow_home, thesis, tmp_path):
    link = tmp_path / "innocent"
    link.symlink_to(thesis)
    run, node = _run([{"name": "x", "path": str(link / "chapter1.tex"), "raw": {"data": "PWNED\n"}}])
    _refused(node, run.name, str(link / "chapter1.tex"))
    assert str(thesis) in node["message"]
    _untouched(thesis)


def test_a_working_dir_outside_tmp_is_not_made(flow_home, thesis):
    target = str(thesis / "made-by-engine")
    run, node = _run([], working_dir=target)
    _refused(node, run.name, target)
    _untouched(thesis)


def test_a_tmp_path_still_works_and_the_step_reads_it(flow_home, tmp_path):
    target = tmp_path / "data" / "in.txt"
    run, node = _run([{"name": "x", "path": str(target), "raw": {"data": "hello\n"}}],
                     working_dir=str(tmp_path / "wd"), command=f"cat {target}")
    assert node["phase"] == "Succeeded", node
    assert node["outputs"]["result"] == "hello"
    assert (tmp_path / "wd").is_dir()


@pytest.mark.skipif(os.getuid() != 0, reason="needs to make a file another user owns")
def test_a_tmp_entry_another_user_owns_is_not_replaced(flow_home, tmp_path):
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "keep").write_text("THEIRS\n")
    os.chown(theirs, 65534, 65534)
    try:
        run, node = _run([{"name": "x", "path": str(theirs / "keep"), "raw": {"data": "PWNED\n"}}])
        assert node["phase"] == "Error", node
        assert "another user" in node["message"], node["message"]
        assert (theirs / "keep").read_text() == "THEIRS\n"
    finally:
        os.chown(theirs, 0, 0)


def test_an_allowed_host_path_still_works(flow_home, thesis):
    (flow_home / "config.yaml").write_text(f"allowHostPaths: [{thesis}]\n")
    target = thesis / "from-step.txt"
    run, node = _run([{"name": "x", "path": str(target), "raw": {"data": "allowed\n"}}],
                     working_dir=str(thesis / "wd"), command=f"cat {target}")
    assert node["phase"] == "Succeeded", node
    assert node["outputs"]["result"] == "allowed"
    assert (thesis / "chapter1.tex").read_text() == "ORIGINAL\n"
