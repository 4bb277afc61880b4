"""Hera objects are accepted as they are; @script functions run as local script steps.

(No ``from __future__ import annotations`` here: Hera reads the script functions' annotations
as classes.)
"""

import pytest

import jupyter_flow

hera = pytest.importorskip("hera.workflows")


@hera.script()
def produce(n: int):
    import json
    print(json.dumps([i * 10 for i in range(n)]))


@hera.script()
def consume(values: list, label: str = "sum"):
    import sys
    print(f"{label}={sum(values)} python={sys.version_info[0]}")


def test_hera_workflow_with_script_steps_runs_locally(store):
    with hera.Workflow(generate_name="hera-test-", entrypoint="main") as w:
        with hera.DAG(name="main"):
            a = produce(arguments={"n": 4})
            b = consume(arguments={"values": a.result, "label": "total"})
            a >> b
    # the Hera scripts ask for a python image; locally that is this interpreter
    assert w.to_dict()["spec"]["templates"][1]["script"]["image"].startswith("python:")
    run = jupyter_flow.submit(w, wait=True, store=store)
    assert run.phase == "Succeeded", run.to_dict()["status"].get("message")
    assert run.outputs["produce"]["result"] == "[0, 10, 20, 30]"
    assert run.outputs["consume"]["result"] == "total=60 python=3"


def test_hera_steps_with_parameters(store):
    with hera.Workflow(generate_name="hera-steps-", entrypoint="main",
                       arguments=hera.Parameter(name="n", value="2")) as w:
        with hera.Steps(name="main"):
            produce(arguments={"n": "{{workflow.parameters.n}}"})
    run = jupyter_flow.submit(w, parameters={"n": "3"}, wait=True, store=store)
    assert run.phase == "Succeeded"
    assert run.outputs["produce"]["result"] == "[0, 10, 20]"


def test_invalid_hera_workflow_is_a_spec_error(store):
    from jupyter_flow.errors import SpecError
    with hera.Workflow(generate_name="hera-bad-", entrypoint="missing") as w:
        with hera.Steps(name="main"):
            produce(arguments={"n": 1})
    with pytest.raises(SpecError) as info:
        jupyter_flow.submit(w, store=store)
    assert "missing" in str(info.value)
