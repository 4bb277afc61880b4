"""Each leaf step as a Pod on a Kubernetes cluster without Argo: the ``kubernetes`` backend.

The embedded engine walks the templates; a Pod node becomes a Pod (``pod_manifest``: image,
command, args, env, resources, volumes, nodeSelector, tolerations, affinity, serviceAccountName,
podSpecPatch) named after the node id and labelled with the workflow. The executor waits for it
(polling its phase), streams the ``main`` container's log into the node's log file, and takes
``outputs.result`` from the log (as Argo's executor does, last 256 KB); output parameters with
``valueFrom.path`` are written by a wrapper to the termination message
(``/dev/termination-log``) as JSON. Pods are deleted per ``podGC`` (default: on completion).
``resource`` templates run against the API (create/apply/delete/patch/get, success/failure
conditions, ``valueFrom.jsonPath`` outputs). ``kubernetes`` is imported only when a step runs.

Settings (``kubernetes:`` in config.yaml): ``kubeconfig``, ``context``, ``namespace``,
``pollInterval`` (s), ``podGC`` (OnPodCompletion|OnPodSuccess|Never).
"""
from __future__ import annotations

import asyncio
import copy
import json
import shlex
import time
from pathlib import Path
from typing import Callable

from .local import RESULT_LIMIT, StepResult, StepSpec

MARKER = "__jupyter_flow_outputs__"


def _merge(base: dict, patch: dict) -> dict:
    """Strategic-merge-ish: dicts merge, containers merge by name, other lists replace."""
    out = dict(base)
    for k, v in patch.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        elif k == "containers" and isinstance(v, list) and isinstance(out.get(k), list):
            byname = {c.get("name"): c for c in out[k]}
            for c in v:
                byname[c.get("name")] = _merge(byname.get(c.get("name"), {}), c)
            out[k] = list(byname.values())
        else:
            out[k] = v
    return out


def output_paths(tmpl: dict) -> list[tuple[str, str]]:
    return [(p["name"], p["valueFrom"]["path"]) for p in (tmpl.get("outputs") or {}).get("parameters") or []
            if (p.get("valueFrom") or {}).get("path")]


def pod_manifest(spec: StepSpec, namespace: str = "default") -> dict:
    """The Pod for one step (what is sent; validated against the Kubernetes schema in the tests)."""
    tmpl = spec.template
    wf = spec.workflow
    wspec = wf.get("spec") or {}
    c = tmpl.get("container") or tmpl.get("script") or {}
    command = list(spec.command or [])
    args = list(spec.args)
    if spec.script is not None:
        command = command or ["sh"]
        args = ["-c", spec.script]   # sh, bash and python all take their source with -c
    outs = output_paths(tmpl)
    if outs:
        # run the step, then write the output files to the termination message as JSON
        inner = " ".join(shlex.quote(a) for a in command + args) if command else '"$@"'
        collect = "; ".join(f'printf "%s\\0" {shlex.quote(name)}; cat {shlex.quote(path)} 2>/dev/null; printf "\\0"'
                            for name, path in outs)
        script = f"{inner}; rc=$?; {{ {collect}; }} > /dev/termination-log; exit $rc"
        command, args = ["sh", "-c", script], []
    container: dict = {"name": "main", "image": spec.image}
    if command:
        container["command"] = command
    if args:
        container["args"] = args
    if spec.env:
        container["env"] = [{"name": k, "value": v} for k, v in spec.env.items()]
    for key in ("resources", "volumeMounts", "imagePullPolicy", "securityContext", "ports", "envFrom"):
        if c.get(key):
            container[key] = copy.deepcopy(c[key])
    if spec.working_dir:
        container["workingDir"] = spec.working_dir
    if outs:
        container["terminationMessagePath"] = "/dev/termination-log"
        container["terminationMessagePolicy"] = "File"
    pod_spec: dict = {"restartPolicy": "Never", "containers": [container]}
    volumes = (wspec.get("volumes") or []) + (tmpl.get("volumes") or [])
    if volumes:
        pod_spec["volumes"] = copy.deepcopy(volumes)
    for key, src in (("nodeSelector", "nodeSelector"), ("tolerations", "tolerations"), ("affinity", "affinity"),
                     ("serviceAccountName", "serviceAccountName"), ("priorityClassName", "priorityClassName"),
                     ("schedulerName", "schedulerName"), ("securityContext", "securityContext"),
                     ("imagePullSecrets", "imagePullSecrets"), ("hostAliases", "hostAliases")):
        value = tmpl.get(src) if tmpl.get(src) is not None else wspec.get(src)
        if value:
            pod_spec[key] = copy.deepcopy(value)
    if spec.deadline is not None:
        pod_spec["activeDeadlineSeconds"] = max(1, int(spec.deadline))
    name = (wf.get("metadata") or {}).get("name", "")
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": spec.node_id, "namespace": namespace,
                        "labels": {"workflows.argoproj.io/workflow": name, "jupyter-flow/run": name},
                        "annotations": {"workflows.argoproj.io/node-name": spec.step_name,
                                        "workflows.argoproj.io/node-id": spec.node_id}},
           "spec": pod_spec}
    for patch in (wspec.get("podSpecPatch"), tmpl.get("podSpecPatch")):
        if patch:
            import yaml
            pod["spec"] = _merge(pod["spec"], yaml.safe_load(patch) if isinstance(patch, str) else patch)
    return pod


def parse_termination(message: str) -> dict[str, str]:
    parts = (message or "").split("\0")
    return {parts[i]: parts[i + 1] for i in range(0, len(parts) - 1, 2)}


class KubernetesExecutor:
    """Steps as Pods; the controller stays in this process."""

    name = "kubernetes"

    def __init__(self, settings: dict | None = None):
        self.settings = dict(settings or {})
        self.poll = float(self.settings.get("pollInterval", 0.5))
        self.pod_gc = self.settings.get("podGC", "OnPodCompletion")
        self.running: dict[str, str] = {}   # node id -> namespace
        self.kill_reason: dict[str, str] = {}
        self._core = None

    @classmethod
    def from_settings(cls, settings: dict) -> "KubernetesExecutor":
        return cls(settings)

    def api(self):
        if self._core is None:
            from kubernetes import client
            from ..backends.argo.kube import api_client
            self._api = api_client(self.settings, "kubernetes")
            self._core = client.CoreV1Api(self._api)
        return self._core

    def namespace(self, workflow: dict) -> str:
        from ..backends.argo.kube import namespace
        return namespace(self.settings, workflow)

    async def _io(self, fn, *args, **kwargs):
        return await asyncio.get_running_loop().run_in_executor(None, lambda: fn(*args, **kwargs))

    async def run(self, spec: StepSpec, prepare: Callable | None = None) -> StepResult:
        try:
            return await self._run(spec)
        except Exception as exc:   # the API or the client failed: the node's message, not an engine error
            return StepResult(exit_code=None, error=f"step {spec.step_name!r}: {type(exc).__name__}: {exc}")

    async def _run(self, spec: StepSpec) -> StepResult:
        started = time.time()
        from ..errors import JupyterFlowError

        def fail(msg):
            return StepResult(exit_code=None, error=msg, started_at=started, finished_at=time.time())
        if (spec.template.get("inputs") or {}).get("artifacts"):
            return fail(f"step {spec.step_name!r}: input artifacts need an artifact repository in the cluster; "
                        "run with --backend argo")
        try:
            core = await self._io(self.api)
        except JupyterFlowError as exc:
            return fail(f"step {spec.step_name!r}: {exc}")
        from kubernetes.client.exceptions import ApiException
        from ..backends.argo.kube import api_error
        ns = self.namespace(spec.workflow)
        pod = pod_manifest(spec, ns)
        try:
            await self._io(core.create_namespaced_pod, ns, pod, _preload_content=False)
        except ApiException as exc:
            return fail(f"step {spec.step_name!r}: {api_error(exc, 'kubernetes', 'create its Pod', ns)}")
        self.running[spec.node_id] = ns
        status = {}
        try:
            while True:
                try:
                    obj = await self._io(core.read_namespaced_pod, spec.node_id, ns, _preload_content=False)
                    status = json.loads(obj.data).get("status") or {}
                except ApiException as exc:
                    if exc.status == 404:
                        break
                    raise
                phase = status.get("phase")
                waiting = [(cs.get("state") or {}).get("waiting") for cs in status.get("containerStatuses") or []]
                bad = [w for w in waiting if w and w.get("reason") in ("ErrImagePull", "ImagePullBackOff",
                                                                       "InvalidImageName")]
                if bad:
                    return fail(f"step {spec.step_name!r}: image pull failed for {spec.image!r}: "
                                f"{bad[0].get('reason')}: {bad[0].get('message', '')}")
                if phase in ("Succeeded", "Failed"):
                    break
                await asyncio.sleep(self.poll)
            log = ""
            try:
                log = await self._io(core.read_namespaced_pod_log, spec.node_id, ns, container="main")
            except ApiException:
                pass
            if spec.log_path is not None:
                with open(spec.log_path, "a") as f:
                    f.write(log)
        finally:
            self.running.pop(spec.node_id, None)
        killed = self.kill_reason.pop(spec.node_id, None)
        term = {}
        code = None
        for cs in status.get("containerStatuses") or []:
            if cs.get("name") == "main":
                t = (cs.get("state") or {}).get("terminated") or {}
                code = t.get("exitCode")
                term = parse_termination(t.get("message", ""))
        if self.pod_gc == "OnPodCompletion" or (self.pod_gc == "OnPodSuccess" and code == 0):
            try:
                await self._io(core.delete_namespaced_pod, spec.node_id, ns, _preload_content=False)
            except ApiException:
                pass
        staging = Path(spec.root or "/nonexistent") / "fs"

        def host_path(path: str) -> Path:
            return staging / path.lstrip("/")
        for name, path in output_paths(spec.template):
            if name in term:
                target = host_path(path)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(term[name])
        if status.get("reason") == "DeadlineExceeded":
            killed = "deadline"
        result = StepResult(exit_code=code if code is not None else (None if not killed else -9),
                            stdout=log[-RESULT_LIMIT:], killed=killed, host_path=host_path,
                            started_at=started, finished_at=time.time())
        if code is None and not killed:
            result.error = f"step {spec.step_name!r}: pod ended without a result ({status.get('reason') or status.get('phase')})"
        if killed == "deadline":
            result.error = spec.deadline_message
        result.host_node_name = status.get("hostIP") or ""
        return result

    def kill(self, node_id: str, reason: str = "stop") -> None:
        ns = self.running.get(node_id)
        if ns is None:
            return
        self.kill_reason.setdefault(node_id, reason)
        import threading

        def delete():
            try:
                self._core.delete_namespaced_pod(node_id, ns, grace_period_seconds=0, _preload_content=False)
            except Exception:
                pass
        threading.Thread(target=delete, daemon=True).start()

    def kill_all(self, reason: str = "stop") -> None:
        for node_id in list(self.running):
            self.kill(node_id, reason)

    # -- resource templates ---------------------------------------------------------------------
    async def run_resource(self, node_id: str, step: str, tmpl: dict, workflow: dict, log_path) -> tuple:
        from ..errors import JupyterFlowError
        res = tmpl.get("resource") or {}
        action = res.get("action", "create")
        import yaml
        try:
            obj = yaml.safe_load(res.get("manifest") or "") or {}
            await self._io(self.api)
        except (yaml.YAMLError, JupyterFlowError) as exc:
            return "Error", f"step {step!r}: {exc}", None
        from kubernetes import dynamic
        from kubernetes.client.exceptions import ApiException
        from ..backends.argo.kube import api_error
        ns = (obj.get("metadata") or {}).get("namespace") or self.namespace(workflow)
        if res.get("setOwnerReference") and (workflow.get("metadata") or {}).get("uid"):
            pass   # a Workflow object does not exist on this backend: nothing to own it
        try:
            dyn = await self._io(dynamic.DynamicClient, self._api)
            api = await self._io(dyn.resources.get, api_version=obj.get("apiVersion"), kind=obj.get("kind"))
            name = (obj.get("metadata") or {}).get("name")
            kw = {"namespace": ns} if api.namespaced else {}
            if action == "create":
                out = await self._io(api.create, body=obj, **kw)
            elif action == "apply":
                try:
                    out = await self._io(api.patch, body=obj, name=name, content_type="application/merge-patch+json", **kw)
                except ApiException as exc:
                    if exc.status != 404:
                        raise
                    out = await self._io(api.create, body=obj, **kw)
            elif action == "patch":
                ctype = {"merge": "application/merge-patch+json", "json": "application/json-patch+json"}.get(
                    res.get("mergeStrategy", "strategic"), "application/strategic-merge-patch+json")
                out = await self._io(api.patch, body=obj, name=name, content_type=ctype, **kw)
            elif action == "delete":
                out = await self._io(api.delete, name=name, **kw)
            elif action == "get":
                out = await self._io(api.get, name=name, **kw)
            else:
                return "Error", f"step {step!r}: unknown resource action {action!r}", None
            current = out.to_dict() if hasattr(out, "to_dict") else dict(out)
            if log_path is not None:
                with open(log_path, "a") as f:
                    f.write(f"{current.get('kind', obj.get('kind'))}/{(current.get('metadata') or {}).get('name', name)} "
                            f"{action}d\n")
            phase, message = "Succeeded", ""
            success, failure = res.get("successCondition"), res.get("failureCondition")
            while action not in ("delete",) and (success or failure):
                if failure and _condition(current, failure):
                    phase, message = "Failed", f"failure condition {failure!r} matched"
                    break
                if not success or _condition(current, success):
                    break
                await asyncio.sleep(self.poll)
                current = (await self._io(api.get, name=current["metadata"]["name"], **kw)).to_dict()
        except ApiException as exc:
            return "Error", f"step {step!r}: {api_error(exc, 'kubernetes', action + ' ' + str(obj.get('kind')), ns)}", None
        except Exception as exc:
            return "Error", f"step {step!r}: {type(exc).__name__}: {exc}", None
        outputs: dict = {}
        params = []
        from .. import expr
        for p in (tmpl.get("outputs") or {}).get("parameters") or []:
            vf = p.get("valueFrom") or {}
            if vf.get("jsonPath"):
                value = expr.evaluate(f"jsonpath(obj, {json.dumps(vf['jsonPath'])})", {"obj": current})
                params.append({"name": p["name"], "value": value if isinstance(value, str) else json.dumps(value)})
        if params:
            outputs["parameters"] = params
        return phase, message, outputs


def _condition(obj: dict, cond: str) -> bool:
    """Argo's resource conditions: comma-separated ``path op value`` requirements (==, !=, <, >, in)."""
    import re
    for req in [c.strip() for c in cond.split(",") if c.strip()]:
        m = re.fullmatch(r"([\w.\-\[\]]+)\s*(==|!=|=|<=|>=|<|>)\s*(.*)", req)
        if not m:
            return False
        path, op, want = m.groups()
        cur = obj
        for part in path.split("."):
            cur = cur.get(part) if isinstance(cur, dict) else None
        if cur is None:
            return False
        have = str(cur)
        if op in ("==", "="):
            ok = have == want
        elif op == "!=":
            ok = have != want
        else:
            try:
                a, b = float(have), float(want)
            except ValueError:
                return False
            ok = {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
        if not ok:
            return False
    return True
