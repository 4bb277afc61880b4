"""The state home is the user's alone (issue 16, item 6).

With the usual umask 022 the home used to be 0755 and ``runs.db`` 0644: another local user read
parameter values and step logs. Now the home and every directory the engine makes are 0700 and
every file it writes 0600 (artifacts keep only their owner's bits), set explicitly, whatever the
umask. The runs happen in a subprocess whose umask is 022; the last test shows, with a real
second (non-root) user, that the files cannot be read.
"""
from __future__ import annotations

import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cr3t-parameter-value"

WORKFLOW = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: private-run
spec:
  entrypoint: main
  arguments:
    parameters: [{name: token, value: %s}]
  templates:
  - name: main
    inputs:
      parameters: [{name: token}]
    outputs:
      artifacts: [{name: out, path: /tmp/out}]
    script:
      image: python
      command: [sh]
      source: |
        mkdir -p /tmp/out && echo "{{inputs.parameters.token}}" > /tmp/out/data.txt
        echo "log {{inputs.parameters.token}}"
""" % SECRET

# Runs in a fresh interpreter under umask 022: a run on this process's engine, a run on a
# detached engine (engine.log, pids), then the mode of everything under the home, taken while
# the store is open (SQLite removes -wal and -shm when its last connection closes).
SCRIPT = r"""
import json, os, sys
os.umask(0o022)
import jupyter_flow
from jupyter_flow import api
from jupyter_flow.store import open_store
store = open_store()
run = jupyter_flow.submit(sys.argv[1], wait=True, timeout=60)
assert run.phase == "Succeeded", run.to_dict()["status"]
detached = api.submit(sys.argv[1], name="detached-run", store=store, backend="local", detach=True)
assert detached.wait(60) == "Succeeded"
modes = {}
for dirpath, dirnames, filenames in os.walk(store.home):
    for entry in [dirpath] + [os.path.join(dirpath, f) for f in filenames]:
        st = os.lstat(entry)
        modes[os.path.relpath(entry, store.home)] = [oct(st.st_mode & 0o7777), os.path.isdir(entry)]
print(json.dumps(modes))
"""


def _run_under_umask_022(home: Path, tmp_path: Path) -> dict[str, list]:
    wf = tmp_path / "wf.yaml"
    wf.write_text(WORKFLOW)
    env = dict(os.environ, JUPYTER_FLOW_HOME=str(home), PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(wf)], capture_output=True, text=True, env=env,
                         timeout=180, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_home_dirs_are_0700_and_files_0600_under_umask_022(tmp_path):
    home = tmp_path / "state" / "jf-home"
    modes = _run_under_umask_022(home, tmp_path)
    assert modes["."] == ["0o700", True]
    for name in ("runs.db", "runs.db-wal", "runs.db-shm"):
        assert modes[name] == ["0o600", False], (name, modes.get(name))
    must = {"runs", "runs/private-run", "runs/private-run/logs", "runs/detached-run/engine.log",
            "runs/detached-run/pids", "runs/private-run/artifacts"}
    assert must <= set(modes), sorted(modes)
    logs = [p for p in modes if p.endswith(".log")]
    artifacts = [p for p in modes if "/artifacts/" in p]
    assert len(logs) >= 3 and any(p.endswith("data.txt") for p in artifacts), sorted(modes)
    checked = 0
    for p, (mode, is_dir) in modes.items():
        parts = p.split("/")
        if len(parts) > 4 and parts[2] == "nodes":
            continue   # the step's own filesystem (its sandbox root), inside a 0700 nodes/<id>/
        mode = int(mode, 8)
        if is_dir:
            assert mode == 0o700, (p, oct(mode))
        elif p.endswith((".log", "/pids")) or p.startswith("runs.db"):
            assert mode == 0o600, (p, oct(mode))
        elif p.endswith("/script"):
            assert mode & 0o077 == 0o055, (p, oct(mode))   # Argo's 0755 staged script, in a 0700 dir
            continue
        else:
            assert mode & 0o077 == 0, (p, oct(mode))   # artifacts keep their owner's bits only
        checked += 1
    assert checked >= 20, sorted(modes)


def test_a_home_left_open_by_an_older_version_is_closed_when_opened(tmp_path):
    import sqlite3
    home = tmp_path / "old-home"
    home.mkdir(mode=0o755)
    os.chmod(home, 0o755)
    (home / "runs").mkdir()
    os.chmod(home / "runs", 0o755)
    sqlite3.connect(home / "runs.db").close()
    os.chmod(home / "runs.db", 0o644)
    code = "from jupyter_flow.store import open_store; open_store()"
    env = dict(os.environ, JUPYTER_FLOW_HOME=str(home), PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-c", "import os; os.umask(0o022); " + code], check=True, env=env, timeout=60)
    assert stat.S_IMODE(os.stat(home).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(home / "runs").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(home / "runs.db").st_mode) == 0o600


OTHER_USER = "jfpermcheck"


@pytest.fixture
def other_user():
    """A real non-root local user (made once, if this test runs as root)."""
    if os.geteuid() != 0 or shutil.which("useradd") is None or shutil.which("runuser") is None:
        pytest.skip("needs root (to create a second, unprivileged user) and useradd/runuser")
    try:
        pwd.getpwnam(OTHER_USER)
    except KeyError:
        subprocess.run(["useradd", "--no-create-home", "--shell", "/bin/sh", OTHER_USER], check=True,
                       capture_output=True)
    return OTHER_USER


def _as(user: str, command: str) -> subprocess.CompletedProcess:
    return subprocess.run(["runuser", "-u", user, "--", "/bin/sh", "-c", command], capture_output=True, text=True,
                          errors="replace", timeout=30)


def test_another_local_user_cannot_read_the_runs(other_user, tmp_path):
    # a world-traversable place, as a home directory is (pytest's own tmp dirs are 0700)
    base = Path(tempfile.mkdtemp(prefix="jf-perm-", dir="/tmp"))
    try:
        os.chmod(base, 0o755)
        control = base / "readable.txt"
        control.write_text("anyone may read this\n")
        os.chmod(control, 0o644)
        assert _as(other_user, f"cat {control}").returncode == 0   # the other user can read what is open
        home = base / "jf-home"
        modes = _run_under_umask_022(home, tmp_path)
        log = next(p for p in modes if p.startswith("runs/private-run/logs/") and p.endswith(".log"))
        assert SECRET in (home / log).read_text()
        for target in (home / "runs.db", home / log, home / "runs" / "detached-run" / "engine.log"):
            out = _as(other_user, f"cat '{target}'")
            assert out.returncode != 0 and SECRET not in out.stdout, (target, out.stdout, out.stderr)
            assert "Permission denied" in out.stderr, out.stderr
        out = _as(other_user, f"ls '{home}'")
        assert out.returncode != 0 and "Permission denied" in out.stderr
        # and the files on their own, were the home ever opened up again
        os.chmod(home, 0o755)
        os.chmod(home / "runs", 0o755)
        os.chmod(home / "runs" / "private-run", 0o755)
        os.chmod(home / "runs" / "private-run" / "logs", 0o755)
        for target in (home / "runs.db", home / log):
            out = _as(other_user, f"cat '{target}'")
            assert out.returncode != 0 and SECRET not in out.stdout, (target, out.stdout)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_a_shared_directory_given_as_the_home_is_left_as_it_is(tmp_path):
    # JUPYTER_FLOW_HOME pointed at a directory that is not a jupyter-flow home (a sticky /tmp-like
    # one, or any open directory): it is not closed, but the runs in it are private
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    env = dict(os.environ, JUPYTER_FLOW_HOME=str(shared), PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-c", "import os; os.umask(0o022); "
                    "from jupyter_flow.store import open_store; open_store()"], check=True, env=env, timeout=60)
    assert stat.S_IMODE(os.stat(shared).st_mode) == 0o1777
    assert stat.S_IMODE(os.stat(shared / "runs").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(shared / "runs.db").st_mode) == 0o600
