"""The jupyter-flow CLI, run as a real subprocess against a real store (the issue's done-when)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def cli(*args: str, check: bool = True, timeout: float = 120, stdin: str | None = None,
        env: dict | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "jupyter_flow.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=dict(os.environ, **(env or {})), input=stdin)
    if check and proc.returncode != 0:
        raise AssertionError(f"jupyter-flow {' '.join(args)} -> {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def get_json(name: str) -> dict:
    return json.loads(cli("get", name, "-o", "json").stdout)


def nodes_by_display(wf: dict) -> dict[str, dict]:
    return {n["displayName"]: n for n in wf["status"]["nodes"].values()}


@pytest.mark.parametrize("example, pods", [
    ("hello-world.yaml", {"hello-world"}),
    ("steps.yaml", {"hello1", "hello2a", "hello2b"}),
    ("dag-diamond.yaml", {"A", "B", "C", "D"}),
    ("script-result.yaml", {"generate", "print"}),
])
def test_submit_wait_runs_examples_to_succeeded(example, pods):
    proc = cli("submit", str(EXAMPLES / example), "--wait", "-o", "name")
    name = proc.stdout.strip()
    wf = get_json(name)
    assert wf["status"]["phase"] == "Succeeded"
    assert wf["kind"] == "Workflow" and wf["metadata"]["name"] == name
    got = {n["displayName"] for n in wf["status"]["nodes"].values() if n["type"] == "Pod"}
    if example == "hello-world.yaml":
        got = {n["templateName"] for n in wf["status"]["nodes"].values() if n["type"] == "Pod"}
    assert got == pods
    for node in wf["status"]["nodes"].values():
        assert node["phase"] == "Succeeded"
        assert {"id", "name", "displayName", "type", "phase", "startedAt", "finishedAt"} <= set(node)
        if node["type"] == "Pod":
            assert node["outputs"]["exitCode"] == "0"


def test_script_result_flows_to_next_step():
    name = cli("submit", str(EXAMPLES / "script-result.yaml"), "--wait", "-o", "name").stdout.strip()
    nodes = nodes_by_display(get_json(name))
    number = nodes["generate"]["outputs"]["result"]
    assert 1 <= int(number) <= 100
    assert nodes["print"]["inputs"]["parameters"][0]["value"] == number
    assert cli("logs", name, "print").stdout.strip() == f"result was: {number}"


def test_get_tree_and_logs_like_argo():
    name = cli("submit", str(EXAMPLES / "dag-diamond.yaml"), "--wait", "-o", "name").stdout.strip()
    tree = cli("get", "@latest").stdout
    assert f"Name:                {name}" in tree
    assert "Status:              Succeeded" in tree
    for task in "ABCD":
        assert f"✔ {task} " in tree
    assert cli("logs", "@latest", "B").stdout == "B\n"
    all_logs = cli("logs", name).stdout.splitlines()
    assert sorted(all_logs) == ["A: A", "B: B", "C: C", "D: D"]


def test_detached_submit_then_resume_from_another_process():
    name = cli("submit", str(EXAMPLES / "suspend.yaml"), "-o", "name").stdout.strip()
    deadline = time.time() + 20
    while time.time() < deadline:
        nodes = nodes_by_display(get_json(name))
        if nodes.get("approve", {}).get("phase") == "Running":
            break
        time.sleep(0.1)
    else:
        pytest.fail("the run never reached the approve suspend node")
    assert get_json(name)["status"]["phase"] == "Running"
    assert cli("resume", name).stdout == f"workflow {name} resumed\n"
    proc = cli("wait", name, timeout=60)
    assert f"{name} Succeeded" in proc.stdout
    nodes = nodes_by_display(get_json(name))
    assert nodes["approve"]["type"] == "Suspend" and nodes["approve"]["phase"] == "Succeeded"
    assert nodes["release"]["phase"] == "Succeeded"
    delay = nodes["delay"]
    assert delay["phase"] == "Succeeded"


def test_wait_exit_code_reflects_failure(tmp_path):
    wf = tmp_path / "fail.yaml"
    wf.write_text("""
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: fail-}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: alpine, command: [sh, -c, "echo boom >&2; exit 3"]}
""")
    proc = cli("submit", str(wf), "--wait", check=False)
    assert proc.returncode == 1
    assert "Failed" in proc.stdout
    node = next(n for n in get_json("@latest")["status"]["nodes"].values())
    assert node["message"] == "Error (exit code 3)"
    assert cli("logs", "@latest").stdout.strip().endswith("boom")


def test_malformed_workflow_gets_file_line_col_and_store_unchanged(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("""apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: bad-
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - name: a
        template: echo
        depends: "b"
      - name: b
        template: ech
        depends: "a &&"
  - name: echo
    container:
      image: busybox
      args: "hello"
""")
    before = cli("list", "-o", "name").stdout
    proc = cli("submit", str(bad), check=False)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    err = proc.stderr
    assert f"{bad}:11:9: spec.templates[0].dag.tasks[0]: dependency cycle" in err
    assert f"{bad}:15:9: spec.templates[0].dag.tasks[1].template: unknown template \"ech\"" in err
    assert f"{bad}:16:9: spec.templates[0].dag.tasks[1].depends:" in err
    assert f"{bad}:20:13: spec.templates[1].container.args: expected a list, got a string" in err
    assert cli("list", "-o", "name").stdout == before
    lint = cli("lint", str(bad), check=False)
    assert lint.returncode == 1 and lint.stdout.count(str(bad)) == 4
    assert cli("lint", str(EXAMPLES / "steps.yaml")).stdout == "\u2714 no linting errors found!\n"


def test_parameters_and_parameter_file(tmp_path):
    wf = tmp_path / "params.yaml"
    wf.write_text("""
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: params-}
spec:
  entrypoint: main
  arguments:
    parameters: [{name: message, value: default}, {name: other}]
  templates:
  - name: main
    inputs:
      parameters: [{name: message}, {name: other}]
    container: {image: busybox, command: [echo, "{{inputs.parameters.message}} {{workflow.parameters.other}}"]}
""")
    pfile = tmp_path / "p.yaml"
    pfile.write_text("other: from-file\nmessage: overridden-below\n")
    name = cli("submit", str(wf), "--parameter-file", str(pfile), "-p", "message=hi there", "--wait",
               "-o", "name").stdout.strip()
    assert cli("logs", name).stdout.strip().endswith("hi there from-file")


def test_stop_and_terminate_and_delete(tmp_path):
    wf = tmp_path / "sleep.yaml"
    wf.write_text("""
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: sleepy-}
spec:
  entrypoint: main
  onExit: bye
  templates:
  - name: main
    container: {image: busybox, command: [sleep, "60"]}
  - name: bye
    container: {image: busybox, command: [echo, "exit handler ran"]}
""")
    for verb, handler_runs in (("stop", True), ("terminate", False)):
        name = cli("submit", str(wf), "-o", "name").stdout.strip()
        deadline = time.time() + 20
        while time.time() < deadline and not any(
                n["type"] == "Pod" and n["phase"] == "Running" for n in get_json(name)["status"]["nodes"].values()):
            time.sleep(0.1)
        started = time.time()
        done = {"stop": "stopped", "terminate": "terminated"}[verb]
        assert cli(verb, name).stdout == f"workflow {name} {done}\n"
        assert cli("wait", name, check=False).returncode == 1
        assert time.time() - started < 5
        wf_json = get_json(name)
        assert wf_json["status"]["phase"] == "Failed"
        names = {n["displayName"] for n in wf_json["status"]["nodes"].values()}
        assert (f"{name}.onExit" in names) is handler_runs
        cli("delete", name)
        assert name not in cli("list", "-o", "name").stdout


def test_dry_run_prints_without_storing():
    before = cli("list", "-o", "name").stdout
    out = cli("submit", str(EXAMPLES / "hello-world.yaml"), "--dry-run", "-o", "json", "-p", "x=1").stdout
    data = json.loads(out)
    assert data["kind"] == "Workflow" and data["spec"]["arguments"]["parameters"] == [{"name": "x", "value": "1"}]
    assert cli("list", "-o", "name").stdout == before


def test_retry_reuses_succeeded_nodes(tmp_path):
    flag = tmp_path / "flag"
    wf = tmp_path / "retry.yaml"
    wf.write_text(f"""
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {{generateName: retry-run-}}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {{name: first, template: once}}
    - - {{name: second, template: flaky}}
  - name: once
    container: {{image: python, command: [python, -c, "import random; print(random.random())"]}}
  - name: flaky
    container: {{image: alpine, command: [sh, -c, "test -f {flag}"]}}
""")
    # the flag lives under /tmp, which sandboxed steps do not share (like a pod): share it here
    host_fs = {"JUPYTER_FLOW_SANDBOX": "off"}
    name = cli("submit", str(wf), "--wait", "-o", "name", check=False, env=host_fs).stdout.strip()
    first = nodes_by_display(get_json(name))
    assert first["second"]["phase"] == "Failed"
    flag.write_text("now it passes")
    proc = cli("retry", name, "--wait", "-o", "json", check=False, env=host_fs)
    assert proc.returncode == 0, proc.stderr
    again = nodes_by_display(get_json(name))
    assert again["second"]["phase"] == "Succeeded"
    assert again["first"]["outputs"]["result"] == first["first"]["outputs"]["result"]
    assert again["first"]["id"] == first["first"]["id"]


def test_detached_run_is_never_mistaken_for_an_orphan():
    """Right after `submit` returns, readers see a live owner (the engine), not the exited CLI."""
    for _ in range(5):
        name = cli("submit", str(EXAMPLES / "steps.yaml"), "-o", "name").stdout.strip()
        assert get_json(name)["status"].get("phase") != "Error"
        assert cli("wait", name).returncode == 0


FLAKY_ONCE = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: once-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: first, template: ok}
    - - {name: second, template: flaky}
  - name: ok
    container: {image: busybox, command: [echo, one]}
  - name: flaky
    container:
      image: busybox
      command: [sh, -c, "if [ -f MARK ]; then sleep 1.5; echo two; else touch MARK; exit 1; fi"]
"""


def test_a_retried_run_survives_readers_in_other_processes(tmp_path):
    """The retry's process owns the run: a `get` elsewhere must not take it for an orphan (the
    detached engine that ran it first has exited) and kill it."""
    import tempfile
    marks = Path(tempfile.mkdtemp(dir="/var/tmp"))   # outside /tmp: a step's /tmp is its own
    wf = tmp_path / "once.yaml"
    wf.write_text(FLAKY_ONCE.replace("MARK", str(marks / "mark")))
    name = cli("submit", str(wf), "--wait", "-o", "name", check=False).stdout.strip()
    assert get_json(name)["status"]["phase"] == "Failed"
    retry = subprocess.Popen([sys.executable, "-m", "jupyter_flow.cli", "retry", name, "--wait", "-o", "name"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    phases = []
    while retry.poll() is None:
        phases.append(get_json(name)["status"]["phase"])
        time.sleep(0.2)
    assert retry.returncode == 0, retry.communicate()
    assert "Error" not in phases and get_json(name)["status"]["phase"] == "Succeeded"
    assert cli("logs", name).stdout.splitlines() == ["first: one", "second: two"]
    (marks / "mark").unlink()
    marks.rmdir()


def test_resubmit_without_wait_runs_detached():
    first = cli("submit", str(EXAMPLES / "hello-world.yaml"), "--wait", "-o", "name").stdout.strip()
    again = cli("resubmit", first, "-o", "name").stdout.strip()
    assert again != first
    assert cli("wait", again).stdout.startswith(f"{again} Succeeded at ")


def test_list_status_filters_logs_by_pod_name_and_argument_errors(tmp_path):
    ok = cli("submit", str(EXAMPLES / "steps.yaml"), "--wait", "-o", "name").stdout.strip()
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: bad-}\n"
                   "spec:\n  entrypoint: main\n  templates:\n  - name: main\n"
                   "    container: {image: busybox, command: [sh, -c, 'exit 2']}\n")
    failed = cli("submit", str(bad), "--wait", "-o", "name", check=False).stdout.strip()
    assert set(cli("list", "--status", "Failed,Error", "-o", "name").stdout.split()) == {failed}
    assert set(cli("list", "--status", "succeeded", "-o", "name").stdout.split()) == {ok}
    wrong = cli("list", "--status", "Bogus", check=False)
    assert wrong.returncode == 1 and "unknown phase Bogus" in wrong.stderr
    # `argo logs WF POD`: the pod names `get` prints work, as do step names
    wf = get_json(ok)
    from jupyter_flow.render import pod_name
    hello1 = nodes_by_display(wf)["hello1"]
    assert cli("logs", ok, pod_name(wf, hello1)).stdout == cli("logs", ok, "hello1").stdout != ""
    # tree order within a second: hello1 ran before hello2a and hello2b
    assert [line.split(":")[0] for line in cli("logs", ok).stdout.splitlines()][0] == "hello1"
    assert cli("delete", check=False).returncode == 1
    assert cli("delete", "@latest").stdout == f"Workflow '{failed}' deleted\n"


def test_template_create_refuses_workflows_and_duplicates(tmp_path):
    tmpl = tmp_path / "t.yaml"
    tmpl.write_text("apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata: {name: tpl}\n"
                    "spec:\n  templates:\n  - name: main\n    container: {image: busybox, command: ['true']}\n")
    assert cli("template", "create", str(tmpl)).stdout == "WorkflowTemplate tpl created\n"
    again = cli("template", "create", str(tmpl), check=False)
    assert again.returncode == 1 and "already exists" in again.stderr
    wf = cli("template", "create", str(EXAMPLES / "hello-world.yaml"), check=False)
    assert wf.returncode == 1 and "is not a template" in wf.stderr and "jupyter-flow submit" in wf.stderr
    assert cli("template", "create", check=False).returncode == 1
