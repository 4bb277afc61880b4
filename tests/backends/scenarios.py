"""Workflows and comparisons shared by the test-double scenarios and the real-cluster module.

Each scenario is a plain Workflow dict, so the same ones run against ``FakeKube`` (with the process
kubelet double) and against a real cluster (``test_real_cluster.py``). Images are ``busybox``.
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import yaml

from tests.upstream import EXAMPLES as UPSTREAM  # the one corpus location; fails if absent

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SEEDS = ("hello-world.yaml", "steps.yaml", "dag-diamond.yaml")


def seed(name: str) -> dict:
    return yaml.safe_load((EXAMPLES / name).read_text())


def wf(prefix: str, templates: list, entrypoint: str = "main", **spec) -> dict:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": prefix + "-"},
            "spec": {"entrypoint": entrypoint, "templates": templates, **spec}}


def sh(name: str, script: str, **extra) -> dict:
    return {"name": name, "container": {"image": "busybox", "command": ["sh", "-c"], "args": [script], **extra}}


# a pod still running while a suspend node waits next to it
SUSPEND = wf("suspend", [
    {"name": "main", "steps": [[{"name": "work", "template": "work"}, {"name": "approve", "template": "approve"}],
                               [{"name": "after", "template": "after"}]]},
    sh("work", "echo started; sleep 2; echo done"), {"name": "approve", "suspend": {}}, sh("after", "echo after")])
# a pod that prints, then runs until it is stopped
LONG = wf("long", [sh("main", "echo first line; sleep 60")])
# a non-zero exit
FAIL = wf("fail", [sh("main", "echo oops; exit 3")])


def retry_workflow(volume: dict) -> dict:
    """``ok`` succeeds; ``flaky`` fails until the file ``ok`` is in ``volume`` (mounted at /tmp/shared).

    The test double binds a ``hostPath``; on a real cluster a ConfigMap volume the test fills in.
    """
    return wf("retry", [
        {"name": "main", "steps": [[{"name": "ok", "template": "ok"}], [{"name": "flaky", "template": "flaky"}]]},
        sh("ok", "echo ok"),
        sh("flaky", "test -e /tmp/shared/ok && echo recovered", volumeMounts=[{"name": "shared",
                                                                                "mountPath": "/tmp/shared"}])],
        volumes=[dict(volume, name="shared")])


def shape(run) -> list[tuple]:
    """The tree Argo and the engine must agree on: names, types, phases, templates, children."""
    return sorted(t[:5] + t[6:7] for t in tree(run))


def tree(run) -> list[tuple]:
    """The node tree without run-specific names/ids/times: what must match the local backend's."""
    nodes = run.to_dict()["status"]["nodes"]
    name = run.name

    def rel(text: str) -> str:
        return re.sub("^" + re.escape(name), "RUN", text or "")
    out = []
    for n in nodes.values():
        outputs = n.get("outputs") or {}
        out.append((rel(n["name"]), n.get("displayName") == name and "RUN" or n.get("displayName"), n["type"],
                    n["phase"], n.get("templateName"), n.get("message") or "",
                    tuple(sorted(rel(nodes[c]["name"]) for c in n.get("children") or [] if c in nodes)),
                    outputs.get("result"), outputs.get("exitCode"),
                    tuple((p["name"], p.get("value")) for p in outputs.get("parameters") or [])))
    return sorted(out)


def pod_logs(run) -> dict[str, str]:
    nodes = run.to_dict()["status"]["nodes"]
    return {re.sub("^" + re.escape(run.name), "RUN", n["name"]): run.logs(n["id"])
            for n in nodes.values() if n["type"] == "Pod"}


def until(predicate, timeout: float = 30.0, what: str = "condition"):
    """Poll the store-backed run state until ``predicate()`` is truthy (runs progress on other threads)."""
    deadline = time.monotonic() + timeout
    delay = 0.01
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(delay)
        delay = min(delay * 1.5, 0.1)
    raise AssertionError(f"timed out waiting for {what}")


def node(run, display: str) -> dict:
    """A node by display name, ``{}`` until it exists."""
    return next((n for n in run.nodes.values() if n.get("displayName") == display), {})


def log_of(run, display: str) -> str:
    """The node's log so far, ``""`` until the node exists."""
    n = node(run, display)
    return run.logs(n["id"]) if n else ""


def validate_pods(fake) -> list[dict]:
    """Every Pod created through the double, each strictly valid against the Kubernetes 1.30 schema."""
    import pytest
    kv = pytest.importorskip("kubernetes_validate", reason="pip install kubernetes-validate (test extra)")
    posted = [r["body"] for r in fake.calls("POST", "/api/v1/namespaces/jobs/pods")]
    for pod in posted:
        kv.validate(pod, "1.30", strict=True)
    return posted
