"""The standalone server's auth: a bearer token on every route, a kept 0600 token, loopback only."""
from __future__ import annotations

import json
import os
import stat

import pytest
import requests

from .conftest import free_port, start_server, stop_server

# one request per route of docs/argo-server.md (implemented or not), and paths outside the API
ROUTES = [
    ("GET", "version"), ("GET", "info"), ("GET", "userinfo"),
    ("GET", "workflows/default"), ("GET", "workflows/"), ("POST", "workflows/default"),
    ("POST", "workflows/default/lint"), ("POST", "workflows/default/submit"),
    ("GET", "workflows/default/w"), ("DELETE", "workflows/default/w"),
    *[("PUT", f"workflows/default/w/{a}") for a in
      ("resume", "suspend", "stop", "terminate", "retry", "resubmit", "set")],
    ("GET", "workflows/default/w/log"), ("GET", "workflows/default/w/w-pod/log"),
    ("GET", "workflow-events/default"),
    ("GET", "workflow-templates/default"), ("POST", "workflow-templates/default"),
    ("POST", "workflow-templates/default/lint"), ("GET", "workflow-templates/default/t"),
    ("PUT", "workflow-templates/default/t"), ("DELETE", "workflow-templates/default/t"),
    ("GET", "cluster-workflow-templates"), ("POST", "cluster-workflow-templates"),
    ("POST", "cluster-workflow-templates/lint"), ("GET", "cluster-workflow-templates/t"),
    ("PUT", "cluster-workflow-templates/t"), ("DELETE", "cluster-workflow-templates/t"),
    ("GET", "cron-workflows/default"), ("POST", "cron-workflows/default"), ("POST", "cron-workflows/default/lint"),
    ("GET", "cron-workflows/default/c"), ("PUT", "cron-workflows/default/c"), ("DELETE", "cron-workflows/default/c"),
    ("PUT", "cron-workflows/default/c/suspend"), ("PUT", "cron-workflows/default/c/resume"),
    ("GET", "archived-workflows"), ("GET", "workflow-event-bindings/default"), ("POST", "events/default/x"),
]
WORKFLOW = {"workflow": {"metadata": {"name": "w"}, "spec": {"entrypoint": "main", "templates": [
    {"name": "main", "container": {"image": "busybox", "command": ["true"]}}]}}}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token"}, {"Authorization": "Basic x"},
                                     {"Authorization": "Bearer"}])
def test_every_route_refuses_a_request_without_the_token(server, headers):
    for method, path in ROUTES + [("GET", "../../../etc/passwd"), ("GET", "")]:
        r = requests.request(method, f"{server.url}/api/v1/{path}", json=WORKFLOW, headers=headers, timeout=10)
        assert r.status_code == 401, (method, path, r.status_code, r.text)
        assert r.json()["code"] == 16
    for path in ("/", "/artifacts/default/w/n/a", "/metrics"):
        r = requests.get(server.url + path, headers=headers, timeout=10)
        assert r.status_code == 401, (path, r.status_code)
    # nothing was created
    ok = requests.get(f"{server.url}/api/v1/workflows/default", timeout=10,
                      headers={"Authorization": f"Bearer {server.token}"})
    assert ok.status_code == 200 and ok.json()["items"] == []


def test_a_token_is_made_at_first_start_kept_0600_and_reused(tmp_path):
    srv = start_server(tmp_path, token=None)
    try:
        path = tmp_path / "argo-server.token"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        token = path.read_text().strip()
        assert len(token) >= 32
        url = f"{srv.url}/api/v1/version"
        assert requests.get(url, timeout=10).status_code == 401
        assert requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code == 200
    finally:
        stop_server(srv)
    assert f"Bearer {token}" in (tmp_path / "server.log").read_text()   # printed, as Jupyter prints its token
    from jupyter_flow.argoserver.app import load_token
    assert load_token(tmp_path) == token   # the next start uses the same one


def test_a_token_file_others_can_read_or_a_symlink_is_refused(tmp_path):
    from jupyter_flow.argoserver.app import load_token
    path = tmp_path / "argo-server.token"
    path.write_text("x" * 40)
    os.chmod(path, 0o644)
    with pytest.raises(SystemExit, match="chmod 600"):
        load_token(tmp_path)
    path.unlink()
    (tmp_path / "elsewhere").write_text("y" * 40)
    path.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(OSError):
        load_token(tmp_path)
    assert (tmp_path / "elsewhere").read_text() == "y" * 40


def test_auth_mode_none_only_on_loopback(tmp_path, capsys):
    from jupyter_flow.argoserver.app import serve
    for host in ("0.0.0.0", "::", "192.0.2.1"):
        assert serve(host=host, port=free_port(), auth_mode="none", home=tmp_path) == 2
        assert "loopback" in capsys.readouterr().err
    srv = start_server(tmp_path, "--auth-mode", "none", token=None)
    try:
        url = f"{srv.url}/api/v1/workflows/default"
        assert requests.get(url, timeout=10).status_code == 200
        assert requests.get(url.replace("127.0.0.1", "localhost"), timeout=10).status_code == 200
        assert not (tmp_path / "argo-server.token").exists()
        # what a web page can send without asking: a text/plain POST (a drive-by submit) is refused
        r = requests.post(url, data=json.dumps(WORKFLOW), headers={"Content-Type": "text/plain"}, timeout=10)
        assert r.status_code == 415 and r.json()["code"] == 3
        # a page whose domain was re-pointed at 127.0.0.1 (DNS rebinding) sends its own Host: refused
        for method in ("GET", "POST"):
            r = requests.request(method, url, json=WORKFLOW, headers={"Host": "evil.example:2746"}, timeout=10)
            assert r.status_code == 403 and r.json()["code"] == 7, (method, r.text)
        assert requests.get(url, timeout=10).json()["items"] == []   # nothing was created
    finally:
        stop_server(srv)


def test_the_default_address_is_loopback():
    from jupyter_flow.cli import build_parser
    args = build_parser().parse_args(["server"])
    assert (args.host, args.port) == ("127.0.0.1", 2746)


def test_tls_with_a_given_certificate(tmp_path):
    """``--certfile``/``--keyfile``: HTTPS, the token still required (a self-signed cert made here)."""
    import datetime

    pytest.importorskip("cryptography")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import ipaddress
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    certfile, keyfile = tmp_path / "cert.pem", tmp_path / "key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    srv = start_server(tmp_path, "--certfile", str(certfile), "--keyfile", str(keyfile))
    try:
        url = f"https://127.0.0.1:{srv.port}/api/v1/version"
        assert requests.get(url, verify=str(certfile), timeout=10).status_code == 401
        r = requests.get(url, verify=str(certfile), headers={"Authorization": f"Bearer {srv.token}"}, timeout=10)
        assert r.status_code == 200 and r.json()["version"]
        with pytest.raises(requests.ConnectionError):   # no plain HTTP on the TLS port
            requests.get(f"http://127.0.0.1:{srv.port}/api/v1/version", timeout=10)
    finally:
        stop_server(srv)
