"""A nodeSelector on the well-known node labels this machine does not carry (engine/scheduling.py):
on Argo the pod stays Unschedulable; here no other node can come, so the step errors at once."""
from __future__ import annotations

from jupyter_flow import api
from jupyter_flow.engine.scheduling import this_node


def _wf(step_selector: dict | None = None, wf_selector: dict | None = None) -> dict:
    tmpl = {"name": "main", "container": {"image": "busybox", "command": ["echo", "ran"]}}
    if step_selector is not None:
        tmpl["nodeSelector"] = step_selector
    spec = {"entrypoint": "main", "templates": [tmpl]}
    if wf_selector is not None:
        spec["nodeSelector"] = wf_selector
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "sched-"},
            "spec": spec}


def test_a_selector_for_another_architecture_errors_the_step_with_the_schedulers_reason():
    run = api.submit(_wf({"beta.kubernetes.io/arch": "no-such-arch"}), wait=True, timeout=60)
    assert run.phase == "Error"
    node = run.node(run.name)
    assert node["phase"] == "Error"
    assert node["message"].startswith("Unschedulable: 0/1 nodes are available: 1 node(s) didn't match")
    assert "no-such-arch" in node["message"] and "ran" not in run.logs()


def test_this_machines_arch_and_os_and_unknown_labels_run():
    here = this_node()
    run = api.submit(_wf({"kubernetes.io/arch": here["arch"], "kubernetes.io/os": here["os"],
                          "node-type": "gpu"}), wait=True, timeout=60)
    assert run.phase == "Succeeded", run.node(run.name).get("message")


def test_the_workflows_selector_applies_unless_the_template_has_its_own():
    assert api.submit(_wf(wf_selector={"kubernetes.io/os": "windows"}), wait=True, timeout=60).phase == "Error"
    run = api.submit(_wf({"kubernetes.io/os": this_node()["os"]}, wf_selector={"kubernetes.io/os": "windows"}),
                     wait=True, timeout=60)
    assert run.phase == "Succeeded"
