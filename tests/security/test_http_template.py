"""HTTP templates, which the engine runs itself, cannot read the host's files or fill its memory
(issue 16.3/16.5).

Argo runs an HTTP template in its agent pod with Go's HTTP client; here urllib ran it inside the
engine, so ``url: file:///home/u/.ssh/id_rsa`` with ``successCondition: "true"`` put the host file
in the node's ``outputs.result`` from the workflow text alone (no step, no sandbox, no container),
and ``file:///dev/zero`` or a big response was read whole into the engine's memory.
"""
from __future__ import annotations

import http.server
import threading

import pytest

from jupyter_flow import api


def _wf(url: str, cond: str | None = "true") -> dict:
    http = {"url": url, "timeoutSeconds": 10}
    if cond:
        http["successCondition"] = cond
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "http-"},
            "spec": {"entrypoint": "main", "templates": [{"name": "main", "http": http}]}}


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "victim-home" / ".ssh" / "id_rsa"
    path.parent.mkdir(parents=True)
    path.write_text("SECRET-KEY\n")
    return path


@pytest.mark.parametrize("url", ["file://{secret}", "FILE://{secret}", "file:{secret}", "{secret}"])
def test_an_http_template_never_reads_a_host_file(secret, url):
    run = api.submit(_wf(url.format(secret=secret)), wait=True, timeout=60)
    node = run.node(run.name)
    assert "SECRET" not in str(node.get("outputs"))
    assert node["phase"] == "Error" and "not a network URL" in node["message"]


@pytest.fixture
def big_server():
    body = b"x" * (4 << 20)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except OSError:
                pass

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/big"
    server.shutdown()
    server.server_close()


def test_a_response_over_the_string_budget_is_an_error(big_server, monkeypatch):
    monkeypatch.setenv("JUPYTER_FLOW_MAX_STRING_BYTES", str(1 << 20))
    run = api.submit(_wf(big_server, cond=None), wait=True, timeout=60)
    node = run.node(run.name)
    assert node["phase"] == "Error" and "over 1048576 bytes" in node["message"]
    assert len(str(node.get("outputs") or "")) < (1 << 20)


def test_a_response_within_the_budget_is_the_result(big_server, monkeypatch):
    monkeypatch.setenv("JUPYTER_FLOW_MAX_STRING_BYTES", str(8 << 20))
    run = api.submit(_wf(big_server, cond=None), wait=True, timeout=60)
    node = run.node(run.name)
    assert node["phase"] == "Succeeded" and len(node["outputs"]["result"]) == 4 << 20
