"""Tests for jupyter_flow.executors.sandbox with real bubblewrap processes.

Why these: Argo examples write fixed paths as if each step had its own pod; the sandbox must
keep parallel steps apart, expose their outputs to the engine, never touch the host outside
the step root, and die completely when the engine kills the process group.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
import warnings
from pathlib import Path

import pytest

from jupyter_flow.executors import sandbox as sb


@pytest.fixture(autouse=True)
def _auto_mode(monkeypatch):
    """Each test starts in auto mode with fresh availability/warn-once state."""
    monkeypatch.delenv(sb.ENV_VAR, raising=False)
    sb._reset_cache()
    yield
    sb._reset_cache()


def _bwrap_usable() -> str | None:
    if shutil.which("bwrap") is None:
        return "bwrap is not installed (apt-get install bubblewrap)"
    sb._reset_cache()
    try:
        if sb.available() is None:
            return "bwrap is installed but cannot create namespaces/mounts here"
    finally:
        sb._reset_cache()
    return None


_SKIP = _bwrap_usable()
needs_bwrap = pytest.mark.skipif(_SKIP is not None, reason=_SKIP or "")


def _run(p: sb.SandboxPlan, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(p.argv, cwd=p.cwd, capture_output=True, text=True, timeout=timeout,
                          start_new_session=True)


def _host_snapshot() -> dict[str, set[str]]:
    out = {}
    for d in ("/", "/mnt", "/work", "/var/lib", "/opt", "/usr/local/bin"):
        try:
            out[d] = set(os.listdir(d))
        except OSError:
            out[d] = set()
    return out


# --------------------------------------------------------------------------- isolation


@needs_bwrap
def test_parallel_steps_see_their_own_tmp(tmp_path):
    marker = "/tmp/num"
    before = os.path.exists(marker) and Path(marker).read_bytes()
    # Something the host has in /tmp (tmp_path itself lives there) must be invisible.
    (tmp_path / "host-file").write_text("host")
    script = f"echo {{v}} > /tmp/num; sleep 0.5; test ! -e {tmp_path}/host-file && ls -A /tmp && cat /tmp/num"
    plans = [sb.plan(["sh", "-c", script.format(v=v)], root=tmp_path / f"s{v}",
                     private_paths=["/tmp/num"], working_dir=None) for v in (1, 2, 3, 4)]
    procs = [subprocess.Popen(p.argv, stdout=subprocess.PIPE, text=True, start_new_session=True)
             for p in plans]
    outs = [pr.communicate(timeout=30)[0].strip() for pr in procs]
    assert [pr.returncode for pr in procs] == [0, 0, 0, 0]
    # /tmp holds only the step's own file, plus the host dirs deliberately kept visible
    # (the project checkout when it lives under /tmp, as in some CI layouts)
    shared = {os.path.relpath(d, "/tmp").split("/")[0] for d in plans[0].shared}
    outs = ["\n".join(line for line in out.splitlines() if line not in shared) for out in outs]
    assert outs == ["num\n1", "num\n2", "num\n3", "num\n4"]
    for v, p in zip((1, 2, 3, 4), plans):
        assert p.host_path("/tmp/num") == tmp_path / f"s{v}" / "fs" / "tmp" / "num"
        assert p.host_path("/tmp/num").read_text().strip() == str(v)
    after = os.path.exists(marker) and Path(marker).read_bytes()
    assert before == after, "the host /tmp/num must not be touched"


@needs_bwrap
def test_output_path_readable_after_exit(tmp_path):
    assert not os.path.exists("/mnt/out"), "test assumes /mnt/out does not exist on the host"
    p = sb.plan(["sh", "-c", "echo hello > /mnt/out/hello.txt && ls /mnt"], root=tmp_path,
                private_paths=["/mnt/out/hello.txt"], working_dir=None)
    # The engine can place inputs / see the private directory before start.
    assert p.host_path("/mnt/out").is_dir()
    res = _run(p)
    assert res.returncode == 0, res.stderr
    # Existing host children of /mnt stay visible next to the private one.
    assert set(res.stdout.split()) == set(os.listdir("/mnt")) | {"out"}
    assert p.host_path("/mnt/out/hello.txt").read_text() == "hello\n"
    assert not os.path.exists("/mnt/out")


@needs_bwrap
def test_input_file_placed_via_host_path(tmp_path):
    p = sb.plan(["cat", "/tmp/input-file", "/work/in/data.txt"], root=tmp_path,
                private_paths=["/tmp/input-file", "/work/in/data.txt"], working_dir=None)
    p.host_path("/tmp/input-file").write_text("one\n")
    p.host_path("/work/in/data.txt").write_text("two\n")
    res = _run(p)
    assert res.returncode == 0, res.stderr
    assert res.stdout == "one\ntwo\n"
    assert not os.path.exists("/work/in")


@needs_bwrap
def test_nothing_created_on_host(tmp_path):
    before = _host_snapshot()
    paths = ["/mnt/out/hello.txt", "/result.txt", "/my-artifact", "/work/x/y.txt",
             "/var/lib/influxdb/data", "/usr/local/bin/kubectl", "/go/src/github.com/golang/example",
             "/work/out.txt"]
    script = ("set -e; echo a > /mnt/out/hello.txt; echo b > /result.txt; mkdir /my-artifact; "
              "echo c > /work/x/y.txt; mkdir -p /var/lib/influxdb/data/db; echo k > /usr/local/bin/kubectl; "
              "mkdir -p /go/src/github.com/golang/example; echo o > /work/out.txt; "
              "echo z > /undeclared.txt; ls /work/main >/dev/null")
    p = sb.plan(["sh", "-c", script], root=tmp_path, private_paths=paths,
                working_dir="/work/sandbox-nothing-on-host",
                extra_binds=[(str(tmp_path), "/opt/jf-extra-bind")])
    res = _run(p)
    assert res.returncode == 0, res.stderr
    assert _host_snapshot() == before
    assert p.host_path("/result.txt").read_text() == "b\n"
    assert p.host_path("/my-artifact").is_dir()
    assert p.host_path("/usr/local/bin/kubectl").read_text() == "k\n"
    assert p.host_path("/undeclared.txt").read_text() == "z\n"
    assert p.host_path("/work/out.txt").read_text() == "o\n"
    # A declared leaf shadows nothing but itself: /usr/local/bin keeps its host content.
    p.remove_mountpoints()
    assert sorted(os.listdir(p.host_path("/work"))) == ["out.txt", "sandbox-nothing-on-host", "x"]


@needs_bwrap
def test_working_dir_private_when_missing(tmp_path):
    wd = "/work/sandbox-test-xyz"
    assert not os.path.exists(wd)
    p = sb.plan(["sh", "-c", "pwd; echo data > rel.txt; test -d /work/main && echo project-visible"],
                root=tmp_path, private_paths=[], working_dir=wd)
    res = _run(p)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == [wd, "project-visible"]
    assert p.host_path(f"{wd}/rel.txt").read_text() == "data\n"
    assert not os.path.exists(wd)


@needs_bwrap
def test_existing_working_dir_is_host(tmp_path):
    wd = os.path.dirname(os.path.abspath(sb.__file__))
    p = sb.plan(["sh", "-c", "pwd; ls sandbox.py"], root=tmp_path, working_dir=wd)
    res = _run(p)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == [wd, "sandbox.py"]
    assert p.host_path(wd) == Path(wd)


@needs_bwrap
def test_project_checkout_stays_reachable(tmp_path):
    """A private leaf under /work must not hide the checkout or the interpreter."""
    here = os.path.dirname(os.path.abspath(sb.__file__))
    code = f"import os; print(os.path.exists({os.path.join(here, 'sandbox.py')!r}))"
    p = sb.plan([sys.executable, "-c", code], root=tmp_path,
                private_paths=["/work/foo", "/work/main/foo.txt", os.path.join(sys.prefix, "x.txt")],
                working_dir=None)
    res = _run(p)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "True"


@needs_bwrap
def test_pythonpath_under_tmp_stays_importable(tmp_path, monkeypatch):
    """A step's private /tmp still shows PYTHONPATH's directories (a Hera runner step imports the
    user's module from there), and not the rest of the host's /tmp."""
    import json
    import tempfile
    lib = Path(tempfile.mkdtemp(prefix="jf-pylib-", dir="/tmp"))
    other = Path(tempfile.mkdtemp(prefix="jf-other-", dir="/tmp"))
    try:
        (lib / "jf_user_mod.py").write_text("VALUE = 41 + 1\n")
        monkeypatch.setenv("PYTHONPATH", str(lib))
        code = "import jf_user_mod, json, os; print(json.dumps([jf_user_mod.VALUE, os.listdir('/tmp')]))"
        p = sb.plan([sys.executable, "-c", code], root=tmp_path, private_paths=["/tmp/out.txt"], working_dir=None)
        res = _run(p)
        assert res.returncode == 0, res.stderr
        value, listing = json.loads(res.stdout)
        assert value == 42 and lib.name in listing and other.name not in listing
    finally:
        shutil.rmtree(lib, ignore_errors=True)
        shutil.rmtree(other, ignore_errors=True)


@needs_bwrap
def test_top_level_declared_directory_is_merged(tmp_path):
    """/work as a declared volume: new files are private, host content stays visible."""
    p = sb.plan(["sh", "-c", "echo v > /work/vol.txt && test -d /work/main"], root=tmp_path,
                private_paths=["/work"], working_dir=None)
    res = _run(p)
    assert res.returncode == 0, res.stderr
    assert p.host_path("/work/vol.txt").read_text() == "v\n"
    assert not os.path.exists("/work/vol.txt")


@needs_bwrap
def test_extra_binds_are_read_only(tmp_path):
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "s.sh").write_text("echo from-script\n")
    p = sb.plan(["sh", "-c", "sh /opt/jf-scripts/s.sh; echo x > /opt/jf-scripts/new 2>/dev/null || echo ro"],
                root=tmp_path / "root", private_paths=[], working_dir=None,
                extra_binds=[(str(scripts), "/opt/jf-scripts")])
    res = _run(p)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["from-script", "ro"]
    assert not os.path.exists("/opt/jf-scripts")
    assert not (scripts / "new").exists()


@needs_bwrap
def test_exit_code_env_and_stdin(tmp_path):
    p = sb.plan(["sh", "-c", "read x; echo $x $JF_TEST_VAR; exit 3"], root=tmp_path, working_dir=None)
    res = subprocess.run(p.argv, input="in\n", capture_output=True, text=True, timeout=30,
                         env={**os.environ, "JF_TEST_VAR": "env-ok"})
    assert res.returncode == 3
    assert res.stdout == "in env-ok\n"


@needs_bwrap
def test_host_path_of_host_bound_path_is_itself(tmp_path):
    p = sb.plan(["true"], root=tmp_path, private_paths=["/mnt/out/a.txt"], working_dir=None)
    assert p.host_path("/usr/bin") == Path("/usr/bin")
    assert p.host_path("/tmp") == tmp_path / "fs" / "tmp"
    assert p.host_path("/tmp/a/../b") == tmp_path / "fs" / "tmp" / "b"
    assert p.host_path("/mnt/out/a.txt") == tmp_path / "fs" / "mnt" / "out" / "a.txt"


# --------------------------------------------------------------------------- processes


def _pids_with_cmdline(needle: str) -> list[int]:
    """Live (non-zombie) host processes whose argv contains ``needle``."""
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{d}/cmdline").read_bytes().split(b"\0")
            state = Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if needle.encode() in cmd and state not in ("Z", "X"):
            found.append(int(d))
    return found


@needs_bwrap
def test_killing_process_group_kills_payload(tmp_path):
    tag = f"{100 + (uuid.uuid4().int % 1000) / 1000:.3f}"
    tag2 = f"{200 + (uuid.uuid4().int % 1000) / 1000:.3f}"
    # One child stays in the group; one escapes it with setsid (only the PID namespace gets it).
    p = sb.plan(["sh", "-c", f"setsid sleep {tag2} & sleep {tag} & wait"], root=tmp_path, working_dir=None)
    proc = subprocess.Popen(p.argv, start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if _pids_with_cmdline(tag) and _pids_with_cmdline(tag2):
                break
            time.sleep(0.02)
        assert _pids_with_cmdline(tag) and _pids_with_cmdline(tag2), "payload did not start"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline and (_pids_with_cmdline(tag) or _pids_with_cmdline(tag2)):
            time.sleep(0.02)
        assert not _pids_with_cmdline(tag), "sleep in the process group survived"
        assert not _pids_with_cmdline(tag2), "setsid'd sleep survived"
    finally:
        if proc.poll() is None:
            proc.kill()


@needs_bwrap
def test_payload_has_own_pid_namespace(tmp_path):
    p = sb.plan(["sh", "-c", "echo $$"], root=tmp_path, working_dir=None)
    res = _run(p)
    assert res.returncode == 0, res.stderr
    assert int(res.stdout) < 10


# --------------------------------------------------------------------------- network


@pytest.fixture
def tcp_server():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(5)
    stop = threading.Event()

    def serve():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            conn.sendall(b"hi")
            conn.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield srv.getsockname()[1]
    stop.set()
    t.join()
    srv.close()


_CONNECT = ("import socket,sys\n"
            "try:\n s=socket.create_connection(('127.0.0.1',{port}),timeout=3); print(s.recv(2).decode())\n"
            "except OSError as e: print('refused'); sys.exit(1)\n")


@needs_bwrap
@pytest.mark.parametrize("network", [True, False])
def test_network_flag(tmp_path, tcp_server, network):
    p = sb.plan([sys.executable, "-c", _CONNECT.format(port=tcp_server)], root=tmp_path,
                working_dir=None, network=network)
    res = _run(p)
    if network:
        assert (res.returncode, res.stdout.strip()) == (0, "hi"), res.stderr
    else:
        assert (res.returncode, res.stdout.strip()) == (1, "refused"), res.stderr


# --------------------------------------------------------------------------- availability / fallback


def test_off_returns_identity_and_warns_once(tmp_path, monkeypatch):
    monkeypatch.setenv(sb.ENV_VAR, "off")
    assert sb.available() is None
    with pytest.warns(RuntimeWarning, match="share /tmp"):
        p = sb.plan(["echo", "x"], root=tmp_path, private_paths=["/mnt/out/x"], working_dir=None)
    assert p.argv == ["echo", "x"]
    assert p.cwd is None
    assert p.host_path("/mnt/out/x") == Path("/mnt/out/x")
    assert p.host_path("/tmp/num") == Path("/tmp/num")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sb.warn_once()
        sb.plan(["true"], root=tmp_path, working_dir=None)


def test_off_working_dir_is_cwd(tmp_path, monkeypatch):
    monkeypatch.setenv(sb.ENV_VAR, "off")
    with pytest.warns(RuntimeWarning):
        p = sb.plan(["pwd"], root=tmp_path, working_dir=str(tmp_path / "wd"))
    assert p.cwd == str(tmp_path / "wd")
    assert (tmp_path / "wd").is_dir()


def test_missing_bwrap_falls_back_or_raises(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap on PATH
    assert sb.available() is None
    monkeypatch.setenv(sb.ENV_VAR, "bwrap")
    with pytest.raises(sb.SandboxUnavailable, match="not installed"):
        sb.available()


@needs_bwrap
def test_available_is_cached(monkeypatch):
    calls = []
    real = sb._probe_bwrap
    monkeypatch.setattr(sb, "_probe_bwrap", lambda exe: calls.append(exe) or real(exe))
    assert sb.available() == "bwrap"
    assert sb.available() == "bwrap"
    assert len(calls) == 1
    monkeypatch.setenv(sb.ENV_VAR, "bwrap")
    assert sb.available() == "bwrap"


def test_relative_paths_rejected(tmp_path):
    if sb.available() is None:
        pytest.skip("only checked when sandboxing: the fallback ignores paths")
    with pytest.raises(ValueError):
        sb.plan(["true"], root=tmp_path, private_paths=["tmp/x"], working_dir=None)
