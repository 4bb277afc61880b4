"""An ``http`` input artifact is fetched on this machine within a byte budget and a deadline
(issue 16.3, red-team follow-up): a real server on loopback that streams for ever, or drips,
errors the node clearly and leaves no partial file, instead of filling the disk or hanging."""
from __future__ import annotations

import http.server
import threading
import time

import pytest

from jupyter_flow import api
from jupyter_flow.executors import sandbox as sb


@pytest.fixture
def server():
    stop = threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/slow-headers":   # a header line that never ends, a byte at a time
                try:
                    self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Drip: ")
                    while not stop.is_set():
                        self.wfile.write(b"x")
                        self.wfile.flush()
                        stop.wait(0.2)
                except OSError:
                    pass
                return
            self.send_response(200)
            if self.path == "/huge-declared":
                self.send_header("Content-Length", str(50 * 1024 ** 3))
            self.end_headers()
            try:
                if self.path == "/small":
                    self.wfile.write(b"hello\n")
                    return
                while not stop.is_set():   # for ever, or dripping a byte at a time
                    if self.path == "/drip":
                        self.wfile.write(b"x")
                        self.wfile.flush()
                        stop.wait(0.2)
                    else:
                        self.wfile.write(b"x" * 65536)
            except OSError:
                pass

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        stop.set()
        srv.shutdown()
        srv.server_close()


def _run(url: str, target: str):
    wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "fetch-"},
          "spec": {"entrypoint": "main", "templates": [
              {"name": "main", "inputs": {"artifacts": [{"name": "data", "path": target, "http": {"url": url}}]},
               "container": {"image": "busybox", "command": ["sh", "-c", f"cat {target}"]}}]}}
    run = api.submit(wf, backend="local", wait=True, timeout=60)
    return run.node(run.name)


@pytest.fixture(autouse=True)
def no_sandbox(monkeypatch):   # the artifact lands on the host, where its size is seen directly
    monkeypatch.setenv(sb.ENV_VAR, "off")


def test_an_endless_response_stops_at_the_byte_budget(flow_home, server, tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_FLOW_MAX_ARTIFACT_BYTES", str(1024 * 1024))
    target = tmp_path / "data.bin"
    node = _run(f"{server}/endless", str(target))
    assert node["phase"] == "Error", node
    assert "'data'" in node["message"] and "1048576 bytes" in node["message"], node["message"]
    assert "maxArtifactBytes" in node["message"]
    assert not target.exists()


def test_a_declared_length_over_the_budget_is_refused_before_reading(flow_home, server, tmp_path):
    target = tmp_path / "data.bin"
    started = time.monotonic()
    node = _run(f"{server}/huge-declared", str(target))   # over the 10 GiB default
    assert node["phase"] == "Error", node
    assert "53687091200 bytes" in node["message"], node["message"]
    assert time.monotonic() - started < 30
    assert not target.exists()


def test_a_dripping_response_stops_at_the_deadline(flow_home, server, tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_FLOW_ARTIFACT_FETCH_SECONDS", "2")
    target = tmp_path / "data.bin"
    started = time.monotonic()
    node = _run(f"{server}/drip", str(target))
    assert node["phase"] == "Error", node
    assert "longer than 2 s" in node["message"] and "artifactFetchSeconds" in node["message"], node["message"]
    assert time.monotonic() - started < 20
    assert not target.exists()


def test_headers_dripping_for_ever_stop_at_the_deadline(flow_home, server, tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_FLOW_ARTIFACT_FETCH_SECONDS", "2")
    target = tmp_path / "data.bin"
    started = time.monotonic()
    node = _run(f"{server}/slow-headers", str(target))
    assert node["phase"] == "Error", node
    assert "longer than 2 s" in node["message"], node["message"]
    assert time.monotonic() - started < 20
    assert not target.exists()


def test_a_response_within_the_budgets_is_fetched(flow_home, server, tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_FLOW_MAX_ARTIFACT_BYTES", "6")
    node = _run(f"{server}/small", str(tmp_path / "data.txt"))
    assert node["phase"] == "Succeeded", node
    assert node["outputs"]["result"] == "hello"


def test_a_bad_budget_is_an_error_naming_it(flow_home, server, tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_FLOW_MAX_ARTIFACT_BYTES", "lots")
    node = _run(f"{server}/small", str(tmp_path / "data.txt"))
    assert node["phase"] == "Error", node
    assert "JUPYTER_FLOW_MAX_ARTIFACT_BYTES" in node["message"], node["message"]
