"""The local executor's posix_spawn start: what Popen(start_new_session, close_fds, DEVNULL) gave."""
import os
import shutil

import pytest

from jupyter_flow.executors import spawn


def _run(argv, log_fd=None, cwd=None):
    proc = spawn.spawn(argv, cwd, dict(os.environ), log_fd)
    out = b""
    while chunk := os.read(proc.stdout.fileno(), 65536):
        out += chunk
    proc.stdout.close()
    return proc, proc.wait(), out.decode()


def test_spawn_fast_path_matches_popen(tmp_path, monkeypatch):
    monkeypatch.setattr(spawn, "_stray", (float("-inf"), None))   # list the descriptors again
    bash = shutil.which("bash")
    stray_r, stray_w = os.pipe()
    os.set_inheritable(stray_w, True)   # a descriptor a terminal/kernel handed down: close_fds keeps it from steps
    log = os.open(tmp_path / "log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        script = (f"test -e /proc/self/fd/{stray_w} && echo leaked; echo err >&2; "
                  "readlink /proc/self/fd/0; ps -o sid= -p $$; echo $$; yes | head -1; exit 3")
        proc, code, out = _run([bash, "-c", script], log)
    finally:
        os.close(log)
        os.close(stray_r)
        os.close(stray_w)
    assert isinstance(proc, spawn._Spawned)
    lines = out.split()
    assert "leaked" not in out
    assert lines[0] == "/dev/null"
    assert lines[1] == lines[2]            # its own session
    assert lines[3] == "y"                 # SIGPIPE back to default (Python ignores it)
    assert code == 3
    assert (tmp_path / "log").read_text() == "err\n"


def test_spawn_errors_like_popen(tmp_path):
    with pytest.raises(OSError) as info:
        spawn.spawn([str(tmp_path / "missing")], None, dict(os.environ), None)
    assert "missing" in str(info.value)


def test_spawn_with_cwd_uses_popen(tmp_path):
    proc, code, out = _run([shutil.which("pwd")], cwd=str(tmp_path))
    assert not isinstance(proc, spawn._Spawned)
    assert out.strip() == str(tmp_path) and code == 0
