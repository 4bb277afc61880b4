"""What filesystem a step sees (issue 17, items 3, 9 and 11), run end to end.

* 17.3: a step never runs in the submitter's working directory: with the sandbox its cwd is
  ``/`` of its own view (Argo's default WORKDIR), so ``open("result.txt", "w")`` is the declared
  output ``/result.txt``; without one it is a directory of its own.
* 17.9: a volume claim (``volumeClaimTemplates``, an existing ``persistentVolumeClaim``) is one
  directory shared by the steps that mount it: per run, or per claim name and kept.
* 17.11: an output artifact under ``/tmp`` holds what the step wrote, not placeholders for
  host directories the sandbox shares under ``/tmp``.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from jupyter_flow import api
from jupyter_flow.executors import sandbox as sb

from tests.upstream import example
from tests.executors.test_container import IMAGE, busybox_image  # noqa: F401 (a fixture)


@pytest.fixture
def sandbox_on(monkeypatch):
    if not shutil.which("bwrap"):
        pytest.skip("bubblewrap is not installed")
    monkeypatch.setenv(sb.ENV_VAR, "auto")
    if sb.available() is None:
        pytest.skip("bubblewrap cannot run here")


@pytest.fixture
def project(tmp_path, monkeypatch):
    """The submitter's working directory: a project with a file in it."""
    proj = tmp_path / "project"
    proj.mkdir()
    (proj / "notes.txt").write_text("mine\n")
    monkeypatch.chdir(proj)
    return proj


def _wf(templates, **spec):
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "fs-"},
            "spec": {"entrypoint": "main", "templates": templates, **spec}}


RESULT_TXT = _wf([{
    "name": "main",
    "script": {"image": "python:3.11", "command": ["python"],
               "source": 'with open("result.txt", "w") as f:\n    f.write("42")\nprint("wrote")\n'},
    "outputs": {"parameters": [{"name": "answer", "valueFrom": {"path": "/result.txt"}}],
                "artifacts": [{"name": "result", "path": "/result.txt"}]}}])


def test_a_relative_write_is_the_declared_output_under_slash_and_misses_the_project(sandbox_on, project, flow_home):
    run = api.submit(RESULT_TXT, wait=True, timeout=60)
    node = run.node(run.name)
    assert run.phase == "Succeeded", node
    assert node["outputs"]["parameters"][0]["value"] == "42"
    key = node["outputs"]["artifacts"][0]["local"]["key"]
    assert (flow_home / "runs" / run.name / "artifacts" / key).read_text() == "42"
    assert sorted(p.name for p in project.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize("sandbox", ["auto", "off"])
def test_a_step_without_outputs_writes_nothing_into_the_project(sandbox, project, monkeypatch):
    monkeypatch.setenv(sb.ENV_VAR, sandbox)
    run = api.submit(_wf([
        {"name": "main", "steps": [[{"name": "plain", "template": "plain"}, {"name": "script", "template": "py"}]]},
        {"name": "plain", "container": {"image": "busybox", "command": ["sh", "-c", "echo x > stray.txt; pwd"]}},
        {"name": "py", "script": {"image": "python:3.11", "command": ["python"],
                                  "source": 'open("stray2.txt", "w").write("y")\nimport os; print(os.getcwd())'}}]),
        wait=True, timeout=60)
    assert run.phase == "Succeeded", run.to_dict()["status"]
    assert sorted(p.name for p in project.iterdir()) == ["notes.txt"]
    assert str(project) not in run.node("plain")["outputs"]["result"]
    assert str(project) not in run.node("script")["outputs"]["result"]


def _upstream(name: str) -> str:
    return example(name).read_text()


def test_a_volume_claim_template_is_one_directory_shared_by_the_runs_steps(sandbox_on, flow_home):
    run = api.submit(_upstream("volumes-pvc.yaml"), wait=True, timeout=60)
    assert run.phase == "Succeeded", run.to_dict()["status"]
    assert "hello world" in run.node("print")["outputs"]["result"]
    assert (flow_home / "runs" / run.name / "volumes" / "workdir" / "hello_world.txt").read_text() == "hello world\n"


def test_an_existing_claim_is_one_directory_per_claim_name_kept_between_runs(sandbox_on, flow_home):
    text = _upstream("volumes-existing.yaml")
    first = api.submit(text, wait=True, timeout=60)
    second = api.submit(text, wait=True, timeout=60)
    assert first.phase == second.phase == "Succeeded"
    assert first.node("print")["outputs"]["result"].count("accessed at") == 1
    assert second.node("print")["outputs"]["result"].count("accessed at") == 2
    assert (flow_home / "volumes" / "my-existing-volume" / "accesslog").read_text().count("accessed at") == 2


def test_a_claim_shared_by_containers_too(busybox_image, flow_home):
    wf = _wf([
        {"name": "main", "steps": [[{"name": "w", "template": "w"}], [{"name": "r", "template": "r"}]]},
        {"name": "w", "container": {"image": IMAGE, "command": ["sh", "-c", "echo shared > /mnt/vol/f"],
                                    "volumeMounts": [{"name": "workdir", "mountPath": "/mnt/vol"}]}},
        {"name": "r", "container": {"image": IMAGE, "command": ["cat", "/mnt/vol/f"],
                                    "volumeMounts": [{"name": "workdir", "mountPath": "/mnt/vol"}]}}],
        volumeClaimTemplates=[{"metadata": {"name": "workdir"}, "spec": {"accessModes": ["ReadWriteOnce"]}}])
    run = api.submit(wf, backend="container", wait=True, timeout=120)
    assert run.phase == "Succeeded", run.to_dict()["status"]
    assert run.node("r")["outputs"]["result"] == "shared"


@pytest.mark.parametrize("claim", ["../../escape", "My_Claim", "a/b", ".."])
def test_a_claim_name_that_is_not_a_kubernetes_name_errors_naming_it(claim, flow_home, monkeypatch):
    monkeypatch.setenv(sb.ENV_VAR, "off")
    run = api.submit(_wf([{"name": "main", "container": {
        "image": "busybox", "command": ["sh", "-c", "echo x > /mnt/vol/f"],
        "volumeMounts": [{"name": "v", "mountPath": "/mnt/vol"}]}}],
        volumes=[{"name": "v", "persistentVolumeClaim": {"claimName": claim}}]), wait=True, timeout=60)
    node = run.node(run.name)
    assert node["phase"] == "Error" and repr(claim) in node["message"] and run.name in node["message"]
    assert not (flow_home / "escape").exists() and not (flow_home.parent / "escape").exists()


def test_an_output_under_tmp_holds_only_what_the_step_wrote(sandbox_on, tmp_path, monkeypatch, flow_home):
    # host directories the sandbox shares under /tmp: the submitter's cwd and a PYTHONPATH entry
    cwd = tmp_path / "deep" / "project"
    lib = tmp_path / "other" / "lib"
    cwd.mkdir(parents=True)
    lib.mkdir(parents=True)
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("PYTHONPATH", f"{lib}:{Path(__file__).resolve().parents[2]}")
    run = api.submit(_wf([{"name": "main", "container": {
        "image": "busybox", "command": ["sh", "-c", "mkdir -p /tmp/made && echo hi > /tmp/made/a.txt"]},
        "outputs": {"artifacts": [{"name": "tmp", "path": "/tmp"}]}}]), wait=True, timeout=60)
    node = run.node(run.name)
    assert run.phase == "Succeeded", node
    stored = flow_home / "runs" / run.name / "artifacts" / node["outputs"]["artifacts"][0]["local"]["key"]
    assert sorted(str(p.relative_to(stored)) for p in stored.rglob("*")) == ["made", "made/a.txt"]


def test_a_claim_kubernetes_would_refuse_errors_as_pvc_creation_does(sandbox_on):
    wf = _wf([{"name": "main", "container": {"image": "busybox", "command": ["sh", "-c", "echo x > /mnt/vol/f"],
                                             "volumeMounts": [{"name": "workdir", "mountPath": "/mnt/vol"}]}}],
             volumeClaimTemplates=[{"metadata": {"name": "workdir"}, "spec": {"accessModes": ["InvalidAccessMode"]}}])
    run = api.submit(wf, wait=True, timeout=60)
    node = run.node(run.name)
    assert run.phase == "Error" and node["phase"] == "Error", node
    assert "pvc create error" in node["message"] and "InvalidAccessMode" in node["message"]
