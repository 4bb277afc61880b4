"""Leaf templates: a Pod (container/script) run by the executor, and suspend nodes."""
from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from .. import expr
from ..errors import ExprError
from ..executors.base import StepSpec, capabilities
from ..executors.stepfs import StepPathError, normalise_template
from ..store.paths import opener
from .admission import admitted
from .artifacts import ArtifactError, load_input, save_output
from .keyrepo import repository_root, with_key_substituted
from .downward import pod_fields
from .durations import parse_duration
from .nodes import ERROR, FAILED, RUNNING, SUCCEEDED, Node
from .outputs import collect_parameters
from .podenv import EnvError, container_env, expand_argv
from .variables import to_str
from .stepcache import HIT, probe

if TYPE_CHECKING:
    from .call import Call


def private_paths(tmpl: dict) -> list[str]:
    """Absolute paths the step writes or reads that must be private to it, like a pod's filesystem."""
    paths: list[str] = []
    outputs = tmpl.get("outputs") or {}
    for p in outputs.get("parameters") or []:
        path = (p.get("valueFrom") or {}).get("path")
        if path:
            paths.append(path)
    for a in (outputs.get("artifacts") or []) + ((tmpl.get("inputs") or {}).get("artifacts") or []):
        if a.get("path"):
            paths.append(a["path"])
    container = tmpl.get("container") or tmpl.get("script") or {}
    for m in container.get("volumeMounts") or []:
        if m.get("mountPath"):
            paths.append(m["mountPath"].rstrip("/") + "/.")
    return [p for p in paths if p.startswith("/")]


def needs_isolation(spec: StepSpec) -> bool:
    """Whether a step needs its own filesystem view.

    A sandbox costs ~12 ms per step, ten times a bare process start, so steps that declare no
    paths and never mention /tmp run directly; ``JUPYTER_FLOW_SANDBOX=always`` isolates every step.
    """
    import os
    mode = os.environ.get("JUPYTER_FLOW_SANDBOX", "auto")
    if mode == "always":
        return True
    if mode == "off":
        return False
    if spec.private_paths or spec.working_dir:
        return True
    text = " ".join([*(spec.command or []), *spec.args, spec.script or ""])
    return "/tmp" in text


def pod_scope(call: "Call", node: Node, local: dict) -> dict:
    scope = dict(local)
    scope["pod.name"] = call.ctl.pod_name(node)
    scope["node.name"] = node.name
    outputs = call.tmpl.get("outputs") or {}
    for p in outputs.get("parameters") or []:
        path = (p.get("valueFrom") or {}).get("path")
        if path:
            scope[f"outputs.parameters.{p['name']}.path"] = path
    for a in outputs.get("artifacts") or []:
        if a.get("path"):
            scope[f"outputs.artifacts.{a['name']}.path"] = a["path"]
    return scope


def _env(container: dict, step: str, executor=None, pod: dict | None = None) -> dict[str, str]:
    return container_env(container, step, executor, pod)


def _argv(container: dict, env: dict[str, str], executor) -> tuple[list[str] | None, list[str]]:
    """``command`` and ``args`` with Kubernetes' ``$(VAR)`` expansion (a real Pod does it itself)."""
    command, args = container.get("command"), [str(a) for a in container.get("args") or []]
    if capabilities(executor).env_from_cluster:
        return command, args
    return expand_argv(command, env), expand_argv(args, env)


class _Slots:
    """Workflow parallelism and the local process cap, held while a step runs. A plain class: a
    generator-based context manager costs a generator and its frames at every step."""

    __slots__ = ("pod_limit", "proc_limit")

    def __init__(self, ctl):
        self.pod_limit, self.proc_limit = ctl.pod_limit, ctl.proc_limit

    async def __aenter__(self) -> None:
        if self.pod_limit is not None:
            await self.pod_limit.acquire()
            admitted()   # a gated fan-out may start this step's next sibling (admission.py)
        try:
            await self.proc_limit.acquire()
        except BaseException:   # cancelled while waiting for a process slot
            if self.pod_limit is not None:
                self.pod_limit.release()
            raise

    async def __aexit__(self, *exc) -> None:
        self.proc_limit.release()
        if self.pod_limit is not None:
            self.pod_limit.release()


async def run_pod(call: "Call", node: Node, local: dict) -> None:
    await _gated(call, node, local, _run_pod)


async def _gated(call: "Call", node: Node, local: dict, body) -> None:
    """Run a pod-like ``body`` once the run is not suspended, its locks are held, its memo cache
    missed and a process slot is free; a stopped run fails it instead."""
    ctl = call.ctl
    await ctl.wait_unsuspended()
    tmpl = call.tmpl
    if not tmpl.get("synchronization") and not (tmpl.get("memoize") and ctl.store is not None):
        # the common step: no lock, no cache, so no context managers entered for nothing
        if ctl.shutdown and not call.on_exit:
            ctl.set_phase(node, FAILED, f"workflow shutdown with strategy: {ctl.shutdown}")
            return
        async with _Slots(ctl):
            await body(call, node, local)
        return
    from .sync import synchronized
    async with synchronized(call, node):
        if ctl.shutdown and not call.on_exit:
            ctl.set_phase(node, FAILED, f"workflow shutdown with strategy: {ctl.shutdown}")
            return
        from .memo import memoized
        async with memoized(call, node, local) as hit:
            if hit:
                return
            async with _Slots(ctl):
                await body(call, node, local)


async def _run_pod(call: "Call", node: Node, local: dict) -> None:
    ctl = call.ctl
    scope = ctl.scope(pod_scope(call, node, local))
    try:
        tmpl = normalise_template(ctl.substitute(call.tmpl, scope), node.display_name)
        container = tmpl.get("container") or tmpl.get("script") or {}
        volumes = _volumes(ctl, container.get("volumeMounts"), tmpl, node.display_name, node)
    except (ExprError, StepPathError) as exc:
        ctl.set_phase(node, ERROR, str(exc))
        return
    if not capabilities(ctl.executor).env_from_cluster:   # a cluster schedules its own pods
        from .scheduling import unschedulable
        reason = unschedulable(tmpl, (ctl.workflow or {}).get("spec"))
        if reason:
            ctl.set_phase(node, ERROR, reason)
            return
    cached = await probe(call, node, tmpl, local)   # the content step cache (stepcache.py): a hit starts nothing
    if cached is HIT:
        return
    artifact_root = ctl.artifact_root
    root = ctl.nodes_dir / node.id
    log_path = ctl.logs_dir / f"{node.id}.log"
    deadline = call.timeout(local)
    try:
        env = _env(container, node.display_name, ctl.executor, pod_fields(ctl, node, call.tmpl))
    except EnvError as exc:
        ctl.set_phase(node, ERROR, str(exc))
        return
    command, args = _argv(container, env, ctl.executor)
    spec = StepSpec(node_id=node.id, step_name=node.display_name, image=container.get("image", ""),
                    command=command, args=args, env=env, working_dir=container.get("workingDir"),
                    # operator.go: an empty script.source adds no staged script path to the args
                    script=(tmpl["script"].get("source") or None) if "script" in tmpl else None,
                    log_path=log_path, root=root, private_paths=private_paths(tmpl), deadline=deadline,
                    template=tmpl, workflow=ctl.workflow, run_dir=ctl.run_dir, volumes=volumes)
    spec.isolate = needs_isolation(spec)
    if ctl.store is not None and capabilities(ctl.executor).creates_dirs:
        spec.write_later = ctl.store.write_file_later
    inputs = (node.inputs or {}).get("artifacts") or []
    # where each input goes: the template's path, normalised and checked (normalise_template)
    in_paths = {a.get("name"): a["path"] for a in (tmpl.get("inputs") or {}).get("artifacts") or []
                if isinstance(a, dict) and a.get("path")}

    def prepare(host_path):
        for art in inputs:
            resolved = resolve_input_artifact(ctl, art, local)
            if resolved is None:
                continue
            resolved = with_key_substituted(resolved, lambda v: ctl.substitute(v, scope))
            load_input(resolved, host_path(in_paths.get(art.get("name")) or art["path"]), artifact_root,
                       key_root=repository_root(ctl))

    if tmpl.get("initContainers") and not capabilities(ctl.executor).env_from_cluster:
        from .initcontainers import run_init_containers
        try:
            failed = await run_init_containers(ctl, node, tmpl, container,
                                               lambda mounts, step: _volumes(ctl, mounts, tmpl, step, node))
        except (EnvError, StepPathError) as exc:
            failed = ERROR, str(exc)
        if failed:
            ctl.set_phase(node, *failed)
            return
    sidecars = None
    if tmpl.get("sidecars") and not capabilities(ctl.executor).env_from_cluster:
        from .sidecars import start_sidecars
        try:
            sidecars = start_sidecars(ctl, node, tmpl, lambda mounts, step: _volumes(ctl, mounts, tmpl, step, node))
        except (EnvError, StepPathError) as exc:
            ctl.set_phase(node, ERROR, str(exc))
            return
    if tmpl.get("daemon") is not None:
        from .daemons import is_daemon, run_daemon
        if is_daemon(tmpl):   # its sidecars live as long as it does
            await run_daemon(call, node, spec, prepare, container, sidecars or [])
            return
    ctl.set_phase(node, RUNNING)
    sidecar_error = fatal = ""
    if sidecars:
        from .sidecars import run_main, stop_sidecars
        main = asyncio.ensure_future(ctl.executor.run(spec, prepare))
        fatal = await run_main(ctl, node.id, main, sidecars)
        result = main.result()
        # the main container ended: the wait container kills the sidecars
        sidecar_error = await stop_sidecars(ctl, sidecars)
    else:
        result = await ctl.executor.run(spec, prepare)
    outputs: dict = {}
    if result.exit_code is not None:
        if result.stdout.endswith("\n"):
            outputs["result"] = result.stdout[:-1]
        else:
            outputs["result"] = result.stdout
        outputs["exitCode"] = str(result.exit_code)
    phase, message = _exit_phase(ctl, result)
    if fatal:
        phase, message = ERROR, fatal
    elif sidecar_error and phase == SUCCEEDED:
        phase, message = FAILED, sidecar_error
    if result.exit_code is not None:
        error = _collect_outputs(ctl, tmpl, node, local, outputs, result.host_path, artifact_root)
        if error and phase == SUCCEEDED:
            phase, message = ERROR, error
    node.outputs = outputs or None
    node.host_node_name = getattr(result, "host_node_name", "") or "localhost"
    node.progress = getattr(result, "progress", None) or ""
    ctl.set_phase(node, phase, message)
    if cached is not None:
        cached.record()


def _collect_outputs(ctl, tmpl: dict, node: Node, local: dict, outputs: dict, host_path, artifact_root: Path) -> str:
    """Read the declared output parameters and save output artifacts into ``outputs``.

    Returns the error message (an Error node in Argo) when an output cannot be collected, else "".
    """
    if not tmpl.get("outputs"):   # most steps declare none: no scope to build
        return ""
    try:
        params = collect_parameters(ctl, tmpl, host_path, ctl.scope(dict(local, **{
            "outputs.result": outputs.get("result", ""), "exitCode": outputs.get("exitCode", "")})))
        if params:
            outputs["parameters"] = params
        arts = []
        for art in (tmpl.get("outputs") or {}).get("artifacts") or []:
            rec = save_output(art, host_path, artifact_root, node.id, key_root=repository_root(ctl))
            if rec is not None:
                arts.append(rec)
                if art.get("globalName"):
                    ctl.set_global_output("artifacts", art["globalName"], rec)
        if arts:
            outputs["artifacts"] = arts
    except (ArtifactError, ExprError, StepPathError) as exc:
        return str(exc)
    return ""


def _volumes(ctl, mounts, tmpl: dict, step: str, pod: Node | None = None) -> list:
    """The step's volume mounts bound on this machine (engine/volumes.py); a backend that runs
    steps elsewhere (kubernetes) mounts the cluster's own volumes instead."""
    if not mounts or not capabilities(ctl.executor).local_volumes:
        return []
    from .volumes import step_volumes
    pod_dir = ctl.nodes_dir / f"{pod.id}.pod" if pod is not None else None   # '.': no container name has one
    return step_volumes(mounts, tmpl, ctl.workflow, step=step, run_dir=ctl.run_dir, pod_dir=pod_dir)


def resolve_input_artifact(ctl, art: dict, local: dict) -> dict | None:
    """An input artifact as bound by ``execute`` (``artifact_refs.bind``: its ``from`` already
    resolved in the caller's scope, ``subPath`` applied). A reference still left here, e.g. in a
    template's own input declaration, resolves against the workflow's globals only: the step's
    own inputs are not where its arguments come from. None: an optional one with no source."""
    if not any(art.get(k) for k in ("from", "fromExpression")):
        return art
    from .artifact_refs import bind
    bound = bind(art, ctl.scope({}), ctl.artifact_root)
    return bound if any(k not in ("name", "path", "mode", "optional", "recurseMode") for k in bound) else None


async def run_suspend(call: "Call", node: Node, local: dict) -> None:
    """Suspend until resumed (``jupyter-flow resume``) or until ``duration`` passes."""
    ctl = call.ctl
    spec = expr.substitute_obj(call.tmpl.get("suspend") or {}, ctl.scope(local))
    duration = parse_duration(spec["duration"]) if spec.get("duration") not in (None, "") else None
    input_defaults = {i.get("name"): i["default"] for i in (call.tmpl.get("inputs") or {}).get("parameters") or []
                      if i.get("default") is not None}
    # outputs only `node set` can give: a resume without them is refused, a timeout errors (Argo)
    needed = [p["name"] for p in (call.tmpl.get("outputs") or {}).get("parameters") or []
              if "supplied" in (p.get("valueFrom") or {}) and "default" not in (p.get("valueFrom") or {})
              and "value" not in p and p["name"] not in input_defaults]
    declared = {p["name"]: "supplied" in (p.get("valueFrom") or {})
                for p in (call.tmpl.get("outputs") or {}).get("parameters") or []}
    ctl.set_phase(node, RUNNING)
    unset = await ctl.control.suspend_node(node, duration, needed, declared)
    if ctl.shutdown and not call.on_exit:
        ctl.set_phase(node, FAILED, f"workflow shutdown with strategy: {ctl.shutdown}")
        return
    ended = ctl.control.supplied_phase(node.id)   # `node set --phase`: no output is awaited
    if unset and not ended:   # the duration ran out first (operator.go executeSuspend)
        ctl.control.take_supplied(node.id)
        ctl.set_phase(node, ERROR, unset)
        return
    supplied = ctl.control.take_supplied(node.id)
    params = []
    values = supplied.get("parameters") or {}
    for p in (call.tmpl.get("outputs") or {}).get("parameters") or []:
        vf = p.get("valueFrom") or {}
        if p["name"] in values:
            value = values[p["name"]]
        elif "default" in vf:
            value = to_str(vf["default"])
        elif "supplied" in vf and p["name"] in input_defaults:
            # addRawOutputFields: a supplied output without default takes the same-named input's default
            value = to_str(input_defaults[p["name"]])
        elif "value" in p:
            value = to_str(p["value"])
        else:
            continue
        params.append({"name": p["name"], "value": value})
        if p.get("globalName"):
            ctl.set_global_output("parameters", p["globalName"], value)
    if params:
        node.outputs = {"parameters": params}
    ctl.set_phase(node, ended or SUCCEEDED, supplied.get("message") or "")


async def run_container_set(call: "Call", node: Node, local: dict) -> None:
    """A containerSet: one Pod node whose containers run as a graph (container_set_template.go).

    Each container is a ``Container`` node (``<pod>.<container>``, boundary = the pod) linked by
    its ``dependencies``; the containers share the pod's filesystem (one sandbox root). A
    container starts once its dependencies succeeded; if one failed, it fails without running.
    Only the container named ``main`` gives the pod its ``result``/``exitCode``; output
    parameters and artifacts are read from the shared filesystem once all have finished.
    """
    await _gated(call, node, local, _run_container_set)


async def _run_container_set(call: "Call", node: Node, local: dict) -> None:
    ctl = call.ctl
    scope = ctl.scope(pod_scope(call, node, local))
    try:
        tmpl = normalise_template(expr.substitute_obj(call.tmpl, scope), node.display_name)
    except (ExprError, StepPathError) as exc:
        ctl.set_phase(node, ERROR, str(exc))
        return
    cset = tmpl.get("containerSet") or {}
    from ..errors import JupyterFlowError
    from .csretry import attempts_and_delay, run_attempts
    try:
        attempts, delay = attempts_and_delay(cset)
    except JupyterFlowError as exc:
        ctl.set_phase(node, ERROR, str(exc))
        return
    containers = [c for c in cset.get("containers") or [] if c.get("name")]
    root = ctl.nodes_dir / node.id
    logs = ctl.logs_dir
    deadline = call.timeout(local)
    shared_paths = private_paths(tmpl)
    for m in cset.get("volumeMounts") or []:
        if m.get("mountPath", "").startswith("/"):
            shared_paths.append(m["mountPath"].rstrip("/") + "/.")
    ctr_nodes: dict[str, Node] = {}
    for c in containers:
        ctr_nodes[c["name"]] = ctl.new_node(f"{node.name}.{c['name']}", c["name"], "Container",
                                            template_name=call.tmpl_name, boundary_id=node.id)
    for c in containers:
        deps = [d for d in c.get("dependencies") or [] if d in ctr_nodes]
        if not deps:
            ctl.add_child(node, ctr_nodes[c["name"]])
        for d in deps:
            ctl.add_child(ctr_nodes[d], ctr_nodes[c["name"]])
    ctl.set_phase(node, RUNNING)
    done = {name: asyncio.Event() for name in ctr_nodes}
    results: dict[str, object] = {}

    async def run_one(c: dict) -> None:
        cnode = ctr_nodes[c["name"]]
        try:
            deps = [d for d in c.get("dependencies") or [] if d in ctr_nodes]
            for d in deps:
                await done[d].wait()
            bad = [d for d in deps if ctr_nodes[d].phase != SUCCEEDED]
            if bad:
                ctl.set_phase(cnode, FAILED, f"dependency {bad[0]!r} did not succeed")
                return
            if ctl.shutdown and not call.on_exit:
                ctl.set_phase(cnode, FAILED, f"workflow shutdown with strategy: {ctl.shutdown}")
                return
            try:
                env = _env(c, cnode.display_name, ctl.executor, pod_fields(ctl, node, call.tmpl))
            except EnvError as exc:
                ctl.set_phase(cnode, ERROR, str(exc))
                return
            command, args = _argv(c, env, ctl.executor)
            paths = list(shared_paths)
            for m in c.get("volumeMounts") or []:
                if m.get("mountPath", "").startswith("/"):
                    paths.append(m["mountPath"].rstrip("/") + "/.")
            try:
                volumes = _volumes(ctl, (cset.get("volumeMounts") or []) + (c.get("volumeMounts") or []), tmpl,
                                   cnode.display_name, node)
            except StepPathError as exc:
                ctl.set_phase(cnode, ERROR, str(exc))
                return
            log_path = logs / f"{cnode.id}.log"
            spec = StepSpec(node_id=cnode.id, step_name=f"{node.display_name}.{c['name']}",
                            image=c.get("image", ""), command=command, args=args, env=env,
                            working_dir=c.get("workingDir"),
                            log_path=log_path, root=root, private_paths=paths, deadline=deadline,
                            template=tmpl, workflow=ctl.workflow, volumes=volumes)
            spec.isolate = needs_isolation(spec) or bool(paths)
            ctl.set_phase(cnode, RUNNING)
            result = await run_attempts(lambda: ctl.executor.run(spec, None), attempts, delay, ctl.sleep,
                                        lambda: bool(ctl.shutdown and not call.on_exit))
            results[c["name"]] = result
            if log_path.exists():   # the pod's log holds every container's output, as `argo logs`
                with open(logs / f"{node.id}.log", "a", opener=opener) as pod_log:
                    with open(log_path, errors="replace") as container_log:   # streamed: a log may be GBs
                        shutil.copyfileobj(container_log, pod_log)
            phase, message = _exit_phase(ctl, result)
            if result.exit_code is not None:
                cnode.outputs = {"exitCode": str(result.exit_code)}
            ctl.set_phase(cnode, phase, message)
        finally:
            done[c["name"]].set()

    await asyncio.gather(*(run_one(c) for c in containers))
    failed = next((ctr_nodes[c["name"]] for c in containers if ctr_nodes[c["name"]].phase != SUCCEEDED), None)
    outputs: dict = {}
    main = results.get("main")
    if main is not None and main.exit_code is not None:
        outputs["result"] = main.stdout[:-1] if main.stdout.endswith("\n") else main.stdout
        outputs["exitCode"] = str(main.exit_code)
    phase, message = SUCCEEDED, ""
    if failed is not None:
        phase = failed.phase if failed.phase in (FAILED, ERROR) else FAILED
        message = failed.message
    any_result = next((r for r in results.values() if r is not None), None)
    if any_result is not None:
        error = _collect_outputs(ctl, tmpl, node, local, outputs, any_result.host_path, ctl.artifact_root)
        if error and phase == SUCCEEDED:
            phase, message = ERROR, error
    node.outputs = outputs or None
    node.host_node_name = "localhost"
    ctl.set_phase(node, phase, message)


def _exit_phase(ctl, result) -> tuple[str, str]:
    if result.error and result.exit_code is None:
        return (FAILED if result.cannot_start else ERROR), result.error
    if result.killed == "deadline":
        return FAILED, result.error
    if result.killed == "stop":
        return FAILED, f"workflow shutdown with strategy: {ctl.shutdown or 'Stop'}"
    if result.exit_code:
        return FAILED, f"Error (exit code {result.exit_code})"
    return SUCCEEDED, ""


async def run_resource(call: "Call", node: Node, local: dict) -> None:
    """A ``resource`` template, for executors that reach a Kubernetes API (``run_resource``)."""
    ctl = call.ctl
    try:
        tmpl = expr.substitute_obj(call.tmpl, ctl.scope(pod_scope(call, node, local)))
    except ExprError as exc:
        ctl.set_phase(node, ERROR, str(exc))
        return
    log_path = ctl.store.log_path(ctl.name, node.id) if ctl.store else None
    ctl.set_phase(node, RUNNING)
    phase, message, outputs = await ctl.executor.run_resource(node.id, node.display_name, tmpl, ctl.workflow,
                                                              log_path)
    node.outputs = outputs or None
    for p in (outputs or {}).get("parameters") or []:
        gname = next((o.get("globalName") for o in (tmpl.get("outputs") or {}).get("parameters") or []
                      if o.get("name") == p["name"] and o.get("globalName")), None)
        if gname:
            ctl.set_global_output("parameters", gname, p["value"])
    ctl.set_phase(node, phase, message)


async def run_http(call: "Call", node: Node, local: dict) -> None:
    from .http import run_http as _run
    await _run(call, node, local)
