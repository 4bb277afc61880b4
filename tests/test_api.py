"""The Python API: submit(), Run, get(), runs(), lint() against the real engine and store."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

import jupyter_flow
from jupyter_flow.errors import JupyterFlowError, RunNotFound, SpecError

HELLO = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: hello-}
spec:
  entrypoint: main
  arguments: {parameters: [{name: who, value: world}]}
  templates:
  - name: main
    inputs: {parameters: [{name: who}]}
    container: {image: busybox, command: [echo, "hello {{inputs.parameters.who}}"]}
"""


def test_submit_text_wait_and_read():
    run = jupyter_flow.submit(HELLO, parameters={"who": "notebook"}, wait=True)
    assert run.phase == "Succeeded" and run.finished
    assert run.name.startswith("hello-") and len(run.name) == len("hello-") + 5
    assert run.outputs[run.name]["result"] == "hello notebook"
    assert run.logs(run.name) == "hello notebook\n"
    assert run.logs() == f"{run.name}: hello notebook\n"
    wf = run.to_dict()
    assert wf["status"]["phase"] == "Succeeded" and wf["status"]["progress"] == "1/1"
    assert jupyter_flow.get("@latest").name == run.name
    assert [r.name for r in jupyter_flow.runs()] == [run.name]
    assert "✔" in str(run) and repr(run) == f"<Run {run.name} Succeeded>"


def test_submit_dict_and_live_events():
    import yaml
    events = []
    run = jupyter_flow.submit(yaml.safe_load(HELLO))
    ctl = run._live
    if ctl is not None:
        ctl.subscribe(events.append)
    assert run.wait(30) == "Succeeded"
    if ctl is not None and events:
        assert events[-1]["kind"] == "run" and events[-1]["phase"] == "Succeeded"


def test_invalid_spec_raises_with_locations_and_stores_nothing():
    bad = HELLO.replace("command: [echo", "command: [echo").replace("inputs: {parameters: [{name: who}]}",
                                                                      "inputs: {parameters: {name: who}}")
    with pytest.raises(SpecError) as info:
        jupyter_flow.submit(bad, filename="bad.yaml")
    assert any(e.file == "bad.yaml" and e.line > 0 and "expected a list" in e.message for e in info.value.errors)
    assert jupyter_flow.runs() == []
    assert jupyter_flow.lint(bad, "bad.yaml")
    assert jupyter_flow.lint(HELLO) == []


def test_get_unknown_run():
    with pytest.raises(RunNotFound):
        jupyter_flow.get("missing")
    with pytest.raises(RunNotFound):
        jupyter_flow.get("@latest")


def test_stop_in_process_run_kills_steps_and_runs_exit_handler():
    wf = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: stop-}
spec:
  entrypoint: main
  onExit: bye
  templates:
  - name: main
    steps:
    - - {name: a, template: sleep}
      - {name: b, template: sleep}
  - name: sleep
    container: {image: busybox, command: [sleep, "30"]}
  - name: bye
    container: {image: busybox, command: [echo, bye]}
"""
    run = jupyter_flow.submit(wf)
    deadline = time.time() + 20
    while time.time() < deadline:
        if sum(1 for n in run.nodes.values() if n["type"] == "Pod" and n["phase"] == "Running") == 2:
            break
        time.sleep(0.05)
    t0 = time.time()
    run.stop()
    assert run.wait(10) == "Failed"
    assert time.time() - t0 < 5
    nodes = {n["displayName"]: n for n in run.nodes.values()}
    assert nodes["a"]["phase"] == "Failed" and "shutdown" in nodes["a"]["message"]
    assert nodes[f"{run.name}.onExit"]["phase"] == "Succeeded"
    with pytest.raises(JupyterFlowError):
        run.resume()


def test_engine_death_marks_run_error_and_retry_completes(tmp_path):
    """kill -9 the engine owning a run: the next reader marks it Error, keeps outputs, retry finishes it."""
    marker = tmp_path / "go"
    wf = tmp_path / "wf.yaml"
    wf.write_text(f"""
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {{generateName: crash-}}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {{name: first, template: quick}}
    - - {{name: second, template: wait}}
  - name: quick
    container: {{image: busybox, command: [echo, first-done]}}
  - name: wait
    container: {{image: alpine, command: [sh, -c, "while [ ! -f {marker} ]; do sleep 0.1; done; echo second-done"]}}
""")
    env = dict(os.environ, JUPYTER_FLOW_SANDBOX="off")
    name = subprocess.run([sys.executable, "-m", "jupyter_flow.cli", "submit", str(wf), "-o", "name"], env=env,
                          capture_output=True, text=True, check=True).stdout.strip()
    from jupyter_flow.store import open_store
    store = open_store()
    deadline = time.time() + 30
    while time.time() < deadline:
        nodes = {n["displayName"]: n for n in store.get_nodes(name).values()}
        if nodes.get("second", {}).get("phase") == "Running":
            break
        time.sleep(0.05)
    else:
        pytest.fail("second step never started")
    owner = store.get_run(name, with_nodes=False).owner_pid
    pids = [int(p) for p in (store.run_dir(name) / "pids").read_text().split()]
    os.kill(owner, signal.SIGKILL)
    time.sleep(0.3)
    run = jupyter_flow.get(name)
    assert run.phase == "Error"
    nodes = {n["displayName"]: n for n in run.nodes.values()}
    assert nodes["first"]["phase"] == "Succeeded" and nodes["first"]["outputs"]["result"] == "first-done"
    assert nodes["second"]["phase"] == "Error" and nodes["second"]["message"] == "engine exited"
    time.sleep(0.2)
    from jupyter_flow.store.db import pid_alive
    for pid in pids:   # no orphan step processes survive their engine (zombies await a reaper)
        assert not pid_alive(pid)
    marker.write_text("go")
    os.environ["JUPYTER_FLOW_SANDBOX"] = "off"
    try:
        again = run.retry(wait=True)
    finally:
        del os.environ["JUPYTER_FLOW_SANDBOX"]
    assert again.phase == "Succeeded"
    nodes = {n["displayName"]: n for n in again.nodes.values()}
    assert nodes["second"]["outputs"]["result"] == "second-done"
    assert nodes["first"]["outputs"]["result"] == "first-done"


TWICE = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: twice-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: generate, template: say, arguments: {parameters: [{name: w, value: outer}]}}
    - - {name: inner, template: inner}
    - - {name: last, template: say, arguments: {parameters: [{name: w, value: last}]}}
  - name: inner
    steps:
    - - {name: generate, template: say, arguments: {parameters: [{name: w, value: inner}]}}
  - name: say
    inputs: {parameters: [{name: w}]}
    container: {image: busybox, command: [echo, "{{inputs.parameters.w}}"]}
"""


def test_outputs_are_keyed_by_node_and_a_shared_display_name_is_refused():
    """Two steps called ``generate`` (in different templates) both keep their outputs; the
    display-name shortcut names them both instead of returning whichever came last."""
    from jupyter_flow.errors import AmbiguousNode
    run = jupyter_flow.submit(TWICE, wait=True)
    assert run.phase == "Succeeded"
    gens = {n["id"]: n for n in run.nodes.values() if n["displayName"] == "generate"}
    assert len(gens) == 2
    outputs = run.outputs
    assert {outputs[nid]["result"] for nid in gens} == {"outer", "inner"}   # keyed by node id
    assert set(gens) <= set(outputs)
    for nid, n in gens.items():   # a full node name is unambiguous too
        assert outputs[n["name"]]["result"] == outputs[nid]["result"]
        assert run.node(n["name"])["id"] == nid
    with pytest.raises(AmbiguousNode) as err:
        outputs["generate"]
    assert isinstance(err.value, KeyError) and isinstance(err.value, JupyterFlowError)
    for nid, n in gens.items():
        assert nid in str(err.value) and n["name"] in str(err.value)
    assert outputs["last"]["result"] == "last"   # a unique display name still works (README)
    with pytest.raises(KeyError):
        outputs["nope"]
    with pytest.raises(AmbiguousNode):
        run.logs("generate")
    with pytest.raises(AmbiguousNode):
        run.node("generate")
    assert run.logs(next(iter(gens))) in ("outer\n", "inner\n")


def test_cli_logs_of_an_ambiguous_display_name_lists_the_nodes():
    run = jupyter_flow.submit(TWICE, wait=True)
    proc = subprocess.run([sys.executable, "-m", "jupyter_flow.cli", "logs", run.name, "generate"],
                          capture_output=True, text=True, env=os.environ.copy(), timeout=60)
    assert proc.returncode != 0
    gens = [n for n in run.nodes.values() if n["displayName"] == "generate"]
    assert all(n["id"] in proc.stderr for n in gens), proc.stderr
