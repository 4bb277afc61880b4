"""The executor interface: capabilities as each executor declares them, and off where an executor
(one from another package) declares nothing. Real executors and a real run, no mocks."""
from __future__ import annotations

import asyncio
import copy
import shutil

from jupyter_flow.executors.base import Capabilities, StepResult, StepSpec, capabilities

ECHO = {
    "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "plain"},
    "spec": {"entrypoint": "main", "templates": [
        {"name": "main", "steps": [[{"name": "a", "template": "t"}], [{"name": "b", "template": "t"}]]},
        {"name": "t", "container": {"image": "busybox", "command": ["sh", "-c", "echo $(WHO) $WHO"],
                                    "env": [{"name": "WHO", "value": "me"}]}}]}}


class Plain:
    """An executor from another package: ``run``, ``kill`` and ``kill_all``, nothing else."""

    name = "plain"

    def __init__(self):
        from jupyter_flow.executors.local import LocalExecutor
        self.inner = LocalExecutor(sandbox=False)
        self.specs: list[StepSpec] = []

    async def run(self, spec: StepSpec, prepare=None) -> StepResult:
        self.specs.append(spec)
        return await self.inner.run(spec, prepare)

    def kill(self, node_id: str, reason: str = "stop") -> None:
        self.inner.kill(node_id, reason)

    def kill_all(self, reason: str = "stop") -> None:
        self.inner.kill_all(reason)


def test_the_repositorys_executors_declare_their_capabilities():
    from jupyter_flow.executors.container import ContainerExecutor
    from jupyter_flow.executors.dask import DaskExecutor
    from jupyter_flow.executors.kubernetes import KubernetesExecutor
    from jupyter_flow.executors.local import LocalExecutor
    assert capabilities(LocalExecutor()) == Capabilities(creates_dirs=True, reports_start=True, local_volumes=True)
    assert capabilities(ContainerExecutor()) == Capabilities(reports_start=True, local_volumes=True)
    assert capabilities(DaskExecutor()) == Capabilities(reports_start=True, local_volumes=True)
    assert capabilities(KubernetesExecutor({"maxConcurrentPods": 7})) == Capabilities(
        reports_start=True, env_from_cluster=True, runs_resources=True, max_concurrent=7)


def test_an_executor_that_declares_nothing_has_every_capability_off():
    assert capabilities(Plain()) == Capabilities()
    assert capabilities(None) == Capabilities()


def test_the_engine_runs_steps_on_an_executor_that_declares_nothing():
    # off means the engine does it: it makes the run's logs/ itself, expands $(VAR) as the
    # kubelet would, and calls on_start of nobody (no reports_start)
    from jupyter_flow.engine.controller import Controller
    executor = Plain()
    ctl = Controller(copy.deepcopy(ECHO), name="plain", executor=executor)
    try:
        assert (ctl.run_dir / "logs").is_dir()   # made at once: this executor does not make it
        phase = asyncio.run(ctl.run())
    finally:
        shutil.rmtree(ctl.run_dir, ignore_errors=True)
    assert phase == "Succeeded", ctl.message
    pods = sorted((n.display_name, n.outputs.get("result")) for n in ctl.nodes.values() if n.type == "Pod")
    assert pods == [("a", "me me"), ("b", "me me")]
    assert [s.command for s in executor.specs] == [["sh", "-c", "echo me $WHO"]] * 2
