"""The REST server with one big run in its store: listing, a node's log, and a follow of a huge line.

    python -m benchmarks.server_bigrun                 # 100,000 nodes, 8 s follow
    python -m benchmarks.server_bigrun --smoke         # 2,000 nodes, 1 s follow (checks the code works)
    python -m benchmarks.server_bigrun --json out.json

A private ``jupyter server`` (random token, free port, private config, this checkout on
``PYTHONPATH``) over a fresh jupyter-flow home. The store is filled straight through the store
API, as an engine's flushes write it: one finished run of ``n`` nodes (a Steps node and ``n - 1``
Pods, with ``status.progress`` as the controller writes it) and one running run owned by this
process whose single Pod "prints" one endless line: a thread appends 64 KiB of ``x`` to its log
file as fast as it can (about 1 GB over the follow) and never writes a newline.

Measured over HTTP (``urllib``, one connection per request, as a browser tab would):

* ``GET /runs``: alone (median of ``reps``) and 6 at once (the wall time of the slowest);
* ``GET /runs/big/nodes/<id>/log`` and the same by display name (a lookup inside SQLite);
* ``GET .../log?follow=1`` on the endless line for ``follow_s`` seconds: bytes of log text and
  events received, and how the stream ended (``budget``: the server's per-request budget).

The issue's figures before the change, on the same 2-core machine: ``GET /runs`` 1.2 s (6 at
once 7.5 s), 33 MB streamed by one follow in 8 s. Target: ``GET /runs`` well under 50 ms.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_LIST_MS = 50.0


def fill(home: Path, n: int) -> dict:
    """The big finished run and the running huge-line run; returns what the requests need."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from jupyter_flow.store import Store
    store = Store(home)
    t0 = time.perf_counter()
    wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
          "metadata": {"name": "big", "namespace": "default", "uid": "u-big"}, "spec": {"entrypoint": "main"}}
    store.create_run("big", wf, uid="u-big")
    rows = [{"id": "big", "name": "big", "displayName": "big", "type": "Steps", "phase": "Succeeded"}]
    rows += [{"id": f"big-{i}", "name": f"big[{i // 100}].s{i}", "displayName": f"s{i}", "type": "Pod",
              "phase": "Succeeded", "templateName": "t", "boundaryID": "big", "inputs": {}, "outputs": {"exitCode": "0"},
              "startedAt": "2026-01-01T00:00:00Z", "finishedAt": "2026-01-01T00:00:01Z"} for i in range(n - 1)]
    store.save("big", run_fields={"phase": "Succeeded", "started_at": time.time() - 600, "finished_at": time.time(),
                                  "status": {"phase": "Succeeded", "progress": f"{n - 1}/{n - 1}",
                                             "startedAt": "2026-01-01T00:00:00Z",
                                             "finishedAt": "2026-01-01T00:10:00Z"}}, nodes=rows)
    node = f"big-{(n - 1) // 2}"
    log = store.log_path("big", node)
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("".join(f"line {i}\n" for i in range(1000)))
    wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
          "metadata": {"name": "huge", "namespace": "default", "uid": "u-huge"}, "spec": {"entrypoint": "main"}}
    store.create_run("huge", wf, uid="u-huge", owner_pid=os.getpid())   # alive: never reconciled as an orphan
    store.save("huge", run_fields={"phase": "Running", "started_at": time.time(),
                                   "status": {"phase": "Running", "progress": "0/1"}},
               nodes=[{"id": "huge", "name": "huge", "displayName": "huge", "type": "Pod", "phase": "Running"}])
    filled = time.perf_counter() - t0
    store.close()
    return {"node": node, "display": f"s{(n - 1) // 2}", "huge_log": store.log_path("huge", "huge"),
            "fill_s": filled}


def start_server(home: Path, base: Path) -> tuple[subprocess.Popen, str, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_FLOW_HOME=str(home), JUPYTER_CONFIG_DIR=str(base / "config"),
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root", "--ip", "127.0.0.1",
         "--port", str(port), "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
         "--ServerApp.jpserver_extensions={'jupyter_flow.server': True}", f"--ServerApp.root_dir={base}",
         "--JupyterFlowApp.schedule_crons=False"],
        stdout=open(base / "server.log", "wb"), stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start:\n" + (base / "server.log").read_text()[-3000:])
            time.sleep(0.1)
    return proc, url, token


def get(url: str, token: str, path: str, timeout: float = 120) -> tuple[float, bytes]:
    req = urllib.request.Request(f"{url}/jupyter-flow/api/{path}", headers={"Authorization": f"token {token}"})
    t0 = time.perf_counter()
    with urllib.request.urlopen(req, timeout=timeout) as r:
        body = r.read()
    return time.perf_counter() - t0, body


def follow(url: str, token: str, log: Path, seconds: float) -> dict:
    """Follow the endless line for ``seconds`` while a thread appends to it as fast as it can."""
    stop = threading.Event()
    written = [0]

    def writer():
        block = b"x" * (64 << 10)
        with open(log, "ab") as fh:
            while not stop.is_set() and written[0] < (1 << 30):
                fh.write(block)
                fh.flush()
                written[0] += len(block)
    log.parent.mkdir(parents=True, exist_ok=True)
    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    req = urllib.request.Request(f"{url}/jupyter-flow/api/runs/huge/nodes/huge/log?follow=1",
                                 headers={"Authorization": f"token {token}", "Accept": "text/event-stream"})
    text_bytes = events = 0
    ended = "timeout"
    t0 = time.perf_counter()
    buf = b""
    with urllib.request.urlopen(req, timeout=seconds + 30) as r:
        while time.perf_counter() - t0 < seconds:
            data = r.read1(1 << 16)
            if not data:
                ended = "closed"
                break
            buf += data
            while b"\n\n" in buf:
                block, buf = buf.split(b"\n\n", 1)
                lines = block.decode().split("\n")
                kind = next((x[7:] for x in lines if x.startswith("event: ")), "")
                if kind == "log":
                    events += 1
                    text_bytes += len(json.loads(next(x[6:] for x in lines if x.startswith("data: ")))["text"].encode())
                elif kind in ("budget", "end"):
                    ended = kind
            if ended in ("budget", "end"):
                break
    took = time.perf_counter() - t0
    stop.set()
    thread.join()
    return {"seconds": round(took, 2), "log_written_mb": round(written[0] / 1e6, 1),
            "streamed_mb": round(text_bytes / 1e6, 2), "events": events, "ended": ended}


def run(n: int = 100_000, reps: int = 9, follow_s: float = 8.0) -> dict:
    with tempfile.TemporaryDirectory(prefix="jf-bigrun-") as tmp:
        base = Path(tmp)
        home = base / "home"
        (base / "config").mkdir()
        info = fill(home, n)
        proc, url, token = start_server(home, base)
        try:
            get(url, token, "runs")   # warm: imports, the store's connection
            single = [get(url, token, "runs")[0] for _ in range(reps)]
            runs = json.loads(get(url, token, "runs")[1])["runs"]
            with ThreadPoolExecutor(6) as pool:
                t0 = time.perf_counter()
                list(pool.map(lambda _: get(url, token, "runs"), range(6)))
                six = time.perf_counter() - t0
            by_id = [get(url, token, f"runs/big/nodes/{info['node']}/log")[0] for _ in range(reps)]
            by_name = [get(url, token, f"runs/big/nodes/{info['display']}/log")[0] for _ in range(reps)]
            tail = [get(url, token, f"runs/big/nodes/{info['node']}/log?tail=65536")[0] for _ in range(reps)]
            followed = follow(url, token, info["huge_log"], follow_s)
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
    ms = lambda xs: round(statistics.median(xs) * 1000, 1)   # noqa: E731
    return {"nodes": n, "fill_s": round(info["fill_s"], 2), "listed": [(r["name"], r["progress"]) for r in runs],
            "list_ms": ms(single), "list_worst_ms": round(max(single) * 1000, 1), "list_6_concurrent_ms": round(six * 1000, 1),
            "log_by_id_ms": ms(by_id), "log_by_display_name_ms": ms(by_name), "log_tail_ms": ms(tail),
            "follow": followed, "target_list_ms": TARGET_LIST_MS, "list_met": ms(single) < TARGET_LIST_MS}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.server_bigrun", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=None, help="nodes of the big run (default 100000, smoke 2000)")
    ap.add_argument("--reps", type=int, default=None, help="repetitions of each timed request (default 9)")
    ap.add_argument("--follow", type=float, default=None, help="seconds of follow (default 8, smoke 1)")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--json", default=None, help="also write the results to this file")
    args = ap.parse_args(argv)
    result = run(n=args.nodes or (2000 if args.smoke else 100_000), reps=args.reps or (3 if args.smoke else 9),
                 follow_s=args.follow or (1.0 if args.smoke else 8.0))
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")
    return result


if __name__ == "__main__":
    main()
