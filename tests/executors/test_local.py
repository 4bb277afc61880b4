"""The local executor seen from a run: what a step that cannot start looks like to the user."""
from __future__ import annotations

import jupyter_flow

MISSING = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: missing-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: nope, template: nope}
  - name: nope
    container: {image: alpine:3.7, command: [jf-no-such-command-xyz, --flag]}
"""


def test_missing_command_fails_the_node_like_argo_and_names_the_fix(flow_home):
    # On Argo the container cannot start ("executable file not found") and the pod is Failed,
    # not Error: retryStrategy OnFailure / failFast / hooks depend on that difference.
    run = jupyter_flow.submit(MISSING, wait=True, timeout=30)
    assert run.phase == "Failed"
    node = next(n for n in run.nodes.values() if n["displayName"] == "nope")
    assert node["phase"] == "Failed"
    msg = node["message"]
    assert "'nope'" in msg and "jf-no-such-command-xyz" in msg and "not found" in msg
    assert "--backend container" in msg


def test_a_command_removed_after_it_was_found_fails_its_step_and_is_looked_up_again(tmp_path, monkeypatch):
    # a found command is trusted for a second (no stat per step); if it is gone by then, the step
    # fails at start naming it, and the next step gets the "not found on this machine" hint
    import asyncio
    import os

    import pytest

    from jupyter_flow.errors import StepError
    from jupyter_flow.executors.local import LocalExecutor, StepSpec, resolve_argv
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool = bin_dir / "jf-vanishing-tool"
    tool.write_text("#!/bin/sh\necho here\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")

    def spec():
        return StepSpec(node_id="wf-1", step_name="s", image="busybox", command=["jf-vanishing-tool"],
                        isolate=False)
    assert asyncio.run(LocalExecutor().run(spec())).stdout == "here\n"
    tool.unlink()
    result = asyncio.run(LocalExecutor().run(spec()))
    assert result.cannot_start and "'s'" in result.error and str(tool) in result.error
    with pytest.raises(StepError, match="not found on this machine"):
        resolve_argv(spec())


QUIET_AND_LOUD = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: logs-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: quiet, template: quiet}
      - {name: loud, template: loud}
  - name: quiet
    container: {image: busybox, command: ["true"]}
  - name: loud
    script:
      image: python:3.12
      command: [python]
      source: |
        import sys
        print("to stdout", flush=True)
        print("to stderr", file=sys.stderr, flush=True)
        sys.stderr.write("x" * 200000)
"""


def test_the_log_holds_both_streams_and_a_silent_step_has_an_empty_log(flow_home):
    # stderr reaches the log through the engine (the file is made on the first byte), so the
    # log must still hold both streams in order, all of a large stderr, and stdout stays the result
    run = jupyter_flow.submit(QUIET_AND_LOUD, wait=True, timeout=60)
    assert run.phase == "Succeeded"
    loud = run.logs("loud")
    assert loud.startswith("to stdout\nto stderr\n")
    assert loud.count("x") == 200000
    assert run.node("loud")["outputs"]["result"] == "to stdout"
    assert run.logs("quiet") == ""
    assert "quiet: " not in run.logs()


def _spec(tmp_path, script: str, handed: list | None = None, root: bool = False):
    from jupyter_flow.executors.local import StepSpec
    return StepSpec(node_id="wf-1", step_name="s", image="busybox", command=["sh", "-c", script],
                    log_path=tmp_path / "run" / "logs" / "wf-1.log",
                    root=(tmp_path / "run" / "nodes" / "wf-1") if root else None, isolate=False,
                    write_later=(lambda path, data: handed.append((path, data))) if handed is not None else None)


def test_a_step_over_within_spool_for_hands_its_log_over(tmp_path, monkeypatch):
    # the log of a short step goes to write_later, the store's writer thread: no file is created
    # between one step's exit and the next step's start
    import asyncio

    from jupyter_flow.executors import steplog
    from jupyter_flow.executors.local import LocalExecutor
    monkeypatch.setattr(steplog, "SPOOL_FOR", 30.0)   # "short", however loaded the machine
    handed: list = []
    spec = _spec(tmp_path, "echo out; sleep 0.1; echo err >&2; sleep 0.1; echo out2", handed, root=True)
    result = asyncio.run(LocalExecutor().run(spec))
    assert result.exit_code == 0 and result.stdout == "out\nout2\n"
    assert handed == [(spec.log_path, b"out\nerr\nout2\n")]   # both streams, in the order written
    assert not spec.log_path.parent.exists()
    assert (tmp_path / "run" / "pids").read_text().strip().isdigit()   # recorded while it ran


def _log_while_running(spec):
    """Run the step; return (the log file's text when it first appears within 1.5 s, the result)."""
    import asyncio

    from jupyter_flow.executors.local import LocalExecutor

    async def main():
        task = asyncio.ensure_future(LocalExecutor().run(spec))
        seen = ""
        for _ in range(150):
            await asyncio.sleep(0.01)
            if spec.log_path.exists():
                seen = spec.log_path.read_text()
                break
        return seen, await task
    return asyncio.run(main())


def test_a_longer_step_streams_its_log_to_the_file_while_it_runs(tmp_path):
    from jupyter_flow.executors.steplog import SPOOL_FOR
    handed: list = []
    spec = _spec(tmp_path, f"echo start; sleep {SPOOL_FOR + 2}; echo end", handed)
    seen, result = _log_while_running(spec)   # the first line shows up while the step sleeps
    assert seen == "start\n"
    assert result.stdout == "start\nend\n"
    assert spec.log_path.read_text() == "start\nend\n"   # the directory was made on the first write
    assert handed == []


def test_a_step_silent_past_spool_for_streams_its_late_output_to_the_file(tmp_path):
    # the spooling timer is set by the first output; output that comes later than SPOOL_FOR
    # goes to the file at once, not to memory
    from jupyter_flow.executors.steplog import SPOOL_FOR
    handed: list = []
    spec = _spec(tmp_path, f"sleep {SPOOL_FOR + 0.2}; echo late; sleep 2; echo end", handed)
    seen, result = _log_while_running(spec)
    assert seen == "late\n"
    assert result.stdout == "late\nend\n" and spec.log_path.read_text() == "late\nend\n"
    assert handed == []


def test_a_short_steps_log_is_handed_over_once_and_no_timer_writes_it_again(tmp_path, monkeypatch):
    # output first read by the drain after the exit may set the spooling timer: it is cancelled
    # with the step, so nothing writes the log a second time once SPOOL_FOR has passed
    import asyncio

    from jupyter_flow.executors import steplog
    from jupyter_flow.executors.local import LocalExecutor
    monkeypatch.setattr(steplog, "SPOOL_FOR", 0.3)
    handed: list = []

    async def main():
        results = []
        for i in range(5):
            spec = _spec(tmp_path / str(i), "echo out", handed)
            results.append((spec, await LocalExecutor().run(spec)))
        await asyncio.sleep(0.5)   # past every step's SPOOL_FOR
        return results
    results = asyncio.run(main())
    assert [r.stdout for _, r in results] == ["out\n"] * 5
    assert handed == [(spec.log_path, b"out\n") for spec, _ in results]
    assert not any(spec.log_path.exists() for spec, _ in results)


def test_without_write_later_a_short_steps_log_is_written_at_once(tmp_path):
    import asyncio

    from jupyter_flow.executors.local import LocalExecutor
    spec = _spec(tmp_path, "echo out")
    asyncio.run(LocalExecutor().run(spec))
    assert spec.log_path.read_text() == "out\n"


QUIET_THEN_SAY = {   # two short steps, one silent: a dict, as a Python caller submits one
    "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "files-"},
    "spec": {"entrypoint": "main", "templates": [
        {"name": "main", "steps": [[{"name": "quiet", "template": "quiet"}], [{"name": "say", "template": "say"}]]},
        {"name": "quiet", "container": {"image": "busybox", "command": ["true"]}},
        {"name": "say", "container": {"image": "busybox", "command": ["echo", "hello"]}}]}}


def test_when_wait_returns_the_logs_and_pids_are_on_disk(flow_home):
    run = jupyter_flow.submit(QUIET_THEN_SAY, wait=True, timeout=60)
    assert run.phase == "Succeeded"
    assert run.logs("say") == "hello\n"
    run_dir = flow_home / "runs" / run.name
    assert sorted(p.name for p in (run_dir / "logs").iterdir()) == [f"{run.node('say')['id']}.log"]
    assert len((run_dir / "pids").read_text().split()) == 2


def test_a_log_that_cannot_be_kept_makes_the_run_error_instead_of_succeeding(flow_home):
    # the run's logs directory cannot be made (a file is in the way): a log the writer thread
    # could not write must not be lost silently
    (flow_home / "runs" / "blocked").mkdir(parents=True)
    (flow_home / "runs" / "blocked" / "logs").write_text("not a directory")
    run = jupyter_flow.submit(QUIET_THEN_SAY, name="blocked", wait=True, timeout=60)
    assert run.phase == "Error"
    message = run.to_dict()["status"]["message"]
    assert "could not write the run's store or logs" in message and "logs" in message
    assert jupyter_flow.get("blocked").phase == "Error"


def _submit_with_a_file_for_its_directory(flow_home, name: str, workflow):
    (flow_home / "runs").mkdir(exist_ok=True)
    (flow_home / "runs" / name).write_text("not a directory")
    return jupyter_flow.submit(workflow, name=name, wait=True, timeout=60)


def test_a_step_whose_process_cannot_be_recorded_fails_and_says_where(flow_home):
    # the pids file lets a later reader kill the step if this engine dies; without it the step
    # must not run on unnoticed (a directory is in the way of the file; the run's own directory,
    # where the step's working directory is made, is fine)
    (flow_home / "runs" / "nopids" / "pids").mkdir(parents=True)
    run = jupyter_flow.submit(QUIET_THEN_SAY, name="nopids", wait=True, timeout=60)
    assert run.phase == "Failed"   # steps around the errored step
    quiet = run.node("quiet")
    assert quiet["phase"] == "Error"
    assert "cannot record the step's process in" in quiet["message"] and "pids" in quiet["message"]


def test_a_step_whose_files_cannot_be_made_errors_and_the_run_ends_with_no_node_running(flow_home):
    # a script step stages its source under the run's directory, which a file is in the way of
    run = _submit_with_a_file_for_its_directory(flow_home, "noroom", QUIET_AND_LOUD)
    assert run.phase == "Failed"   # steps around the errored step
    loud = run.node("loud")
    assert loud["phase"] == "Error" and "cannot prepare its files in" in loud["message"]
    assert not [n for n in jupyter_flow.get("noroom").nodes.values() if n["phase"] in ("Running", "Pending")]
