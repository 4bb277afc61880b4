"""A shared directory given as the home keeps everything jupyter-flow puts in it private (issue 16.6).

``JUPYTER_FLOW_HOME`` may point at a directory that is not a jupyter-flow home (left open on
purpose); then ``runs/`` and ``runs.db`` are private, but a claim's data (``volumes/<claimName>``,
shared by the runs that mount it) and a detached sweep's scheduler log (``experiments/<name>.log``)
were made with the umask's 0755/0644: another local user read the steps' data and the sweep's
output there. Real subprocesses under umask 022, the real CLI.
"""
from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

WORKFLOW = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: shared-home-}
spec:
  entrypoint: main
  arguments: {parameters: [{name: x, value: "0"}]}
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: mydata}
  templates:
  - name: main
    container:
      image: busybox
      command: [sh, -c, "echo private-{{workflow.parameters.x}} > /data/out-{{workflow.parameters.x}}"]
      volumeMounts: [{name: data, mountPath: /data}]
"""


def test_volumes_and_sweep_logs_in_a_shared_home_are_private(tmp_path):
    from jupyter_flow.executors import sandbox as sb
    if sb.available() is None:
        pytest.skip("a volume is mounted at its mountPath only in the bubblewrap sandbox")
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)   # sticky, as /tmp: never closed (test_permissions)
    wf = tmp_path / "wf.yaml"
    wf.write_text(WORKFLOW)
    env = dict(os.environ, JUPYTER_FLOW_HOME=str(shared), PYTHONPATH=str(ROOT), JUPYTER_FLOW_SANDBOX="auto")
    umask = "import os, sys, runpy; os.umask(0o022); sys.argv = ['jupyter-flow'] + sys.argv[1:]; " \
            "runpy.run_module('jupyter_flow.cli', run_name='__main__')"
    cli = [sys.executable, "-c", umask]
    subprocess.run(cli + ["submit", str(wf), "--wait"], check=True, env=env, timeout=120, capture_output=True)
    subprocess.run(cli + ["submit", str(wf), "--sweep", "x=1,2", "--experiment", "sweep-a"], check=True, env=env,
                   timeout=120, capture_output=True)
    deadline = time.time() + 60
    while time.time() < deadline and len(list((shared / "volumes" / "mydata").glob("out-*"))) < 3:
        time.sleep(0.2)
    assert sorted(p.name for p in (shared / "volumes" / "mydata").iterdir()) == ["out-0", "out-1", "out-2"]
    assert stat.S_IMODE(os.stat(shared).st_mode) == 0o1777   # the shared directory is left as it is
    for entry in shared.iterdir():
        mode = stat.S_IMODE(os.lstat(entry).st_mode)
        assert mode & 0o077 == 0, (entry.name, oct(mode))
    log = shared / "experiments" / "sweep-a.log"
    assert log.exists() and stat.S_IMODE(os.stat(log).st_mode) == 0o600
