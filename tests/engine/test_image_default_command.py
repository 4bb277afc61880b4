"""A container with no ``command`` runs its image's ENTRYPOINT, then ``args`` or else the image's
CMD, as Kubernetes does (executors/images.py holds the known images'). Real processes."""
from __future__ import annotations

from tests.engine.workflows import by_name, run, wf


def _steps(*containers: dict) -> dict:
    steps = [[{"name": f"s{i}", "template": f"t{i}"}] for i in range(len(containers))]
    return wf([{"name": "main", "steps": steps}]
              + [{"name": f"t{i}", "container": c} for i, c in enumerate(containers)])


def test_no_command_and_no_args_runs_the_images_cmd():
    # busybox's CMD is sh: with no input it exits 0 (docs template-defaults)
    r = run(_steps({"image": "busybox"}, {"image": "docker.io/library/alpine:3.23"}, {"image": "python:3.12"}))
    assert r.phase == "Succeeded", r.to_dict()["status"].get("message")


def test_args_replace_the_cmd():
    r = run(_steps({"image": "python:3.12-alpine", "args": ["python3", "-c", "print(6 * 7)"]},
                   {"image": "alpine", "args": ["echo", "hi from args"]}))
    assert r.phase == "Succeeded", r.to_dict()["status"].get("message")
    nodes = by_name(r)
    assert r.logs(nodes["s0"]["id"]).strip() == "42"
    assert r.logs(nodes["s1"]["id"]).strip() == "hi from args"


def test_an_unknown_image_without_command_is_an_error_naming_the_step():
    r = run(_steps({"image": "example.com/team/tool:1.0", "args": ["--help"]}))
    # Argo cannot build the pod (no entrypoint to look up): markNodeError, and the steps node around
    # it fails ("child ... failed"), so the workflow is Failed
    assert r.phase == "Failed"
    assert by_name(r)["s0"]["phase"] == "Error"
    message = by_name(r)["s0"]["message"]
    assert "'s0'" in message and "example.com/team/tool:1.0" in message and "command" in message
