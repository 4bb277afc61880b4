"""kill -9 of whatever owns a run: a kernel (in-process engine thread) or a CLI ``--wait``.

After the owner dies: the run reads as Error "engine exited", no step process survives,
finished nodes keep their outputs and logs, and ``jupyter-flow retry`` completes the run
reusing the nodes that had succeeded.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from jupyter_flow import api
from jupyter_flow.store.db import pid_alive

ROOT = Path(__file__).resolve().parents[2]


def two_step(tmp_path: Path) -> tuple[Path, Path]:
    marker = tmp_path / "go"
    counter = tmp_path / "first-runs"
    wf = tmp_path / "wf.yaml"
    wf.write_text(textwrap.dedent(f"""
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {{generateName: crash-}}
        spec:
          entrypoint: main
          templates:
          - name: main
            steps:
            - - {{name: first, template: quick}}
            - - {{name: second, template: wait}}
          - name: quick
            container:
              image: alpine
              command: [sh, -c, "echo x >> {counter}; echo first-log >&2; echo first-done"]
          - name: wait
            container:
              image: alpine
              command: [sh, -c, "sleep 300 & while [ ! -f {marker} ]; do sleep 0.05; done; echo second-done"]
    """))
    return wf, marker


def env() -> dict:
    return dict(os.environ, JUPYTER_FLOW_SANDBOX="off", PYTHONPATH=str(ROOT))


def wait_second_running(store, name: str) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        nodes = {n["displayName"]: n for n in store.get_nodes(name).values()}
        if nodes.get("second", {}).get("phase") == "Running" and (store.run_dir(name) / "pids").exists():
            if len((store.run_dir(name) / "pids").read_text().split()) >= 2:
                return
        time.sleep(0.05)
    pytest.fail("second step never started")


def check_after_death(store, name: str, marker: Path, tmp_path: Path) -> None:
    pids = [int(p) for p in (store.run_dir(name) / "pids").read_text().split()]
    run = api.get(name, store=store)
    assert run.phase == "Error" and run.to_dict()["status"].get("message") == "engine exited"
    nodes = {n["displayName"]: n for n in run.nodes.values()}
    assert nodes["first"]["phase"] == "Succeeded" and nodes["first"]["outputs"]["result"] == "first-done"
    assert "first-log" in run.logs("first")
    assert nodes["second"]["phase"] == "Error" and nodes["second"]["message"] == "engine exited"
    deadline = time.time() + 5
    while any(pid_alive(p) for p in pids) and time.time() < deadline:
        time.sleep(0.05)
    assert not [p for p in pids if pid_alive(p)], "step processes outlived their engine"
    # the grandchild `sleep 300` was in the step's group: nothing of the run is left (a child the
    # group's SIGKILL reached may still be on its way out for a moment: its state is then R, not Z)
    def orphans() -> list[str]:
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_bytes().rsplit(b")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[2]) in pids and fields[0] not in (b"Z", b"X"):
                    found.append(entry.name)
        return found

    deadline = time.time() + 5
    while orphans() and time.time() < deadline:
        time.sleep(0.05)
    assert not orphans(), "orphans of the run's steps outlived their engine"
    marker.write_text("go")
    out = subprocess.run([sys.executable, "-m", "jupyter_flow.cli", "retry", name, "--wait"], env=env(),
                         capture_output=True, text=True, timeout=120, cwd=str(ROOT))
    assert out.returncode == 0, out.stdout + out.stderr
    again = api.get(name, store=store)
    assert again.phase == "Succeeded"
    nodes = {n["displayName"]: n for n in again.nodes.values()}
    assert nodes["second"]["outputs"]["result"] == "second-done"
    assert nodes["first"]["outputs"]["result"] == "first-done"
    assert (tmp_path / "first-runs").read_text().count("x") == 1, "retry re-ran a succeeded node"


def test_kernel_owned_run_killed_with_sigkill(store, tmp_path):
    """A notebook kernel (a python process running the engine on a thread) is killed -9."""
    wf, marker = two_step(tmp_path)
    kernel = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, jupyter_flow
        run = jupyter_flow.submit({str(wf)!r})
        print(run.name, flush=True)
        run.wait()
    """)], env=env(), stdout=subprocess.PIPE, text=True, cwd=str(ROOT))
    try:
        name = kernel.stdout.readline().strip()
        assert name
        wait_second_running(store, name)
        assert store.get_run(name, with_nodes=False).owner_pid == kernel.pid
        kernel.send_signal(signal.SIGKILL)
        kernel.wait(10)
    finally:
        if kernel.poll() is None:
            kernel.kill()
    check_after_death(store, name, marker, tmp_path)


def test_cli_wait_killed_leaves_the_run_going(store, tmp_path):
    """kill -9 of ``submit --wait`` only stops the waiting: the detached engine finishes the run."""
    wf, marker = two_step(tmp_path)
    cli = subprocess.Popen([sys.executable, "-m", "jupyter_flow.cli", "submit", str(wf), "--wait", "-o", "name"],
                           env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=str(ROOT))
    try:
        deadline = time.time() + 30
        while not store.list_runs() and time.time() < deadline:
            time.sleep(0.05)
        name = store.list_runs()[0].name
        wait_second_running(store, name)
        cli.send_signal(signal.SIGKILL)
        cli.wait(10)
    finally:
        if cli.poll() is None:
            cli.kill()
    assert api.get(name, store=store).phase == "Running"
    marker.write_text("go")
    assert api.get(name, store=store).wait(60) == "Succeeded"


def test_cli_wait_reports_a_killed_engine(store, tmp_path):
    """kill -9 of the engine a ``submit --wait`` follows: the CLI reports Error, exits non-zero, no hang."""
    wf, marker = two_step(tmp_path)
    cli = subprocess.Popen([sys.executable, "-m", "jupyter_flow.cli", "submit", str(wf), "--wait"],
                           env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=str(ROOT))
    try:
        deadline = time.time() + 30
        while not store.list_runs() and time.time() < deadline:
            time.sleep(0.05)
        name = store.list_runs()[0].name
        wait_second_running(store, name)
        owner = store.get_run(name, with_nodes=False).owner_pid
        assert owner and owner != cli.pid
        os.kill(owner, signal.SIGKILL)
        out, err = cli.communicate(timeout=30)
    finally:
        if cli.poll() is None:
            cli.kill()
    assert cli.returncode != 0
    assert "Error" in out + err and "engine exited" in out + err
    check_after_death(store, name, marker, tmp_path)
