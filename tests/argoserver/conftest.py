"""A real ``jupyter-flow server`` subprocess per test module: its own home, a free loopback port."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

TOKEN = "test-token-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, home: Path, port: int, token: str | None, proc: subprocess.Popen):
        self.home, self.port, self.token, self.proc = home, port, token, proc
        self.url = f"http://127.0.0.1:{port}"

    def env(self) -> dict:
        return dict(os.environ, JUPYTER_FLOW_HOME=str(self.home))


def start_server(home: Path, *args: str, token: str | None = TOKEN) -> Server:
    port = free_port()
    env = dict(os.environ, JUPYTER_FLOW_HOME=str(home))
    cmd = [sys.executable, "-m", "jupyter_flow.cli", "server", "--port", str(port), *args]
    if token:
        cmd += ["--token", token]
    log = open(home / "server.log", "wb")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError((home / "server.log").read_text())
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return Server(home, port, token, proc)
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("server did not start: " + (home / "server.log").read_text())


def stop_server(server: Server) -> None:
    server.proc.terminate()
    try:
        server.proc.wait(10)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait()


def _stop_detached_engines(home: Path) -> None:
    """Terminate the engines of this home's unfinished runs (a test that failed while a run was
    suspended leaves its engine waiting), and only those: their environment names the home."""
    import signal
    import sqlite3
    db = home / "runs.db"
    if not db.exists():
        return
    with sqlite3.connect(db, timeout=5) as conn:
        pids = {p for (p,) in conn.execute("SELECT owner_pid FROM runs WHERE phase IN ('Pending', 'Running')") if p}
    for pid in pids:
        try:
            if f"JUPYTER_FLOW_HOME={home}".encode() in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
                os.kill(pid, signal.SIGTERM)
        except OSError:
            pass


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("argohome")
    srv = start_server(home)
    yield srv
    stop_server(srv)
    _stop_detached_engines(home)
