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


def wait_suspended(name: str, node: str, timeout: float = 20) -> None:
    """Poll (as a user would with `get`) until ``node`` of run ``name`` is suspended (Running)."""
    deadline = time.time() + timeout
    while nodes_by_display(get_json(name)).get(node, {}).get("phase") != "Running":
        assert time.time() < deadline, f"{node} never suspended"
        time.sleep(0.1)


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
    wait_suspended(name, "approve")
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


# -- argo flags: list/delete selection, logs --tail/--grep, submit FILE..., get, resubmit, node, wait, lint DIR --
HELLO = EXAMPLES / "hello-world.yaml"
SLEEPY = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: sleepy-}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: busybox, command: [sleep, "60"]}
"""
FAILING = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: failing-}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: busybox, command: [sh, -c, "exit 3"]}
"""


def names_of(*args: str) -> set[str]:
    return set(cli(*args, "-o", "name").stdout.split())


def backdate(store, name: str, hours: float = 2) -> None:
    """Make ``name`` look created and finished ``hours`` ago (what --since/--older look at)."""
    then = time.time() - hours * 3600
    store.save(name, run_fields={"created_at": then, "finished_at": then})


def wait_running(name: str, timeout: float = 20) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if any(n["type"] == "Pod" and n["phase"] == "Running" for n in get_json(name)["status"].get("nodes", {}).values()):
            return
        time.sleep(0.1)
    pytest.fail(f"{name} never got a running pod")


def test_list_running_completed_prefix_since_selector_and_no_headers(tmp_path, store):
    old = cli("submit", str(HELLO), "--name", "old-hello", "-l", "team=a,tier=x", "--wait", "-o", "name").stdout.strip()
    backdate(store, old)
    new = cli("submit", str(HELLO), "-l", "team=b", "--wait", "-o", "name").stdout.strip()
    sleepy_file = tmp_path / "sleepy.yaml"
    sleepy_file.write_text(SLEEPY)
    sleepy = cli("submit", str(sleepy_file), "-o", "name").stdout.strip()
    try:
        wait_running(sleepy)
        assert names_of("list", "--running") == {sleepy}
        assert names_of("list", "--completed") == {old, new}
        both = cli("list", "--running", "--completed", check=False)
        assert both.returncode == 1 and "mutually exclusive" in both.stderr
        assert names_of("list", "--prefix", "old-") == {old}
        assert names_of("list", "--since", "1h") == {new, sleepy}
        assert names_of("list", "--since", "3h") == {old, new, sleepy}
        assert names_of("list", "--older", "1h") == {old}
        assert names_of("list", "--completed", "--since", "1h") == {new}
        bad = cli("list", "--since", "1x", check=False)
        assert bad.returncode == 2 and "invalid duration '1x'" in bad.stderr and "Traceback" not in bad.stderr
        assert names_of("list", "-l", "team=a") == {old}
        assert names_of("list", "--selector", "team==b") == {new}
        assert names_of("list", "-l", "team!=a") == {new, sleepy}
        assert names_of("list", "-l", "tier") == {old}
        assert names_of("list", "-l", "!tier,team") == {new}
        assert names_of("list", "-l", "team=a,tier=y") == set()
        assert cli("list", "-l", "a=b=c", check=False).returncode == 2
        table = cli("list").stdout.splitlines()
        plain = cli("list", "--no-headers").stdout.splitlines()
        assert table[0].split()[:2] == ["NAME", "STATUS"]
        assert "NAME" not in plain[0] and {line.split()[0] for line in plain if line.strip()} == {old, new, sleepy}
    finally:
        cli("terminate", sleepy, check=False)


def test_delete_completed_status_prefix_older_and_empty_selection(tmp_path, store):
    failing = tmp_path / "failing.yaml"
    failing.write_text(FAILING)
    failed = cli("submit", str(failing), "--wait", "-o", "name", check=False).stdout.strip()
    old = cli("submit", str(HELLO), "--name", "ok-old", "--wait", "-o", "name").stdout.strip()
    backdate(store, old)
    new = cli("submit", str(HELLO), "--name", "ok-new", "--wait", "-o", "name").stdout.strip()
    other = cli("submit", str(HELLO), "--name", "x-other", "--wait", "-o", "name").stdout.strip()
    assert get_json(failed)["status"]["phase"] == "Failed"
    wrong = cli("delete", "--status", "Bogus", check=False)
    assert wrong.returncode == 1 and "unknown phase Bogus" in wrong.stderr
    assert cli("delete", "--older", "1x", check=False).returncode == 2
    # an empty selection: nothing printed, exit 0 (as argo)
    assert cli("delete", "--status", "Running").stdout == ""
    assert cli("delete", "--status", "Failed", "--prefix", "nomatch-").stdout == ""
    assert cli("delete", "--older", "1h").stdout == f"Workflow '{old}' deleted\n"
    assert cli("delete", "--status", "failed,error").stdout == f"Workflow '{failed}' deleted\n"
    assert cli("delete", "--all", "--prefix", "x-").stdout == f"Workflow '{other}' deleted\n"
    assert cli("delete", "--completed", "--prefix", "ok-").stdout == f"Workflow '{new}' deleted\n"
    assert names_of("list") == set()
    assert cli("delete", check=False).returncode == 1


LOGGY = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: loggy-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: first, template: five}
    - - {name: second, template: three}
  - name: five
    container: {image: busybox, command: [sh, -c, "for i in 1 2 3 4 5; do echo line $i; done"]}
  - name: three
    container: {image: busybox, command: [sh, -c, "echo x 1; echo x 2; echo x 3"]}
"""


def test_logs_tail_and_grep(tmp_path):
    wf = tmp_path / "loggy.yaml"
    wf.write_text(LOGGY)
    name = cli("submit", str(wf), "--wait", "-o", "name").stdout.strip()
    assert cli("logs", name, "--tail", "2").stdout.splitlines() == ["first: line 4", "first: line 5",
                                                                      "second: x 2", "second: x 3"]
    assert cli("logs", name, "first", "--tail", "1").stdout == "line 5\n"
    assert cli("logs", name, "--tail", "0").stdout == ""
    assert len(cli("logs", name, "--tail", "-1").stdout.splitlines()) == 8
    assert cli("logs", name, "--grep", "line [24]").stdout.splitlines() == ["first: line 2", "first: line 4"]
    # the tail is taken first, then grep filters it (as argo)
    assert cli("logs", name, "--tail", "3", "--grep", "4|x").stdout.splitlines() == [
        "first: line 4", "second: x 1", "second: x 2", "second: x 3"]
    bad = cli("logs", name, "--grep", "[", check=False)
    assert bad.returncode == 2 and "invalid regular expression" in bad.stderr and "Traceback" not in bad.stderr


def test_tail_offset_reads_big_logs_from_the_end(tmp_path):
    from jupyter_flow.cli.output import tail_offset as _tail_offset
    log = tmp_path / "big.log"
    log.write_bytes(b"".join(b"line %d\n" % i for i in range(100_000)))   # several 64 KiB blocks
    data = log.read_bytes()
    assert data[_tail_offset(log, 3):] == b"line 99997\nline 99998\nline 99999\n"
    assert data[_tail_offset(log, 20_000):].count(b"\n") == 20_000
    assert _tail_offset(log, 200_000) == 0 and _tail_offset(log, 0) == len(data)
    log.write_bytes(b"a\nb\npartial")   # an unfinished last line counts as a line
    assert log.read_bytes()[_tail_offset(log, 2):] == b"b\npartial"
    log.write_bytes(b"")
    assert _tail_offset(log, 5) == 0


def test_submit_several_files_labels_and_serviceaccount(tmp_path):
    failing = tmp_path / "failing.yaml"
    failing.write_text(FAILING)
    proc = cli("submit", str(HELLO), str(failing), "--wait", "-o", "name", check=False)
    assert proc.returncode == 1, proc.stderr
    ok, failed = proc.stdout.split()
    assert get_json(ok)["status"]["phase"] == "Succeeded" and get_json(failed)["status"]["phase"] == "Failed"
    assert cli("submit", str(HELLO), str(EXAMPLES / "steps.yaml"), "--wait", "-o", "name").stdout.count("\n") == 2
    names = cli("submit", str(HELLO), str(EXAMPLES / "steps.yaml"), "-l", "team=ml,env=dev", "-l", "env=prod",
                "--serviceaccount", "robot", "-o", "name").stdout.split()
    assert len(names) == 2
    for name in names:
        wf = get_json(name)
        assert wf["metadata"]["labels"] == {"team": "ml", "env": "prod"}
        assert wf["spec"]["serviceAccountName"] == "robot"
    assert cli("wait", *names).returncode == 0
    assert names_of("list", "-l", "team=ml") == set(names)
    dry = json.loads(cli("submit", str(HELLO), "--dry-run", "-o", "json", "-l", "a=1").stdout)
    assert dry["metadata"]["labels"] == {"a": "1"}
    bad_label = cli("submit", str(HELLO), "-l", "novalue", check=False)
    assert bad_label.returncode == 2 and "invalid label" in bad_label.stderr
    # every file is checked before any is submitted
    broken = tmp_path / "broken.yaml"
    broken.write_text("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: b-}\n"
                      "spec: {entrypoint: nope, templates: []}\n")
    before = names_of("list")
    refused = cli("submit", str(HELLO), str(broken), check=False)
    assert refused.returncode == 1 and str(broken) in refused.stderr and "Traceback" not in refused.stderr
    assert names_of("list") == before
    two_names = cli("submit", str(HELLO), str(HELLO), "--name", "same", check=False)
    assert two_names.returncode == 1 and "--generate-name" in two_names.stderr
    assert "no effect locally" in " ".join(cli("submit", "--help").stdout.split())


def test_get_several_short_and_no_utf8():
    steps = cli("submit", str(EXAMPLES / "steps.yaml"), "--wait", "-o", "name").stdout.strip()
    hello = cli("submit", str(HELLO), "--wait", "-o", "name").stdout.strip()
    assert cli("get", steps, hello, "-o", "name").stdout == f"{steps}\n{hello}\n"
    both = cli("get", steps, hello).stdout
    assert f"Name:                {steps}" in both and f"Name:                {hello}" in both
    short = cli("get", steps, "-o", "short").stdout
    assert short.split()[:4] == ["STEP", "TEMPLATE", "PODNAME", "DURATION"] and "NODENAME" in short
    assert "Name:" not in short and "✔ hello1" in short
    ascii_tree = cli("get", steps, "--no-utf8").stdout
    assert "Succeeded hello1" in ascii_tree and "✔" not in ascii_tree and "├" not in ascii_tree
    assert all(ord(c) < 128 for c in ascii_tree)
    missing = cli("get", steps, "nope", "-o", "name", check=False)
    assert missing.returncode == 1 and missing.stdout == f"{steps}\n" and "'nope' not found" in missing.stderr


PARAMS_WF = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: params-}
spec:
  entrypoint: main
  arguments:
    parameters: [{name: message, value: default}]
  templates:
  - name: main
    container: {image: busybox, command: [echo, "{{workflow.parameters.message}}"]}
"""


def test_resubmit_parameters_and_watch(tmp_path):
    wf = tmp_path / "params.yaml"
    wf.write_text(PARAMS_WF)
    first = cli("submit", str(wf), "--wait", "-o", "name").stdout.strip()
    again = cli("resubmit", first, "-p", "message=changed", "--wait", "-o", "name").stdout.strip()
    assert again != first and cli("logs", again).stdout.strip().endswith("changed")
    assert get_json(again)["spec"]["arguments"]["parameters"] == [{"name": "message", "value": "changed"}]
    assert cli("logs", first).stdout.strip().endswith("default")
    watched = cli("resubmit", first, "--watch")
    new = watched.stdout.splitlines()[-1].split()[0]
    assert watched.stdout.splitlines()[-1] == f"{new} Succeeded" and new not in (first, again)
    assert cli("logs", new).stdout.strip().endswith("default")
    detached = cli("resubmit", first, "-p", "message=later", "-o", "name").stdout.strip()
    assert cli("wait", detached).stdout.startswith(f"{detached} Succeeded")
    assert cli("logs", detached).stdout.strip().endswith("later")
    failing = tmp_path / "failing.yaml"
    failing.write_text(FAILING)
    failed = cli("submit", str(failing), "--wait", "-o", "name", check=False).stdout.strip()
    rerun = cli("resubmit", failed, "--watch", check=False)
    assert rerun.returncode == 1 and rerun.stdout.splitlines()[-1].split()[1] == "Failed:"
    bad = cli("resubmit", first, "-p", "noequals", check=False)
    assert bad.returncode == 1 and "expected name=value" in bad.stderr


APPROVAL = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: approval-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: approve, template: approve}
    - - name: use
        template: echo
        arguments: {parameters: [{name: msg, value: "{{steps.approve.outputs.parameters.answer}}"}]}
  - name: approve
    suspend: {}
    outputs:
      parameters:
      - name: answer
        valueFrom: {supplied: {}}
  - name: echo
    inputs: {parameters: [{name: msg}]}
    container: {image: busybox, command: [echo, "{{inputs.parameters.msg}}"]}
"""


def test_node_set_short_flags(tmp_path):
    wf = tmp_path / "approval.yaml"
    wf.write_text(APPROVAL)
    name = cli("submit", str(wf), "-o", "name").stdout.strip()
    wait_suspended(name, "approve")
    out = cli("node", "set", name, "-p", "answer=yes please", "-m", "approved by me",
              "--node-field-selector", "displayName=approve")
    assert out.stdout == "workflow values set\n"
    cli("resume", name)
    assert cli("wait", name).stdout.startswith(f"{name} Succeeded")
    nodes = nodes_by_display(get_json(name))
    assert nodes["approve"]["outputs"]["parameters"] == [{"name": "answer", "value": "yes please"}]
    assert nodes["approve"]["message"] == "approved by me"
    assert cli("logs", name, "use").stdout == "yes please\n"


def test_wait_ignore_not_found():
    name = cli("submit", str(HELLO), "-o", "name").stdout.strip()
    proc = cli("wait", "--ignore-not-found", "no-such-run", name)
    assert proc.stdout.startswith(f"{name} Succeeded at ") and proc.stdout.count("\n") == 1
    missing = cli("wait", "no-such-run", name, check=False)
    assert missing.returncode == 1 and "'no-such-run' not found" in missing.stderr and missing.stdout == ""


def test_lint_directory(tmp_path):
    lint_dir = tmp_path / "manifests"
    (lint_dir / "sub").mkdir(parents=True)
    (lint_dir / "steps.yaml").write_text((EXAMPLES / "steps.yaml").read_text())
    import yaml
    (lint_dir / "hello.json").write_text(json.dumps(yaml.safe_load(HELLO.read_text())))
    (lint_dir / "notes.txt").write_text("not a manifest\n")   # not linted
    assert cli("lint", str(lint_dir)).stdout == "\u2714 no linting errors found!\n"
    bad = lint_dir / "sub" / "bad.yml"
    bad.write_text("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: b-}\n"
                   "spec: {entrypoint: nope, templates: []}\n")
    proc = cli("lint", str(lint_dir), check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    lines = proc.stdout.splitlines()
    assert lines and all(line.startswith(f"{bad}:") for line in lines)
    assert "no linting errors" not in proc.stdout
    # files and directories mix, as argo lint FILE|DIR...
    mixed = cli("lint", str(EXAMPLES / "steps.yaml"), str(lint_dir / "sub"), check=False)
    assert mixed.returncode == 1 and mixed.stdout.splitlines() == lines


def test_resume_of_a_detached_run_without_its_supplied_output_fails_like_argo(tmp_path):
    """The detached engine refuses the resume (argo's message) and the CLI says so, exit 1; with the
    value set (`node set`) the same resume goes through."""
    wf = tmp_path / "approval.yaml"
    wf.write_text(APPROVAL)
    name = cli("submit", str(wf), "-o", "name").stdout.strip()
    wait_suspended(name, "approve")
    refused = cli("resume", name, check=False)
    assert refused.returncode == 1
    assert "raw output parameter 'answer' has not been set and does not have a default value" in refused.stderr
    assert nodes_by_display(get_json(name))["approve"]["phase"] == "Running"
    cli("node", "set", name, "-p", "answer=ok", "--node-field-selector", "displayName=approve")
    assert cli("resume", name).stdout == f"workflow {name} resumed\n"
    assert cli("wait", name).stdout.startswith(f"{name} Succeeded")


def test_node_set_phase_rejects_a_detached_runs_approval(tmp_path):
    """`node set --phase Failed` reaches the detached engine through the store; what it refuses
    (an output the node does not declare) comes back as the command's error, exit 1."""
    wf = tmp_path / "approval.yaml"
    wf.write_text(APPROVAL)
    name = cli("submit", str(wf), "-o", "name").stdout.strip()
    wait_suspended(name, "approve")
    bad = cli("node", "set", name, "-p", "nope=1", "--node-field-selector", "displayName=approve", check=False)
    assert bad.returncode == 1 and "node is not expecting output parameter 'nope'" in bad.stderr
    nothing = cli("node", "set", name, "--node-field-selector", "displayName=approve", check=False)
    assert nothing.returncode == 1 and "nothing to set" in nothing.stderr
    out = cli("node", "set", name, "--phase", "Failed", "-m", '"rejected"', "--node-field-selector", "displayName=approve")
    assert out.stdout == "workflow values set\n"
    assert cli("wait", name, check=False).stdout.startswith(f"{name} Failed")
    approve = nodes_by_display(get_json(name))["approve"]
    assert (approve["phase"], approve["message"]) == ("Failed", '"rejected"')   # -m is taken as given
    assert "use" not in nodes_by_display(get_json(name))


def test_piped_watch_prints_the_runs_final_line_after_its_nodes():
    out = cli("submit", str(EXAMPLES / "steps.yaml"), "--watch").stdout.splitlines()
    name = out[-1].split()[0]
    nodes = [line for line in out[:-1] if line.startswith(name)]
    root_final = next(i for i, line in enumerate(nodes) if line.startswith(f"{name}  Succeeded"))
    assert root_final == len(nodes) - 1, out              # nothing of the run is reported after it finished
    assert out[-1] == f"{name} Succeeded"



def test_an_unknown_entrypoint_from_the_command_line_says_so():
    bad = cli("submit", str(EXAMPLES / "steps.yaml"), "--entrypoint", "nosuch", check=False)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert 'spec.entrypoint: unknown template "nosuch" (the entrypoint \'nosuch\' was given at submit' in bad.stderr


ARTIFACT = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: art-}
spec:
  entrypoint: make
  templates:
  - name: make
    container: {image: alpine, command: [sh, -c], args: ["echo hi > /tmp/hi.txt"]}
    outputs: {artifacts: [{name: hi, path: /tmp/hi.txt}]}
"""


def test_cp_copies_output_artifacts_like_argo_cp(tmp_path):
    wf = tmp_path / "art.yaml"
    wf.write_text(ARTIFACT)
    name = cli("submit", str(wf), "--wait", "-o", "name").stdout.strip()
    out = cli("cp", name, str(tmp_path / "out"), "--path", "{workflowName}/{artifactName}")
    target = tmp_path / "out" / name / "hi" / "hi"
    assert out.stdout == f'Created "{target}"\n' and target.read_text() == "hi\n"
    none = cli("cp", name, str(tmp_path / "none"), "--artifact-name", "nope")
    assert none.stdout == "" and "no output artifacts of" in none.stderr and not (tmp_path / "none").exists()
    missing = cli("cp", "no-such-run", str(tmp_path), check=False)
    assert missing.returncode == 1 and "not found" in missing.stderr and "Traceback" not in missing.stderr


def test_resubmit_memoized_runs_only_what_failed_in_a_detached_engine(tmp_path):
    import shutil
    import tempfile
    marks = Path(tempfile.mkdtemp(dir="/var/tmp"))   # outside /tmp: a step's /tmp is its own
    try:
        wf = tmp_path / "once.yaml"
        wf.write_text(FLAKY_ONCE.replace("MARK", str(marks / "mark")).replace("sleep 1.5; ", ""))
        name = cli("submit", str(wf), "--wait", "-o", "name", check=False).stdout.strip()
        refused = cli("resubmit", "--memoized", cli("submit", str(EXAMPLES / "hello-world.yaml"), "--wait", "-o",
                                                    "name").stdout.strip(), check=False)
        assert refused.returncode == 1 and "must be Failed/Error to resubmit in memoized mode" in refused.stderr
        again = cli("resubmit", name, "--memoized", "-o", "name").stdout.strip()
        assert cli("wait", again).stdout.startswith(f"{again} Succeeded")
        nodes = nodes_by_display(get_json(again))
        assert nodes["first"]["phase"] == "Skipped" and nodes["first"]["message"].startswith("original pod: ")
        assert nodes["second"]["phase"] == "Succeeded"
        assert cli("logs", again).stdout == "second: two\n"     # first did not run again
        assert cli("list", "--resubmitted", "-o", "name").stdout.split() == [again]
    finally:
        shutil.rmtree(marks, ignore_errors=True)


CRON = """\
apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata: {name: tick}
spec:
  schedules: ["@every 1s"]
  concurrencyPolicy: Forbid
  workflowSpec:
    entrypoint: main
    templates:
    - name: main
      container: {image: busybox, command: [echo, "scheduled {{workflow.scheduledTime}}"]}
"""


def test_cron_verbs_and_the_foreground_scheduler(tmp_path):
    f = tmp_path / "cron.yaml"
    f.write_text(CRON)
    assert cli("cron", "lint", str(f)).stdout == "\u2714 no linting errors found!\n"
    created = cli("cron", "create", str(f), "--schedule", "0 0 1 1 *")
    assert created.stdout.splitlines()[0].split() == ["Name:", "tick"] and "Schedules:" in created.stdout
    assert "0 0 1 1 *" in cli("cron", "get", "tick").stdout
    assert cli("cron", "create", str(f), check=False).returncode == 1            # it exists
    updated = cli("cron", "update", str(f), "--schedule", "0 6 * * *", "-p", "who=me")
    assert "0 6 * * *" in updated.stdout and "who:" in updated.stdout             # Workflow Parameters
    assert cli("cron", "list", "-o", "name").stdout == "tick\n"
    assert cli("cron", "suspend", "tick").stdout == "CronWorkflow 'tick' suspended\n"
    assert cli("cron", "list", "--no-headers").stdout.split()[-1] == "true"
    cli("cron", "resume", "tick")
    once = cli("submit", "--from", "cronwf/tick", "--wait", "-o", "name").stdout.strip()
    assert once.startswith("tick-") and cli("logs", once).stdout.startswith(f"{once}: scheduled 20")
    assert cli("cron", "delete", "tick").stdout == "CronWorkflow 'tick' deleted\n"
    cli("cron", "create", str(f))                                              # every second, for real
    out = cli("cron", "run", "--for", "3s").stdout
    started = [line.split()[-1] for line in out.splitlines() if " started " in line]
    assert out.startswith("scheduling 1 CronWorkflow(s): tick") and started, out
    assert cli("wait", started[0]).stdout.startswith(f"{started[0]} Succeeded")
    bad = cli("submit", "--from", "cronwf/nope", check=False)
    assert bad.returncode == 1 and "CronWorkflow 'nope' not found" in bad.stderr
