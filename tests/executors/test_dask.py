"""The dask backend on a real LocalCluster (two worker processes)."""
from __future__ import annotations

import time

import pytest

pytest.importorskip("distributed", reason="dask[distributed] is not installed (pip install 'jupyter-flow[dask]')")

from jupyter_flow import api  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster
    cluster = LocalCluster(n_workers=2, threads_per_worker=2, processes=True, dashboard_address=None)
    client = Client(cluster, set_as_default=False)
    yield cluster.scheduler_address
    from jupyter_flow.executors.dask import _close_clients
    _close_clients()
    client.close()
    cluster.close()


@pytest.fixture
def dask_config(flow_home, cluster):
    (flow_home / "config.yaml").write_text(f"dask:\n  address: {cluster}\n")
    return cluster


WF = {
    "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "dask-"},
    "spec": {"entrypoint": "main", "templates": [
        {"name": "main", "dag": {"tasks": [
            {"name": "gen", "template": "gen"},
            {"name": "fan", "template": "use", "depends": "gen", "withItems": [1, 2],
             "arguments": {"parameters": [{"name": "n", "value": "{{item}}"},
                                          {"name": "msg", "value": "{{tasks.gen.outputs.parameters.out}}"}],
                           "artifacts": [{"name": "data", "from": "{{tasks.gen.outputs.artifacts.data}}"}]}}]}},
        {"name": "gen", "script": {"image": "python:3", "command": ["python"], "source":
            "import os, socket\nos.makedirs('/tmp/art', exist_ok=True)\n"
            "open('/tmp/art/a.txt','w').write('artifact')\nopen('/tmp/out','w').write('hi')\n"
            "import sys\nprint('to stderr', file=sys.stderr)\nprint('gen-done')\n"},
         "outputs": {"parameters": [{"name": "out", "valueFrom": {"path": "/tmp/out"}}],
                     "artifacts": [{"name": "data", "path": "/tmp/art"}]}},
        {"name": "use", "inputs": {"parameters": [{"name": "n"}, {"name": "msg"}],
                                   "artifacts": [{"name": "data", "path": "/in"}]},
         "container": {"image": "busybox", "command": ["sh", "-c"],
                       "args": ["echo n={{inputs.parameters.n}} msg={{inputs.parameters.msg}} $(cat /in/a.txt)"]}},
    ]}}


def test_steps_run_as_dask_tasks_with_outputs_inputs_and_logs(dask_config):
    run = api.submit(WF, backend="dask", wait=True, timeout=60)
    assert run.phase == "Succeeded", run.to_dict()["status"].get("message")
    gen = run.node("gen")
    assert gen["outputs"]["result"] == "gen-done"
    assert gen["outputs"]["parameters"][0]["value"] == "hi"
    assert gen["hostNodeName"].startswith("tcp://")        # it ran on a worker
    results = sorted(n["outputs"]["result"] for n in run.nodes.values()
                     if n["type"] == "Pod" and n["displayName"].startswith("fan"))
    assert results == ["n=1 msg=hi artifact", "n=2 msg=hi artifact"]
    logs = run.logs("gen")
    assert "to stderr" in logs and "gen-done" in logs       # streamed back from the worker
    assert "n=2 msg=hi artifact" in run.logs()


def test_logs_stream_while_running_and_stop_cancels(dask_config):
    wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "dask-stop-"},
          "spec": {"entrypoint": "main", "templates": [{"name": "main", "container": {
              "image": "busybox", "command": ["sh", "-c"], "args": ["echo started; sleep 60; echo never"]}}]}}
    run = api.submit(wf, backend="dask")
    deadline = time.monotonic() + 20
    while "started" not in run.logs() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "started" in run.logs(), "the log line did not stream back while the step ran"
    t0 = time.monotonic()
    run.stop()
    assert run.wait(20) == "Failed"
    assert time.monotonic() - t0 < 10
    node = run.node(run.name)
    assert "shutdown" in node["message"] and "never" not in run.logs()


def test_deadline_and_failure_exit_code(dask_config):
    wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "dask-dl-"},
          "spec": {"entrypoint": "main", "templates": [
              {"name": "main", "steps": [[{"name": "slow", "template": "slow"}, {"name": "bad", "template": "bad"}]]},
              {"name": "slow", "activeDeadlineSeconds": 1, "container": {"image": "busybox", "command": ["sleep", "30"]}},
              {"name": "bad", "container": {"image": "busybox", "command": ["sh", "-c", "exit 3"]}}]}}
    run = api.submit(wf, backend="dask", wait=True, timeout=30)
    assert run.phase == "Failed"
    assert "deadline" in run.node("slow")["message"]
    assert run.node("bad")["message"] == "Error (exit code 3)"


def test_unreachable_scheduler_is_a_clear_error(flow_home):
    (flow_home / "config.yaml").write_text("dask: {address: 'tcp://127.0.0.1:1'}\n")
    import dask
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "dask-x-"},
              "spec": {"entrypoint": "main", "templates": [{"name": "main", "container": {
                  "image": "busybox", "command": ["true"]}}]}}
        run = api.submit(wf, backend="dask", wait=True, timeout=30)
    msg = run.node(run.name)["message"]
    assert run.phase == "Error" and "dask" in msg and "tcp://127.0.0.1:1" in msg and repr(run.name) in msg
