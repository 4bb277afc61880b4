"""Names from workflow text never become paths outside the state home (issue 16, item 2).

Every test puts a real directory with a file in it *outside* the temporary home (the user's
project, say) and points a hostile name at it, through each way a name comes in: YAML, the
Python API, the CLI (a real subprocess), cron, retry/resubmit, an output artifact's name and an
old store whose rows were written before names were checked. The directory must survive, and
nothing of the engine's may appear in it.
"""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import jupyter_flow
from jupyter_flow import spec as specmod
from jupyter_flow.errors import JupyterFlowError, SpecError
from jupyter_flow.store import open_store

ROOT = Path(__file__).resolve().parents[2]

HELLO = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: {name}
spec:
  entrypoint: main
  templates:
  - name: main
    script:
      image: python
      command: [sh]
      source: echo hello
"""

GENERATED = HELLO.replace("  name: {name}", "  generateName: {name}")


@pytest.fixture
def sentinel(tmp_path):
    """The user's own directory, beside (not inside) the jupyter-flow home."""
    d = tmp_path / "project"
    d.mkdir()
    (d / "precious.txt").write_text("user data\n")
    return d


def intact(d: Path) -> bool:
    return sorted(p.name for p in d.iterdir()) == ["precious.txt"] and (d / "precious.txt").read_text() == "user data\n"


def hostile_names(sentinel: Path, home: Path) -> list[str]:
    rel = os.path.relpath(sentinel, home / "runs")
    return [str(sentinel), "..", rel, "a/b", "My_Workflow", "x" * 64, "."]


def rows(home: Path) -> list[str]:
    with sqlite3.connect(home / "runs.db") as conn:
        return [r[0] for r in conn.execute("SELECT name FROM runs")]


# -- every way a new name comes in --------------------------------------------------------------------

def test_yaml_metadata_name_is_refused_with_its_position(flow_home, sentinel):
    for name in hostile_names(sentinel, flow_home):
        text = HELLO.format(name=json.dumps(name))
        with pytest.raises(SpecError) as info:
            jupyter_flow.submit(text, filename="wf.yaml", wait=True)
        err = next(e for e in info.value.errors if e.path == "metadata.name")
        assert (err.file, err.line, err.column) == ("wf.yaml", 4, 9), str(err)
        assert "DNS-1123" in err.message or "more than 63" in err.message, err.message
        lint = [e for e in jupyter_flow.lint(text, filename="wf.yaml") if e.path == "metadata.name"]
        assert lint and str(lint[0]).startswith("wf.yaml:4:9: metadata.name: "), lint
    assert intact(sentinel)
    assert rows(flow_home) == []
    assert sorted(p.name for p in (flow_home / "runs").iterdir()) == []


def test_generate_name_and_api_names_are_refused(flow_home, sentinel):
    ok = HELLO.format(name="fine")
    for name in hostile_names(sentinel, flow_home):
        with pytest.raises(SpecError) as info:
            jupyter_flow.submit(ok, name=name, wait=True)
        assert any(e.path == "metadata.name" and "given at submit: --name" in e.message
                   for e in info.value.errors), info.value
        with pytest.raises(SpecError) as info:
            jupyter_flow.submit(ok, generate_name=name + "/", wait=True)
        assert any(e.path == "metadata.generateName" for e in info.value.errors), info.value
        if name != "x" * 64:   # a long generateName is fine: it is cut to 58 characters
            with pytest.raises(SpecError):
                jupyter_flow.submit(GENERATED.format(name=json.dumps(name + "-")), wait=True)
    assert intact(sentinel)
    assert rows(flow_home) == []


def test_the_store_itself_refuses_a_run_name_that_is_not_a_workflow_name(flow_home, sentinel):
    store = open_store(flow_home)
    for name in hostile_names(sentinel, flow_home):
        with pytest.raises(JupyterFlowError, match="metadata.name"):
            store.create_run(name, {"metadata": {"name": name}}, uid="u")
    assert rows(flow_home) == []


def test_a_long_generate_name_is_cut_as_the_api_server_does(flow_home):
    run = jupyter_flow.submit(GENERATED.format(name="g" * 70 + "-"), wait=True)
    assert run.phase == "Succeeded"
    assert len(run.name) == 63 and run.name.startswith("g" * 58)


def _cli(*args: str, home: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, JUPYTER_FLOW_HOME=str(home), PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "jupyter_flow.cli", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120)


def test_cli_submit_and_lint_refuse_hostile_names(flow_home, sentinel, tmp_path):
    path = tmp_path / "wf.yaml"
    path.write_text(HELLO.format(name=json.dumps(str(sentinel))))
    lint = _cli("lint", str(path), home=flow_home, cwd=tmp_path)
    assert lint.returncode == 1
    assert f"{path}:4:9: metadata.name: Workflow name" in lint.stdout + lint.stderr, lint
    submit = _cli("submit", str(path), "--wait", home=flow_home, cwd=tmp_path)
    assert submit.returncode != 0 and "metadata.name" in submit.stderr, submit
    path.write_text(HELLO.format(name="fine"))
    for name in (str(sentinel), ".."):
        submit = _cli("submit", str(path), "--name", name, home=flow_home, cwd=tmp_path)
        assert submit.returncode != 0 and "metadata.name" in submit.stderr, submit
    assert intact(sentinel)
    assert rows(flow_home) == []


# -- cron ---------------------------------------------------------------------------------------------

CRON = """\
apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: {name}
spec:
  schedules: ["* * * * *"]
  workflowSpec:
    entrypoint: main
    templates:
    - name: main
      script: {{image: python, command: [sh], source: echo hi}}
"""


def test_cron_names_are_checked_on_create_and_by_the_scheduler(flow_home, sentinel, tmp_path):
    from jupyter_flow import cron
    store = open_store(flow_home)
    for name in (str(sentinel), "..", "c" * 53):
        doc = specmod.load(CRON.format(name=json.dumps(name)))[0]
        with pytest.raises(JupyterFlowError, match="metadata.name"):
            cron.create(doc.data, store)
        assert any(e.path == "metadata.name" for e in specmod.validate(doc))
    assert cron.create(specmod.load(CRON.format(name="c" * 52))[0].data, store) == "c" * 52
    # a CronWorkflow an older version kept under a bad name: its runs are refused, nothing is written
    bad = specmod.load(CRON.format(name=json.dumps(str(sentinel))))[0].data
    bad["status"] = {}
    store.put_template(cron.KIND, str(sentinel), bad)
    scheduler = cron.Scheduler(store, clock=lambda: time.time())
    scheduler.seen[str(sentinel)] = time.time() - 120   # a due time has passed
    assert scheduler.tick() == []
    condition = store.get_template(cron.KIND, str(sentinel))["status"]["conditions"][0]
    assert condition["type"] == "SubmissionError" and "metadata.name" in condition["message"], condition
    assert intact(sentinel)
    assert not any(r.startswith(str(sentinel)) for r in rows(flow_home))
    path = tmp_path / "cron.yaml"
    path.write_text(CRON.format(name=json.dumps("../x")))
    out = _cli("cron", "lint", str(path), home=flow_home, cwd=tmp_path)
    assert out.returncode == 1 and f"{path}:4:9: metadata.name: CronWorkflow name" in out.stdout, out


# -- an old store with bad rows -------------------------------------------------------------------------

def _old_row(home: Path, name: str, phase: str = "Succeeded") -> None:
    """A row as an older version wrote it, inserted with sqlite3 directly (no check on the way)."""
    open_store(home)   # the schema
    wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
          "metadata": {"name": name, "namespace": "default"},
          "spec": {"entrypoint": "main", "templates": [{"name": "main", "script": {"image": "python", "command": ["sh"],
                                                                                  "source": "echo hi"}}]}}
    node = {"id": name, "name": name, "displayName": name, "type": "Pod", "phase": phase, "templateName": "main"}
    now = time.time()
    with sqlite3.connect(home / "runs.db") as conn:
        conn.execute("INSERT INTO runs(name, uid, phase, created_at, started_at, finished_at, workflow, status,"
                     " updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
                     (name, "u-" + name, phase, now, now, now, json.dumps(wf), json.dumps({"phase": phase}), now))
        conn.execute("INSERT INTO nodes(run, id, phase, data) VALUES (?,?,?,?)", (name, name, phase, json.dumps(node)))


def test_an_old_store_with_bad_rows_reads_and_deletes_without_touching_anything_outside(flow_home, sentinel):
    (flow_home / "keep.txt").write_text("home file\n")
    names = [str(sentinel), "..", os.path.relpath(sentinel, flow_home / "runs"), "."]
    for name in names:
        _old_row(flow_home, name, phase="Failed")
    listed = {r.name for r in jupyter_flow.runs()}
    assert set(names) <= listed
    for name in names:
        run = jupyter_flow.get(name)
        assert run.to_dict()["metadata"]["name"] == name
        assert run.logs() == "" or isinstance(run.logs(), str)
        with pytest.raises(JupyterFlowError, match="metadata.name"):
            run.retry()
        assert jupyter_flow.get(name).nodes   # retry refused before it changed anything
        with pytest.raises(SpecError):
            run.resubmit()
    for name in names:
        jupyter_flow.get(name).delete()
    assert intact(sentinel)
    assert (flow_home / "keep.txt").read_text() == "home file\n" and (flow_home / "runs.db").exists()
    assert (flow_home / "runs").is_dir()
    assert rows(flow_home) == []


def test_cli_delete_completed_on_an_old_store_keeps_the_users_directory(flow_home, sentinel, tmp_path):
    # what the issue saw: the engine had written into the user's directory, then delete rmtree'd it
    _old_row(flow_home, str(sentinel))
    _old_row(flow_home, "..")
    out = _cli("delete", "--completed", home=flow_home, cwd=tmp_path)
    assert out.returncode == 0, out
    assert intact(sentinel)
    assert (flow_home / "runs.db").exists() and (flow_home / "runs").is_dir()
    assert rows(flow_home) == []


def test_a_symlinked_run_directory_is_unlinked_not_followed(flow_home, sentinel):
    run = jupyter_flow.submit(HELLO.format(name="linked"), wait=True)
    store = open_store(flow_home)
    import shutil
    shutil.rmtree(store.run_dir(run.name))
    os.symlink(sentinel, store.run_dir(run.name))
    run.delete()
    assert intact(sentinel)
    assert not os.path.lexists(store.run_dir("linked"))


# -- output artifact names -------------------------------------------------------------------------------

ARTIFACT = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: art-
spec:
  entrypoint: main
  arguments:
    parameters: [{{name: n, value: {value}}}]
  templates:
  - name: main
    inputs:
      parameters: [{{name: n}}]
    outputs:
      artifacts:
      - name: {name}
        path: /tmp/out.txt
    script:
      image: python
      command: [sh]
      source: echo step-output > /tmp/out.txt
"""


def test_a_literal_artifact_name_that_climbs_is_a_lint_error(flow_home, sentinel):
    text = ARTIFACT.format(value="x", name=json.dumps("../../../" + str(sentinel)))
    with pytest.raises(SpecError) as info:
        jupyter_flow.submit(text, filename="a.yaml", wait=True)
    err = next(e for e in info.value.errors if e.path == "spec.templates[0].outputs.artifacts[0].name")
    assert (err.line, err.column) == (15, 15) and "[-a-zA-Z0-9_]" not in err.message and "'_' or '-'" in err.message
    assert intact(sentinel)


def test_an_artifact_name_made_hostile_by_a_parameter_errors_the_step_and_removes_nothing(flow_home, sentinel):
    climb = "/" + "../" * 30 + str(sentinel).lstrip("/")
    run = jupyter_flow.submit(ARTIFACT.format(value=json.dumps(climb), name='"out-{{inputs.parameters.n}}"'),
                              wait=True, timeout=60)
    assert run.phase == "Error"
    pod = next(n for n in run.nodes.values() if n["type"] == "Pod")
    assert "output artifact name" in pod["message"]
    assert intact(sentinel)


def test_the_engine_refuses_an_artifact_name_in_a_document_that_skipped_lint(flow_home, sentinel):
    # a workflow from an old store row (retried, or started by a daemon) is not linted again
    import asyncio

    from jupyter_flow.engine.controller import Controller
    wf = specmod.load(ARTIFACT.format(value="x", name='"n"'))[0].data
    wf["metadata"] = {"name": "direct"}
    wf["spec"]["templates"][0]["outputs"]["artifacts"][0]["name"] = "../../../.." + str(sentinel)
    store = open_store(flow_home)
    store.create_run("direct", wf, uid="u")
    phase = asyncio.run(Controller(wf, name="direct", store=store, uid="u").run())
    assert phase == "Error"
    assert intact(sentinel)


def test_an_input_artifact_key_outside_the_artifact_store_is_refused(tmp_path, sentinel):
    from jupyter_flow.engine.artifacts import ArtifactError, load_input
    root = tmp_path / "home" / "runs" / "r" / "artifacts"
    root.mkdir(parents=True)
    target = tmp_path / "step" / "in"
    with pytest.raises(ArtifactError, match="outside"):
        load_input({"name": "a", "local": {"key": "../../../../project"}}, target, root)
    assert not target.exists()


def test_argo_cp_refuses_a_recorded_name_that_climbs_out_of_the_destination(tmp_path, sentinel):
    from jupyter_flow.artifacts import FoundArtifact, copy
    stored = tmp_path / "stored.txt"
    stored.write_text("artifact\n")
    found = [FoundArtifact("node-1", "main", "../../../../" + str(sentinel), stored, {})]
    with pytest.raises(JupyterFlowError, match="cannot be part of a path"):
        copy(found, tmp_path / "dest", workflow="wf")
    assert intact(sentinel)
