"""Each leaf step as a Pod on a Kubernetes cluster without Argo: the ``kubernetes`` backend.

The embedded engine walks the templates, so the node tree is a local run's; a Pod node becomes a
Pod (:func:`~jupyter_flow.executors.kubepods.pod_manifest`) named after the node id. The executor
polls the pod's phase, follows the ``main`` container's log into the node's log file while it runs
(``outputs.result`` is the log's last 256 KB: stdout and stderr interleaved, as the log API has
no stream selection, where Argo's is stdout only), reads output parameters with
``valueFrom.path`` from the termination message, and deletes pods per ``podGC`` (default: on
completion). A retried node's old pod (kept by ``podGC``) is replaced, as ``argo retry`` deletes
the pods of the nodes it resets. ``resource`` templates run against the API
(:mod:`jupyter_flow.kube.resource`). API errors (403: RBAC) become the node's message,
naming the step. ``kubernetes`` is imported only when a step runs.

Settings (``kubernetes:`` in config.yaml): ``kubeconfig``, ``context``, ``namespace``,
``pollInterval`` (s), ``initImage`` (busybox: its init container writes raw input artifacts),
``maxConcurrentPods`` (256; the engine's local process cap is for this machine), ``podGC``
(OnPodCompletion|OnPodSuccess|OnWorkflowCompletion|OnWorkflowSuccess|Never; the workflow's
``spec.podGC.strategy`` wins). Unlike Argo, pods are deleted by default (OnPodCompletion):
there is no Argo UI to look at them afterwards, and the logs and outputs are already in the store.
"""
from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Callable

from ..errors import JupyterFlowError
from ..kube.resource import condition as _condition  # noqa: F401
from ..store.paths import opener
from .base import RESULT_LIMIT, Executor, StepResult, StepSpec
from .kubepods import dry_run_pods, output_paths, parse_termination, pod_manifest  # noqa: F401
from .stepfs import resolve_under

__all__ = ["KubernetesExecutor", "dry_run_pods", "pod_manifest", "parse_termination", "output_paths", "_condition"]
PULL_ERRORS = ("ErrImagePull", "ImagePullBackOff", "InvalidImageName")


def _main_terminated(status: dict) -> bool:
    return any(cs.get("name") == "main" and (cs.get("state") or {}).get("terminated")
               for cs in status.get("containerStatuses") or [])


class KubernetesExecutor(Executor):
    """Steps as Pods; the controller stays in this process."""

    name = "kubernetes"
    reports_start = True   # StepSpec.on_start once the Pod runs with every container ready
    env_from_cluster = True   # env valueFrom (Secret, ConfigMap, fieldRef) goes into the Pod as written

    def __init__(self, settings: dict | None = None):
        self.settings = dict(settings or {})
        self.poll = float(self.settings.get("pollInterval", 0.5))
        self.pod_gc = self.settings.get("podGC", "OnPodCompletion")
        # pods at once (the engine's local process cap is for this machine, not the cluster's)
        self.max_concurrent = int(self.settings.get("maxConcurrentPods", 256))
        self.running: dict[str, str] = {}   # node id -> namespace
        self.kill_reason: dict[str, str] = {}
        self._core = None
        self._api = None
        self.stopped = False
        self.finished_pods: list[tuple[str, str, bool, str]] = []   # kept until the run ends (podGC)

    @classmethod
    def from_settings(cls, settings: dict) -> "KubernetesExecutor":
        return cls(settings)

    def api(self):
        if self._core is None:
            from kubernetes import client
            from ..kube.client import api_client
            self._api = api_client(self.settings, "kubernetes")
            self._core = client.CoreV1Api(self._api)
        return self._core

    def namespace(self, workflow: dict) -> str:
        from ..kube.client import namespace
        return namespace(self.settings, workflow)

    async def _io(self, fn, *args, **kwargs):
        return await asyncio.get_running_loop().run_in_executor(None, lambda: fn(*args, **kwargs))

    async def _call(self, what: str, ns: str, fn, *args, **kwargs):
        """One API call off the event loop; an ApiException becomes a clear error (403 names RBAC)."""
        from kubernetes.client.exceptions import ApiException
        from ..kube.client import api_error
        missing_ok = kwargs.pop("_missing_ok", False)
        try:
            return await self._io(fn, *args, **kwargs)
        except ApiException as exc:
            if exc.status == 404 and missing_ok:
                return None
            err = api_error(exc, "kubernetes", what, ns)
            err.status = exc.status
            raise err from None

    async def run(self, spec: StepSpec, prepare: Callable | None = None) -> StepResult:
        started = time.time()
        try:
            return await self._run(spec, started)
        except JupyterFlowError as exc:
            return StepResult(exit_code=None, error=f"step {spec.step_name!r}: {exc}", started_at=started,
                              finished_at=time.time())
        except Exception as exc:   # the client failed (connection refused, TLS): the node's message
            return StepResult(exit_code=None, error=f"step {spec.step_name!r}: {type(exc).__name__}: {exc}",
                              started_at=started, finished_at=time.time())

    async def _create(self, core, spec: StepSpec, ns: str, pod: dict) -> None:
        """Create the pod; one left by an earlier attempt of the same node (retry, podGC) is replaced."""
        try:
            await self._call("create its Pod", ns, core.create_namespaced_pod, ns, pod, _preload_content=False)
            return
        except JupyterFlowError as exc:
            if getattr(exc, "status", None) != 409:
                raise
        import json
        old = await self._call("read its old Pod", ns, core.read_namespaced_pod, spec.node_id, ns,
                               _preload_content=False)
        old = json.loads(old.data) if old is not None else {}
        if ((old.get("metadata") or {}).get("annotations") or {}).get("workflows.argoproj.io/node-id") != spec.node_id:
            raise JupyterFlowError(f"a Pod named {spec.node_id!r} already exists in namespace {ns!r} and was not "
                                   "created by this workflow; delete it or use another namespace")
        await self._call("delete its old Pod", ns, core.delete_namespaced_pod, spec.node_id, ns,
                         grace_period_seconds=0, _preload_content=False, _missing_ok=True)
        for _ in range(600):
            if await self._call("read its old Pod", ns, core.read_namespaced_pod, spec.node_id, ns,
                                _preload_content=False, _missing_ok=True) is None:
                break
            await asyncio.sleep(self.poll)
        await self._call("create its Pod", ns, core.create_namespaced_pod, ns, pod, _preload_content=False)

    def _follow_log(self, core, spec: StepSpec, ns: str, sink: list) -> threading.Thread:
        """Stream the main container's log into the node's log file while the pod runs."""
        def follow():
            try:
                resp = core.read_namespaced_pod_log(spec.node_id, ns, container="main", follow=True,
                                                    _preload_content=False)
                out = open(spec.log_path, "ab", opener=opener) if spec.log_path is not None else None
                try:
                    for chunk in resp.stream(65536):
                        sink.append(chunk)
                        if out is not None:
                            out.write(chunk)
                            out.flush()
                finally:
                    if out is not None:
                        out.close()
            except Exception as exc:   # noqa: BLE001 - the final read below fills the log instead
                sink.append(exc)
        thread = threading.Thread(target=follow, daemon=True, name=f"k8s-log:{spec.node_id}")
        thread.start()
        return thread

    async def _run(self, spec: StepSpec, started: float) -> StepResult:
        fetched = [a.get("name") for a in (spec.template.get("inputs") or {}).get("artifacts") or []
                   if "raw" not in a and not a.get("optional")]
        if fetched:   # raw ones are written by an init container (pod_manifest)
            raise JupyterFlowError(f"input artifacts ({', '.join(map(str, fetched))}) need an artifact repository "
                                   "in the cluster; run with --backend argo")
        needed = [a.get("name") for a in (spec.template.get("outputs") or {}).get("artifacts") or []
                  if not a.get("optional")]
        if needed:   # the files stay in the pod: nothing here can copy them out of a finished container
            raise JupyterFlowError(f"output artifacts ({', '.join(map(str, needed))}) need an artifact repository "
                                   "in the cluster; run with --backend argo, or mark them optional")
        import json
        core = await self._io(self.api)
        ns = self.namespace(spec.workflow)
        await self._create(core, spec, ns, pod_manifest(spec, ns, self.settings.get("initImage", "busybox")))
        self.running[spec.node_id] = ns
        status: dict = {}
        sink: list = []
        follower = None
        try:
            while True:
                obj = await self._call("read its Pod", ns, core.read_namespaced_pod, spec.node_id, ns,
                                       _preload_content=False, _missing_ok=True)
                if obj is None:   # deleted: stopped, or by someone else
                    break
                status = json.loads(obj.data).get("status") or {}
                phase = status.get("phase")
                waiting = [(cs.get("state") or {}).get("waiting") or {} for cs in status.get("containerStatuses") or []]
                bad = [w for w in waiting if w.get("reason") in PULL_ERRORS]
                if bad:   # the pod would wait forever: give it up (podGC permitting), fail the node
                    if self.pod_gc == "OnPodCompletion":
                        await self._call("delete its Pod", ns, core.delete_namespaced_pod, spec.node_id, ns,
                                         grace_period_seconds=0, _preload_content=False, _missing_ok=True)
                    raise JupyterFlowError(f"image pull failed for {spec.image!r}: {bad[0].get('reason')}: "
                                           f"{bad[0].get('message', '')}; check the image name and the cluster's "
                                           "access to its registry (imagePullSecrets)")
                if follower is None and phase in ("Running", "Succeeded", "Failed"):
                    follower = self._follow_log(core, spec, ns, sink)
                statuses = status.get("containerStatuses") or []
                if spec.on_start is not None and phase == "Running" and statuses and \
                        all(cs.get("ready") for cs in statuses):
                    spec.on_start(status.get("podIP") or "")   # ready (a daemon step goes on from here)
                    spec.on_start = None
                if phase in ("Succeeded", "Failed") or _main_terminated(status):
                    break   # sidecars may still run: deleting the pod (podGC) stops them, as Argo's wait does
                await asyncio.sleep(self.poll)
            if follower is not None:
                await self._io(follower.join, 30)
            streamed = [c for c in sink if isinstance(c, bytes)]
            if streamed and not any(isinstance(c, Exception) for c in sink):
                log = b"".join(streamed).decode(errors="replace")
            else:   # no follow stream (deleted before it started, or the stream failed): read it once
                log = await self._call("read its log", ns, core.read_namespaced_pod_log, spec.node_id, ns,
                                       container="main", _missing_ok=True)
                if log is None:   # the pod is gone: what was streamed is all there is (already in the file)
                    log = b"".join(streamed).decode(errors="replace")
                elif spec.log_path is not None:
                    with open(spec.log_path, "w", opener=opener) as f:
                        f.write(log)
        finally:
            self.running.pop(spec.node_id, None)
        return await self._finish(core, spec, ns, status, log, started)

    async def _finish(self, core, spec: StepSpec, ns: str, status: dict, log: str, started: float) -> StepResult:
        killed = self.kill_reason.pop(spec.node_id, None)
        term, code = {}, None
        for cs in status.get("containerStatuses") or []:
            if cs.get("name") == "main":
                t = (cs.get("state") or {}).get("terminated") or {}
                code = t.get("exitCode")
                term = parse_termination(t.get("message", ""))
        strategy = ((spec.workflow.get("spec") or {}).get("podGC") or {}).get("strategy") or self.pod_gc
        sidecars_running = status.get("phase") not in ("Succeeded", "Failed", None)
        if killed:
            pass   # already being deleted
        elif strategy == "OnPodCompletion" or (strategy == "OnPodSuccess" and code == 0) or sidecars_running:
            # a pod whose sidecars still run after main is deleted whatever podGC says: nothing else stops them
            await self._call("delete its Pod (podGC)", ns, core.delete_namespaced_pod, spec.node_id, ns,
                             _preload_content=False, _missing_ok=True)
        elif strategy in ("OnWorkflowCompletion", "OnWorkflowSuccess"):
            self.finished_pods.append((ns, spec.node_id, code == 0, strategy))
        staging = Path(spec.root or "/nonexistent") / "fs"

        def host_path(path: str) -> Path:
            return resolve_under(staging, path, step=spec.step_name)
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
            result.error = (f"step {spec.step_name!r}: pod ended without a result "
                            f"({status.get('reason') or status.get('phase') or 'deleted'})")
        if killed == "deadline":
            result.error = spec.deadline_message
        result.host_node_name = status.get("hostIP") or ""
        return result

    def kill(self, node_id: str, reason: str = "stop") -> None:
        ns = self.running.get(node_id)
        if ns is None:
            return
        self.kill_reason.setdefault(node_id, reason)

        def delete():
            try:
                self._core.delete_namespaced_pod(node_id, ns, grace_period_seconds=0, _preload_content=False)
            except Exception:   # noqa: BLE001 - already gone
                pass
        threading.Thread(target=delete, daemon=True).start()

    def kill_all(self, reason: str = "stop") -> None:
        """Stop running pods; the engine also calls this when the run ends: workflow-level podGC happens here."""
        self.stopped = True   # resource steps waiting on a condition give up too
        for node_id in list(self.running):
            self.kill(node_id, reason)
        if self.running or not self.finished_pods:
            return
        # OnWorkflowSuccess is judged by this executor's pods (all succeeded): it does not see the run's phase
        all_ok = all(ok for _, _, ok, _ in self.finished_pods)
        doomed = [(ns, name) for ns, name, _, strategy in self.finished_pods
                  if strategy == "OnWorkflowCompletion" or all_ok]
        self.finished_pods = []
        for ns, name in doomed:
            try:
                self._core.delete_namespaced_pod(name, ns, _preload_content=False)
            except Exception:   # noqa: BLE001 - already gone
                pass

    async def run_resource(self, node_id: str, step: str, tmpl: dict, workflow: dict, log_path) -> tuple:
        """A ``resource`` template: (phase, message, outputs) for the engine."""
        from ..kube.resource import run
        try:
            await self._io(self.api)
        except JupyterFlowError as exc:
            return "Error", f"step {step!r}: {exc}", None
        return await run(self, step, tmpl, workflow, log_path)
