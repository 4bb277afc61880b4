"""Stopping a wide run: every step's process group is gone within 2 s; exit handlers run on
stop and not on terminate; Ctrl-C in ``Run.wait()`` stops the waiting, not the run."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import jupyter_flow

ROOT = Path(__file__).resolve().parents[2]
WIDTH = 50


def wide(marker: Path) -> dict:
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "wide-"},
        "spec": {
            "entrypoint": "main", "onExit": "exit-handler",
            "templates": [
                {"name": "main", "steps": [[{"name": "sleep", "template": "sleep",
                                             "withSequence": {"count": str(WIDTH)}}]]},
                # a child that ignores SIGTERM and forks a grandchild: only a group kill gets both
                {"name": "sleep", "container": {"image": "alpine", "command": [
                    "sh", "-c", "trap '' TERM; sleep 300 & sleep 300; wait"]}},
                {"name": "exit-handler", "container": {"image": "alpine", "command": [
                    "sh", "-c", f"echo {{{{workflow.status}}}} > {marker}"]}},
            ],
        },
    }


def live_groups() -> set[int]:
    """Process groups with at least one live (not zombie) member, from one scan of /proc."""
    groups = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_bytes()
        except OSError:
            continue
        fields = stat.rsplit(b")", 1)[1].split()
        if fields[0] not in (b"Z", b"X"):
            groups.add(int(fields[2]))
    return groups


def start_wide(store, tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_FLOW_MAX_PROCESSES", str(WIDTH + 8))
    monkeypatch.setenv("JUPYTER_FLOW_SANDBOX", "off")
    marker = tmp_path / "exit-ran"
    run = jupyter_flow.submit(wide(marker), store=store)
    pids_file = store.run_dir(run.name) / "pids"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pids = pids_file.read_text().split() if pids_file.exists() else []
        running = [n for n in run.nodes.values() if n.get("type") == "Pod" and n.get("phase") == "Running"]
        if len(pids) >= WIDTH and len(running) >= WIDTH:
            return run, marker, [int(p) for p in pids]
        time.sleep(0.05)
    pytest.fail(f"only {len(pids)} of {WIDTH} steps started")


@pytest.mark.parametrize("action", ["stop", "terminate"])
def test_stop_or_terminate_kills_fifty_process_groups_within_two_seconds(store, tmp_path, monkeypatch, action):
    run, marker, pgids = start_wide(store, tmp_path, monkeypatch)
    time.sleep(0.3)   # let every step fork its grandchild
    t0 = time.monotonic()
    getattr(run, action)()
    while live_groups() & set(pgids) and time.monotonic() - t0 < 5:
        time.sleep(0.01)
    elapsed = time.monotonic() - t0
    assert not live_groups() & set(pgids), "process groups survived the " + action
    assert elapsed < 2.0, f"{action}: groups gone after {elapsed:.2f}s"
    assert run.wait(60) == "Failed"   # Argo ends a stopped or terminated workflow Failed
    if action == "stop":
        assert marker.exists() and marker.read_text().strip() == "Failed", "exit handler did not run on stop"
        assert any(n["displayName"].endswith(".onExit") for n in run.nodes.values())
    else:
        assert not marker.exists(), "exit handler ran on terminate"
        assert not any(n["displayName"].endswith(".onExit") for n in run.nodes.values())
    print(f"{action}: {WIDTH} groups gone in {elapsed:.3f}s")


def test_keyboard_interrupt_in_wait_stops_waiting_not_the_run(tmp_path):
    """Ctrl-C while a notebook cell waits: the wait ends, the run goes on and then succeeds."""
    code = textwrap.dedent("""
        import os, signal, threading, time, jupyter_flow
        run = jupyter_flow.submit({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "ki-"},
            "spec": {"entrypoint": "main", "templates": [{"name": "main", "container": {
                "image": "alpine", "command": ["sh", "-c", "sleep 1.5; echo done"]}}]}})
        threading.Timer(0.4, os.kill, (os.getpid(), signal.SIGINT)).start()  # what Ctrl-C / a kernel interrupt sends
        try:
            run.wait()
            print("WAIT-RETURNED")
        except KeyboardInterrupt:
            print("INTERRUPTED", run.phase)
        print("FINAL", run.wait(60), run.outputs.get(run.name, {}).get("result"))
    """)
    env = dict(os.environ, JUPYTER_FLOW_HOME=str(tmp_path / "home"), PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env=env, cwd=str(ROOT))
    assert "INTERRUPTED Running" in out.stdout or "INTERRUPTED Pending" in out.stdout, out.stdout + out.stderr
    assert "FINAL Succeeded done" in out.stdout, out.stdout + out.stderr
