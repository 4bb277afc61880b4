"""Load and resource exhaustion: concurrent submitters, a 1 GB log, a full disk."""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import jupyter_flow
from jupyter_flow import api

ROOT = Path(__file__).resolve().parents[2]
PER_SUBMITTER = 20

QUICK = textwrap.dedent("""
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {generateName: load-}
    spec:
      entrypoint: main
      templates:
      - name: main
        steps:
        - - {name: a, template: echo}
          - {name: b, template: echo}
        - - {name: c, template: echo}
      - name: echo
        container: {image: alpine, command: [echo, hi]}
""")


def env(home: Path) -> dict:
    return dict(os.environ, JUPYTER_FLOW_HOME=str(home), JUPYTER_FLOW_SANDBOX="off", PYTHONPATH=str(ROOT))


def test_two_kernels_and_the_cli_submit_twenty_runs_each_at_once(flow_home, tmp_path):
    wf = tmp_path / "wf.yaml"
    wf.write_text(QUICK)
    kernel = textwrap.dedent(f"""
        import jupyter_flow
        runs = [jupyter_flow.submit({str(wf)!r}) for _ in range({PER_SUBMITTER})]
        print(" ".join(sorted({{r.wait(180) for r in runs}})))
    """)
    cli = " & ".join([f"{sys.executable} -m jupyter_flow.cli submit {wf} -o name"] * PER_SUBMITTER) + " & wait"
    procs = [subprocess.Popen([sys.executable, "-c", kernel], env=env(flow_home), cwd=str(ROOT), text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    procs.append(subprocess.Popen(["bash", "-c", cli], env=env(flow_home), cwd=str(ROOT), text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err[-3000:]
        assert "database is locked" not in out + err
    assert outs[0][0].strip() == outs[1][0].strip() == "Succeeded"
    from jupyter_flow.store import open_store
    store = open_store(flow_home)
    names = [r.name for r in store.list_runs()]
    assert len(names) == 3 * PER_SUBMITTER and len(set(names)) == len(names)
    phases = {n: api.get(n, store=store).wait(180) for n in names}
    assert set(phases.values()) == {"Succeeded"}, phases
    for name in names:
        log = store.run_dir(name) / "engine.log"
        assert not log.exists() or "database is locked" not in log.read_text()
        assert len([n for n in store.get_nodes(name).values() if n.get("type") == "Pod"]) == 3
    conn = sqlite3.connect(str(store.path))
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 3 * PER_SUBMITTER
    conn.close()


def rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def test_one_gigabyte_of_logs_keeps_engine_memory_flat_and_tail_responsive(store, flow_home, monkeypatch):
    monkeypatch.setenv("JUPYTER_FLOW_SANDBOX", "off")
    size = 1_000_000_000
    wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "biglog-"},
          "spec": {"entrypoint": "main", "templates": [{"name": "main", "container": {
              "image": "alpine", "command": ["sh", "-c", f"yes 'a log line of some length' | head -c {size}"]}}]}}
    before = rss_mb()
    peak = [before]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], rss_mb())
            time.sleep(0.05)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    run = jupyter_flow.submit(wf, store=store)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(
                p.stat().st_size > 1_000_000 for p in (store.run_dir(run.name) / "logs").glob("*.log")):
            time.sleep(0.05)
        t0 = time.monotonic()
        tail = subprocess.Popen([sys.executable, "-m", "jupyter_flow.cli", "logs", run.name, "-f"],
                                env=env(flow_home), cwd=str(ROOT), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        first = tail.stdout.readline()
        first_line_after = time.monotonic() - t0
        tail.kill()
        tail.wait()
        phase = run.wait(300)
    finally:
        stop.set()
        sampler.join()
    assert phase == "Succeeded"
    log = next((store.run_dir(run.name) / "logs").glob("*.log"))
    assert log.stat().st_size == size
    assert b"a log line" in first
    assert first_line_after < 5, f"logs -f took {first_line_after:.1f}s to show the first line"
    growth = peak[0] - before
    assert growth < 100, f"engine RSS grew by {growth:.0f} MB while logging 1 GB"
    result = run.nodes[next(n for n in run.nodes if run.nodes[n].get("type") == "Pod")]["outputs"]["result"]
    assert len(result) <= 256 * 1024
    print(f"1 GB log: RSS growth {growth:.1f} MB, logs -f first line after {first_line_after:.2f}s")


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("mount"), reason="needs root to mount a tmpfs")
def test_a_full_disk_while_logging_fails_the_node_clearly_and_keeps_the_store(store, flow_home, monkeypatch):
    monkeypatch.setenv("JUPYTER_FLOW_SANDBOX", "off")
    name = "fulldisk-run"
    logs = store.run_dir(name) / "logs"
    logs.mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(logs)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode()[:200]}")
    try:
        wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": name},
              "spec": {"entrypoint": "main", "templates": [
                  {"name": "main", "steps": [[{"name": "noisy", "template": "noisy"}],
                                             [{"name": "after", "template": "noisy"}]]},
                  {"name": "noisy", "container": {"image": "alpine", "command": [
                      "sh", "-c", "yes 'filling the disk' | head -c 50000000; echo done"]}}]}}
        run = jupyter_flow.submit(wf, store=store)
        phase = run.wait(120)
        nodes = {n["displayName"]: n for n in run.nodes.values()}
        assert phase == "Failed", phase                 # steps around the errored step
        assert nodes["noisy"]["phase"] == "Error"      # the engine could not keep its log: not the step's fault
        assert "no space left" in nodes["noisy"]["message"].lower(), nodes["noisy"]["message"]
        assert "after" not in nodes or nodes["after"]["phase"] not in ("Running", "Pending")
        conn = sqlite3.connect(str(store.path))
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()
        assert api.get(name, store=store).phase == phase   # readable again from the store
    finally:
        subprocess.run(["umount", "-l", str(logs)], capture_output=True)
