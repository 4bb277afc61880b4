"""``jupyter_flow.debug``: the cell it writes, run in a fresh real kernel (nbclient), does what the step did."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import jupyter_flow

pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]

FAILING = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: dbg-}
spec:
  entrypoint: main
  arguments: {parameters: [{name: msg, value: hello}]}
  templates:
  - name: main
    steps:
    - - {name: gen, template: gen}
    - - name: use
        template: use
        arguments:
          parameters: [{name: x, value: "{{workflow.parameters.msg}}"}]
          artifacts: [{name: data, from: "{{steps.gen.outputs.artifacts.out}}"}]
  - name: gen
    container: {image: alpine, command: [sh, -c, "printf 'a,b\\n1,2\\n' > /tmp/o.csv"]}
    outputs: {artifacts: [{name: out, path: /tmp/o.csv}]}
  - name: use
    inputs:
      parameters: [{name: x}]
      artifacts: [{name: data, path: /tmp/data.csv}]
    script:
      image: python:3.11
      command: [python]
      env: [{name: GREETING, value: "hi {{inputs.parameters.x}}"}]
      source: |
        import os
        print("x is {{inputs.parameters.x}}", os.environ["GREETING"], "{{workflow.name}}")
        print(open("/tmp/data.csv").read())
        raise ValueError("boom {{inputs.parameters.x}} in {{pod.name}}")
"""


@pytest.fixture
def kernel_env(monkeypatch, flow_home):
    old = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + (os.pathsep + old if old else ""))
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return flow_home


def run_in_kernel(*sources: str, cwd: Path) -> list:
    """Run the cells in one fresh python3 kernel; returns the executed cells."""
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return nb.cells


def stdout_of(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")


def error_of(cell):
    errors = [o for o in cell.outputs if o.output_type == "error"]
    return (errors[0].ename, errors[0].evalue) if errors else None


def step_error(run, node: str) -> tuple[str, str]:
    """The exception the step's traceback ended with, from its log."""
    last = run.logs(node).rstrip("\n").splitlines()[-1]
    ename, _, evalue = last.partition(": ")
    return ename, evalue


def test_failing_script_step_raises_the_same_exception_in_a_fresh_kernel(kernel_env, tmp_path):
    run = jupyter_flow.submit(FAILING, wait=True)
    assert run.phase == "Failed"
    code = jupyter_flow.debug(run, "use")
    assert "ARTIFACTS = {'/tmp/data.csv': " in code and "WARNING" in code
    (cell,) = run_in_kernel(code, cwd=tmp_path)
    assert error_of(cell) == step_error(run, "use")
    assert error_of(cell)[1].startswith("boom hello in " + run.name)    # pod.name as the engine made it
    node = run.node("use")
    assert stdout_of(cell) == node["outputs"]["result"] + "\n"          # same output, artifact read locally
    assert "a,b\n1,2" in stdout_of(cell) and f"x is hello hi hello {run.name}" in stdout_of(cell)


def test_succeeding_script_step_prints_the_same(kernel_env, tmp_path):
    wf = FAILING.replace('raise ValueError("boom {{inputs.parameters.x}} in {{pod.name}}")', 'print("done")')
    run = jupyter_flow.submit(wf, wait=True)
    assert run.phase == "Succeeded"
    (cell,) = run_in_kernel(jupyter_flow.debug(run.name, "use"), cwd=tmp_path)
    assert error_of(cell) is None
    assert stdout_of(cell) == run.node("use")["outputs"]["result"] + "\n"


HOSTILE_SCRIPT = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: hostile-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: use
        template: use
        arguments: {parameters: [{name: x, value: "{{item}}"}]}
        withItems: [ITEM]
  - name: use
    inputs: {parameters: [{name: x}]}
    script:
      image: python:3.11
      command: [python]
      env: [{name: V, value: "{{inputs.parameters.x}}"}]
      source: |
        import os
        print(repr(os.environ["V"]))
"""


def hostile_value(marker: Path) -> str:
    return f"'''); import os; os.system('touch {marker}') #\"\"\"\n# x\nimport os; os.system('touch {marker}')"


def test_hostile_input_values_stay_data(kernel_env, tmp_path):
    import json
    marker = tmp_path / "pwned"
    value = hostile_value(marker)
    run = jupyter_flow.submit(HOSTILE_SCRIPT.replace("ITEM", json.dumps(value)), wait=True)
    assert run.phase == "Succeeded", run.to_dict()["status"].get("message")
    (pod,) = [n for n in run.nodes.values() if n["type"] == "Pod"]
    code = jupyter_flow.debug(run, pod["id"])
    compile(code, "<debug>", "exec")            # the value in the header and INPUTS breaks no literal
    (cell,) = run_in_kernel(code, cwd=tmp_path)
    assert error_of(cell) is None
    assert stdout_of(cell) == pod["outputs"]["result"] + "\n" == repr(value) + "\n"
    assert not marker.exists()


def test_container_step_bash_snippet_reproduces_output(flow_home, tmp_path):
    marker = tmp_path / "pwned"
    value = hostile_value(marker)
    wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "ctr-"},
          "spec": {"entrypoint": "main", "arguments": {"parameters": [{"name": "v", "value": value}]},
                   "templates": [{"name": "main", "container": {
                       "image": "alpine", "command": ["sh", "-c", 'echo "arg=$1 env=$V cwd=$(pwd)"; exit 3', "sh",
                                                      "{{workflow.parameters.v}}"],
                       "workingDir": str(tmp_path / "wd"),
                       "env": [{"name": "V", "value": "{{workflow.parameters.v}}$(HOME)"}]}}]}}
    run = jupyter_flow.submit(wf, wait=True)
    assert run.phase == "Failed"
    code = jupyter_flow.debug(run, run.name)
    assert code.startswith("%%bash\n")
    script = code.split("\n", 1)[1]
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env={"PATH": os.environ["PATH"]})
    assert out.returncode == 3
    assert out.stdout == run.logs(run.name)
    assert not marker.exists()


HERA_MODULE = '''
from hera.workflows import script


@script(constructor="runner")
def divide(a: int, label: str, items: list):
    print(label, items, type(a).__name__)
    return sum(items) // a
'''


def test_hera_runner_step_calls_the_function_with_its_inputs(kernel_env, tmp_path, monkeypatch):
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "jf_debug_hera.py").write_text(HERA_MODULE)
    monkeypatch.setenv("PYTHONPATH", f"{lib}{os.pathsep}{os.environ['PYTHONPATH']}")
    monkeypatch.syspath_prepend(str(lib))
    import jf_debug_hera
    from hera.workflows import Steps, Workflow
    marker = tmp_path / "pwned"
    with Workflow(generate_name="hera-dbg-", entrypoint="s") as w:
        with Steps(name="s"):
            jf_debug_hera.divide(arguments={"a": "0", "label": hostile_value(marker), "items": "[1, 2]"})
    run = jupyter_flow.submit(w, wait=True)
    assert run.phase == "Failed"
    code = jupyter_flow.debug(run, "divide")
    assert "from jf_debug_hera import divide" in code
    (cell,) = run_in_kernel(code, cwd=tmp_path)
    assert error_of(cell) == ("ZeroDivisionError", "integer division or modulo by zero")
    assert error_of(cell) == step_error(run, "divide")
    assert stdout_of(cell) == f"{hostile_value(marker)} [1, 2] int\n"
    assert not marker.exists()


def test_papermill_step_points_at_the_failing_cell(kernel_env, tmp_path):
    import nbformat
    from jupyter_flow.notebook import papermill_template
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"),
                                         nbformat.v4.new_code_cell("print('before')"),
                                         nbformat.v4.new_code_cell("1 / (x - 1)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "fails.ipynb"
    nbformat.write(nb, path)
    wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "pm-"},
          "spec": {"entrypoint": "nb", "templates": [papermill_template("nb", path)]}}
    run = jupyter_flow.submit(wf, wait=True, timeout=120)
    assert run.phase == "Failed"
    code = jupyter_flow.debug(run, run.name)
    (found,) = run.artifacts(artifact_name="notebook")
    assert f"NOTEBOOK = {str(found.stored)!r}" in code
    executed = nbformat.read(found.stored, as_version=4)
    failing = next(i for i, c in enumerate(executed.cells) if c.get("source") == "1 / (x - 1)")
    assert f"FAILING_CELL = {failing}" in code
    (cell,) = run_in_kernel(code, cwd=tmp_path)
    text = stdout_of(cell)
    assert f"cell {failing} failed:\n1 / (x - 1)\n" in text and "ZeroDivisionError: division by zero" in text


def test_debug_refuses_a_non_pod_node(flow_home):
    run = jupyter_flow.submit(FAILING, wait=True)
    with pytest.raises(jupyter_flow.errors.JupyterFlowError, match="Steps node"):
        jupyter_flow.debug(run, run.name)


def test_flow_debug_magic_sets_the_next_cell(kernel_env):
    """``%flow debug RUN NODE`` in a real kernel: the execute reply carries a set_next_input payload."""
    from jupyter_client.manager import start_new_kernel
    run = jupyter_flow.submit(FAILING, wait=True)
    km, kc = start_new_kernel(kernel_name="python3")
    try:
        kc.execute_interactive("%load_ext jupyter_flow", timeout=60)
        reply = kc.execute_interactive(f"%flow debug {run.name} use", timeout=60)
        assert reply["content"]["status"] == "ok"
        (payload,) = [p for p in reply["content"]["payload"] if p["source"] == "set_next_input"]
        assert payload["text"] == jupyter_flow.debug(run, "use") and payload["replace"] is False
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_import_stays_light():
    code = "import sys, jupyter_flow; print('jupyter_flow.debugcell' in sys.modules, callable(jupyter_flow.debug))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["False", "True"]


SHELL_RETRY = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: sh-retry-}
spec:
  entrypoint: main
  arguments: {parameters: [{name: word, value: "it's $HOME; `id`"}]}
  templates:
  - name: main
    retryStrategy: {limit: 1}
    inputs: {parameters: [{name: word, value: "{{workflow.parameters.word}}"}]}
    script:
      image: alpine
      command: [sh]
      source: |
        echo "attempt {{retries}}: {{inputs.parameters.word}}" ; echo JF_SCRIPT
        exit 4
"""


def test_shell_script_step_and_retry_attempt_as_a_bash_snippet(flow_home, tmp_path):
    """A non-Python script step: its substituted source in a quoted here-document (a line equal to
    the delimiter in the source cannot end it early), run as the step ran it; an attempt of a retried
    step sees its own {{retries}}."""
    run = jupyter_flow.submit(SHELL_RETRY, wait=True)
    assert run.phase == "Failed"
    for attempt in ("0", "1"):
        node = run.node(f"{run.name}({attempt})")
        code = jupyter_flow.debug(run, node["id"])
        out = subprocess.run(["bash", "-c", code.split("\n", 1)[1]], capture_output=True, text=True,
                             env={"PATH": os.environ["PATH"], "HOME": os.environ["HOME"]})
        assert out.returncode == 4
        # the value was substituted into shell code, in the step as here: $HOME and `id` ran in both
        assert out.stdout == run.logs(node["id"])
        assert out.stdout.startswith(f"attempt {attempt}: it's {os.environ['HOME']}; uid=")
        assert out.stdout.endswith("\nJF_SCRIPT\n")


def test_a_step_from_a_workflow_template_is_resolved_from_the_registry(store, kernel_env, tmp_path):
    store.put_template("WorkflowTemplate", "lib", {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate", "metadata": {"name": "lib"},
        "spec": {"templates": [{"name": "say", "inputs": {"parameters": [{"name": "w"}]}, "script": {
            "image": "python:3.11", "command": ["python"],
            "source": "print('from lib: {{inputs.parameters.w}}')\nraise KeyError('{{inputs.parameters.w}}')\n"}}]}})
    wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "ref-"},
          "spec": {"entrypoint": "main", "templates": [{"name": "main", "steps": [[{
              "name": "call", "templateRef": {"name": "lib", "template": "say"},
              "arguments": {"parameters": [{"name": "w", "value": "wt"}]}}]]}]}}
    run = jupyter_flow.submit(wf, wait=True, store=store)
    assert run.phase == "Failed"
    (cell,) = run_in_kernel(jupyter_flow.debug(run, "call"), cwd=tmp_path)
    assert stdout_of(cell) == "from lib: wt\n" and error_of(cell) == ("KeyError", "'wt'") == step_error(run, "call")
