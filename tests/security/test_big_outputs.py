"""A step's output files cannot take the engine's memory (issue 16.5).

An output parameter's ``valueFrom.path`` was read whole into memory: a step (even one confined
in a podman container) that leaves a 4 GB sparse file there (``truncate -s``, no disk used) made
the engine allocate gigabytes, the Jupyter kernel's when the engine runs in it. Now the file is
read up to ``limits.maxStringBytes`` and a bigger one is the node's error. The engine runs in a
subprocess with a 1.5 GB address-space cap, so the old code fails with a MemoryError.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))
from jupyter_flow import api
wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "big-out-"},
      "spec": {"entrypoint": "main", "templates": [{"name": "main",
          "container": {"image": "busybox", "command": ["sh", "-c", sys.argv[1]]},
          "outputs": {"parameters": [{"name": "p", "valueFrom": {"path": "/tmp/p"}}]}}]}}
run = api.submit(wf, backend="local", wait=True, timeout=120)
node = run.node(run.name)
print(json.dumps({"phase": node.get("phase"), "message": node.get("message", ""),
                  "value": ((node.get("outputs") or {}).get("parameters") or [{}])[0].get("value")}))
"""


def _run(tmp_path, command: str, **env) -> dict:
    full = dict(os.environ, JUPYTER_FLOW_HOME=str(tmp_path / "home"), PYTHONPATH=str(ROOT),
                JUPYTER_FLOW_SANDBOX="auto", **env)
    out = subprocess.run([sys.executable, "-c", SCRIPT, command], capture_output=True, text=True, env=full,
                         timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(autouse=True)
def sandbox():
    from jupyter_flow.executors import sandbox as sb
    if sb.available() is None:
        pytest.skip("the step's /tmp/p must be its own (bubblewrap sandbox)")


def test_a_huge_output_parameter_file_is_an_error_not_a_memory_bomb(tmp_path):
    got = _run(tmp_path, "truncate -s 4G /tmp/p")
    assert got["phase"] == "Error" and "is over 16777216 bytes" in got["message"], got


def test_the_budget_is_the_configured_string_limit(tmp_path):
    got = _run(tmp_path, "printf 'a\\r\\nb\\n' > /tmp/p; head -c 2000 /dev/zero | tr '\\0' x >> /tmp/p",
               JUPYTER_FLOW_MAX_STRING_BYTES="1000")
    assert got["phase"] == "Error" and "is over 1000 bytes" in got["message"], got
    got = _run(tmp_path, "printf 'a\\r\\nb\\n' > /tmp/p")
    assert got["phase"] == "Succeeded" and got["value"] == "a\r\nb", got   # the file's bytes, as Argo
