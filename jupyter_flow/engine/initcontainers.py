"""A template's ``initContainers`` off-cluster: run in order before its main container (and its
sidecars), as the kubelet runs a Pod's init containers.

Third-party workflows use them to fetch or prepare files in a shared ``emptyDir`` (often with
``mirrorVolumeMounts: true``, main's mounts copied); skipping them left main without those files.
One that exits non-zero fails the step with Argo's message ``NAME: Error (exit code N)``
(operator.go inferFailedReason, a user container) and main never starts; one that cannot start
here errors the step naming it. The kubernetes backend's Pods run them themselves.
"""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Callable

from ..spec.names import is_dns1123_label
from .downward import pod_fields
from .nodes import ERROR, FAILED
from .podenv import EnvError, container_env, expand_argv

if TYPE_CHECKING:
    from .nodes import Node



def mirrored(user: dict, main: dict) -> dict:
    """A user container with ``mirrorVolumeMounts`` resolved: main's volumeMounts copied in."""
    user = dict(user)
    if user.pop("mirrorVolumeMounts", False) and main.get("volumeMounts"):
        user["volumeMounts"] = copy.deepcopy(main["volumeMounts"])
    return user


def user_container_spec(ctl, node: "Node", tmpl: dict, user: dict, main: dict, role: str, sid: str,
                        volumes_of: Callable[[list, str], list]):
    """The StepSpec of one of a pod's user containers beside main (an init container, a sidecar):
    its name checked (it names a log file and a directory here), main's mounts mirrored when asked,
    its paths checked as main's are, its env as the kubelet makes it, its own filesystem view."""
    from ..executors.base import StepSpec
    from ..executors.stepfs import normalise_template
    from .pods import needs_isolation
    name = str(user.get("name") or "")
    step = f"{node.display_name}/{name}"
    if not is_dns1123_label(name):   # it also names the container's log file and directory here
        raise EnvError(f"step {node.display_name!r}: {role} name {name!r} is not a valid container "
                       "name (lowercase letters, digits and '-', at most 63)")
    c = normalise_template({"container": mirrored(user, main)}, step)["container"]
    env = container_env(c, step, ctl.executor, pod_fields(ctl, node, tmpl))
    mounts = [m for m in c.get("volumeMounts") or [] if isinstance(m, dict) and m.get("mountPath")]
    spec = StepSpec(node_id=sid, step_name=step, image=str(c.get("image", "")),
                    command=expand_argv(c.get("command"), env), args=expand_argv(c.get("args") or [], env),
                    env=env, working_dir=c.get("workingDir"), log_path=ctl.logs_dir / f"{sid}.log",
                    root=ctl.nodes_dir / sid, private_paths=[m["mountPath"].rstrip("/") + "/." for m in mounts],
                    template=tmpl, workflow=ctl.workflow, run_dir=ctl.run_dir, volumes=volumes_of(mounts, step))
    spec.isolate = needs_isolation(spec)
    return spec


async def run_init_containers(ctl, node: "Node", tmpl: dict, main: dict,
                              volumes_of: Callable[[list, str], list]) -> tuple[str, str] | None:
    """Run ``tmpl``'s init containers one after another; (phase, message) of the first that did
    not succeed, or None when all did (or there are none). Raises EnvError/StepPathError when one
    cannot be built (the caller errors the node)."""
    for ic in tmpl.get("initContainers") or []:
        if not isinstance(ic, dict):
            continue
        name = str(ic.get("name") or "")
        spec = user_container_spec(ctl, node, tmpl, ic, main, "init container", f"{node.id}-init-{name}",
                                   volumes_of)
        result = await ctl.executor.run(spec, None)
        if result.exit_code is None:
            return ERROR, f"init container {name}: {result.error or 'could not start'}"
        if result.exit_code != 0:
            return FAILED, f"{name}: Error (exit code {result.exit_code})"
    return None
