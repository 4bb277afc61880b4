"""The Python API: ``submit()`` a workflow, get a ``Run`` back, and steer it.

A Run is a handle on a row of the store. When this process owns the run (submitted here) it
also talks to the live controller, so ``wait()`` and ``phase`` never poll; otherwise it reads
the store and sends control requests through it, which the owning engine picks up.
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
import uuid
from typing import TYPE_CHECKING, Any, Mapping

from . import nodesel, timestamps
from .errors import JupyterFlowError, LintError, RunNotFound, SpecError
from .phases import FINISHED, LIVE

if TYPE_CHECKING:
    from pathlib import Path

    from .artifacts import FoundArtifact

_SUFFIX = "bcdfghjklmnpqrstvwxz2456789"


def _on_loop(ctl) -> bool:
    """Is this code running on ``ctl``'s event loop (a hook, a callback of the engine)?"""
    import asyncio
    try:
        return asyncio.get_running_loop() is ctl.loop
    except RuntimeError:
        return False


def _store(store=None):
    from .store import open_store
    return store if store is not None else open_store()


def registry_for(store):
    """templateRef / workflowTemplateRef lookups against ``store``'s template registry."""
    from .store.db import registry_for as lookups
    return lookups(store)


def load_document(spec: Any, *, filename: str | None = None, store=None, options: dict | None = None,
                  backend: str | None = None):
    """Load and validate a Workflow from a path, YAML/JSON text, a dict or a Hera object.

    Submit ``options`` (-p, --entrypoint, names) are applied before validation, so a -p can
    supply a parameter the document leaves without a value. A valid document given as text is
    remembered (``spec.cache``): the same text with the same options is not parsed, checked and
    linted again; each call gets a workflow of its own. For a remote ``backend`` (argo) the
    ``templateRef``/``workflowTemplateRef`` targets live on the cluster, which resolves them:
    the local template registry is not consulted and a template missing from it is no error.
    """
    from . import spec as specmod
    from .spec import cache
    from .spec.loader import looks_like_path
    key = None
    if isinstance(spec, str) and looks_like_path(spec):
        from pathlib import Path
        spec = Path(spec)   # decided here once: load() would ask (and stat the file) again
    elif isinstance(spec, (str, bytes)):
        key = cache.key_for(spec, filename, options)
        data = cache.get(key) if key is not None else None
        if data is not None:
            return specmod.Document(data=data, filename=filename or "<string>")
    docs = specmod.load(spec, filename=filename)
    workflows = [d for d in docs if d.kind == "Workflow"]
    if not workflows:
        kinds = ", ".join(sorted({d.kind or "?" for d in docs})) or "nothing"
        name = docs[0].filename if docs else (filename or "<string>")
        line, col = docs[0].locate(("kind",)) if docs else (0, 0)
        raise SpecError([LintError(f"expected a Workflow document, found {kinds}"
                                   + ("; store templates with `jupyter-flow template create`"
                                      if "WorkflowTemplate" in kinds else ""), path="kind", file=name,
                                   line=line, column=col)])
    doc = workflows[0]
    if options:
        doc.data = apply_options(doc.data, **options)
    lookups = []
    remote = _is_remote(backend)
    stored = None if remote else registry_for(_store(store))

    def registry(name: str, cluster_scope: bool):
        lookups.append(name)
        return stored(name, cluster_scope)
    errors = [e for e in specmod.validate(doc, registry=None if remote else registry) if e.severity == "error"]
    if errors:
        import dataclasses
        # the file's line is not where a value given at submit came from
        for option, path, flag in (("entrypoint", "spec.entrypoint", "--entrypoint"), ("name", "metadata.name", "--name"),
                                   ("generate_name", "metadata.generateName", "--generate-name")):
            if options and options.get(option):
                given = f" (the {path.split('.')[1]} {options[option]!r} was given at submit: {flag})"
                errors = [dataclasses.replace(e, message=e.message + given) if e.path == path else e
                          for e in errors]
        raise SpecError(errors)
    unset = _arguments_without_value(doc)
    if unset:
        raise SpecError(unset)
    if key is not None and not lookups and not remote:   # a result that depends on the registry is not kept
        cache.put(key, doc.data)
    return doc


def _arguments_without_value(doc) -> list[LintError]:
    """What ``argo submit`` refuses and ``argo lint`` allows (validate.go validateArgumentsValues
    with allowEmptyValues only when linting): a workflow argument with neither value nor
    valueFrom once -p values are in (a template's inputs would otherwise end the run in Error)."""
    args = (doc.data.get("spec") or {}).get("arguments") or {}
    params = args.get("parameters") if isinstance(args, dict) else None
    out = []
    for i, p in enumerate(params if isinstance(params, list) else []):
        if isinstance(p, dict) and p.get("value") is None and p.get("valueFrom") is None:
            name = p.get("name")
            line, col = doc.locate(("spec", "arguments", "parameters", i))
            out.append(LintError(f"spec.arguments.{name}.value or spec.arguments.{name}.valueFrom is required "
                                 f"(give it with -p {name}=VALUE)", path=f"spec.arguments.parameters[{i}]",
                                 file=doc.filename, line=line, column=col))
    return out


def _is_remote(backend: str | None) -> bool:
    if not backend:
        return False
    from .backends.registry import backends
    return backends.get(backend).remote


def apply_options(workflow: dict, *, parameters: Mapping[str, Any] | None = None, name: str | None = None,
                  generate_name: str | None = None, entrypoint: str | None = None,
                  labels: Mapping[str, str] | None = None) -> dict:
    """What ``argo submit`` does to a Workflow before creating it: -p, --entrypoint, names."""
    wf = json.loads(json.dumps(workflow))
    meta = wf.setdefault("metadata", {})
    spec = wf.setdefault("spec", {})
    if parameters:
        args = spec.setdefault("arguments", {})
        plist = args.setdefault("parameters", [])
        for key, value in parameters.items():
            from .engine.variables import param_text
            value = param_text(value)
            for p in plist:
                if p.get("name") == key:
                    p["value"] = value
                    p.pop("valueFrom", None)
                    break
            else:
                plist.append({"name": key, "value": value})
    if entrypoint:
        spec["entrypoint"] = entrypoint
    if labels:
        meta.setdefault("labels", {}).update(labels)
    if name:
        meta["name"] = name
    elif generate_name:
        meta.pop("name", None)
        meta["generateName"] = generate_name
    return wf


def new_name(workflow: dict, store) -> str:
    meta = workflow.get("metadata") or {}
    if meta.get("name"):
        if store.exists(meta["name"]):
            raise JupyterFlowError(f"workflow {meta['name']!r} already exists; delete it or use --generate-name")
        return meta["name"]
    prefix = meta.get("generateName") or "workflow-"
    from .spec.names import GENERATED_SUFFIX, generated_name
    for _ in range(100):
        name = generated_name(prefix, "".join(random.choice(_SUFFIX) for _ in range(GENERATED_SUFFIX)))
        if not store.exists(name):
            return name
    raise JupyterFlowError("could not find a free workflow name")


def create(spec: Any, *, parameters=None, name=None, generate_name=None, entrypoint=None, filename=None,
           store=None, backend: str = "local", cache: bool | None = None,
           continue_from: str | None = None) -> tuple[str, dict]:
    """Validate, apply submit options and create the run row; returns (name, workflow).
    ``cache``/``continue_from``: the content step cache (engine/stepcache.py)."""
    store = _store(store)
    doc = load_document(spec, filename=filename, store=store, backend=backend, options=dict(
        parameters=parameters, name=name, generate_name=generate_name, entrypoint=entrypoint))
    wf = doc.data
    if cache is not None or continue_from:
        from .engine.stepcache import annotate
        annotate(wf, cache=cache, continue_from=continue_from, store=store)
    run_name = new_name(wf, store)
    wf["metadata"]["name"] = run_name
    if not wf["metadata"].get("namespace"):
        from . import config
        wf["metadata"]["namespace"] = config.namespace()
    uid = str(uuid.uuid4())
    wf["metadata"]["uid"] = uid
    wf["metadata"]["creationTimestamp"] = timestamps.now_iso()
    store.create_run(run_name, wf, uid=uid, namespace=wf["metadata"]["namespace"], owner_pid=os.getpid(),
                     backend=backend)
    return run_name, wf


def start(run_name: str, wf: dict, store, *, previous_nodes: dict | None = None, backend: str | None = None):
    """Run the engine for ``run_name`` on a background thread of this process (on the run's backend)."""
    from .backends import registry as backends
    from .engine.controller import Controller, run_in_thread
    if backend is None:
        rec = store.get_run(run_name, with_nodes=False)
        backend = rec.backend if rec is not None else None
    chosen = backends.get_backend(backend)
    if chosen.remote:
        return chosen.load().start(run_name, wf, store, backends.settings_for(chosen.name))
    ctl = Controller(wf, name=run_name, store=store, uid=(wf.get("metadata") or {}).get("uid", ""),
                     registry=registry_for(store), executor=backends.make_executor(chosen.name))
    if previous_nodes:
        ctl.preload(previous_nodes)
    run_in_thread(ctl)
    return ctl


def start_detached(run_name: str, store, *, retry: bool = False) -> int:
    """Run the engine in its own process (``jupyter-flow submit`` without --wait)."""
    from .store.paths import make_dirs, opener
    log = store.run_dir(run_name) / "engine.log"
    make_dirs(log.parent)
    env = dict(os.environ, JUPYTER_FLOW_HOME=str(store.home))
    with open(log, "ab", opener=opener) as out:
        proc = subprocess.Popen([sys.executable, "-m", "jupyter_flow.engine.daemon", run_name,
                                 *(["--retry"] if retry else [])],
                                stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=env,
                                start_new_session=True, close_fds=True)
    # the engine process owns the run from now on: a reader must not mistake the exited
    # submitter for a dead engine in the moment before the engine records itself
    store.save(run_name, run_fields={"owner_pid": proc.pid})
    return proc.pid


def submit(spec: Any, parameters: Mapping[str, Any] | None = None, wait: bool = False, *,
           name: str | None = None, generate_name: str | None = None, entrypoint: str | None = None,
           backend: str | None = None, filename: str | None = None, store=None,
           timeout: float | None = None, cache: bool | None = None, continue_from: "str | Run | None" = None) -> "Run":
    """Submit a Workflow (path, YAML text, dict or Hera ``Workflow``) to the embedded engine.

    Returns at once with a live ``Run`` unless ``wait`` is true. Invalid input raises
    ``SpecError`` listing every problem with file:line:column; nothing is stored then.
    ``cache=True`` reuses steps whose content key was seen before (``config.yaml`` ``cache: true``
    makes it the default); ``continue_from=run`` reuses that run's steps whose key is unchanged.
    """
    from .backends.registry import resolve
    backend = resolve(backend)
    store = _store(store)
    if continue_from is not None and not isinstance(continue_from, str):
        continue_from = continue_from.name
    run_name, wf = create(spec, parameters=parameters, name=name, generate_name=generate_name,
                          entrypoint=entrypoint, filename=filename, store=store, backend=backend,
                          cache=cache, continue_from=continue_from)
    run = launch(run_name, wf, store, backend=backend)
    if wait:
        run.wait(timeout)
    return run


def launch(run_name: str, wf: dict, store, *, backend: str | None = None, detach: bool = False) -> "Run":
    """Start a created run: on this process's engine thread, or with ``detach`` in an engine
    process of its own (the run outlives its caller, as on a cluster). A remote backend's run
    lives in its cluster either way."""
    from .backends.registry import backends
    if detach and not backends.get(backend).remote:
        start_detached(run_name, store)
        return Run(run_name, store=store)
    return Run(run_name, store=store, controller=start(run_name, wf, store, backend=backend))


PREVIOUS_WORKFLOW = "workflows.argoproj.io/resubmitted-from-workflow"
# labels of a run's state that a resubmission does not carry over (FormulateResubmitWorkflow)
_RUN_LABELS = ("workflows.argoproj.io/creator", "workflows.argoproj.io/creator-email",
               "workflows.argoproj.io/creator-preferred-username", "workflows.argoproj.io/phase",
               "workflows.argoproj.io/completed", "workflows.argoproj.io/workflow-archiving-status")


def resubmission(workflow: dict) -> dict:
    """``argo resubmit``'s new Workflow: the spec and labels of ``workflow``, a fresh generated name."""
    meta = dict(workflow.get("metadata") or {})
    base = meta.get("generateName") or (meta.get("name", "workflow") + "-")
    labels = {k: v for k, v in (meta.get("labels") or {}).items() if k not in _RUN_LABELS}
    labels[PREVIOUS_WORKFLOW] = meta.get("name", "")   # what `list --resubmitted` looks for
    spec = dict(workflow.get("spec") or {})
    spec.pop("shutdown", None)
    if spec.get("activeDeadlineSeconds") == 0:   # it was terminated that way: unset the deadline
        spec.pop("activeDeadlineSeconds")
    return {"apiVersion": workflow.get("apiVersion", "argoproj.io/v1alpha1"), "kind": "Workflow",
            "metadata": {"generateName": base, "labels": labels,
                         **({"annotations": meta["annotations"]} if meta.get("annotations") else {})},
            "spec": spec}


def get(name: str, *, store=None) -> "Run":
    store = _store(store)
    if name == "@latest":
        latest = store.latest()
        if latest is None:
            raise RunNotFound("there are no runs yet")
        name = latest
    if not store.exists(name):
        raise RunNotFound(f"workflow {name!r} not found")
    return Run(name, store=store)


def runs(phase: str | None = None, *, store=None, experiment: str | None = None, labels: Any = None,
         since: Any = None):
    """The runs in the store, newest first, filtered (see ``runset.select``): a ``Runs``."""
    from .runset import select
    return select(experiment=experiment, labels=labels, phase=phase, since=since, store=store)


def lint(source: Any, filename: str | None = None) -> list[LintError]:
    from . import spec as specmod
    try:
        return specmod.lint(source, filename=filename)
    except SpecError as exc:
        return exc.errors


def reconcile_orphan(store, rec) -> None:
    """A run whose engine process died is marked Error (its finished nodes are kept)."""
    from .store.db import pid_alive
    if rec.phase in FINISHED or rec.phase == "Pending" and rec.owner_pid is None:
        return
    if rec.backend not in ("local", "container", "dask", "kubernetes"):
        from .backends.registry import backends
        if backends.get(rec.backend).remote:   # it runs on in the cluster without us
            return
    from .engine.controller import live
    if rec.name in live or pid_alive(rec.owner_pid):
        return
    nodes = store.get_nodes(rec.name)
    changed = []
    now = timestamps.now_iso()
    for n in nodes.values():
        if n.get("phase") in LIVE:
            n["phase"] = "Error"
            n["message"] = "engine exited"
            n["finishedAt"] = now
            changed.append(n)
    status = dict(rec.status, phase="Error", message="engine exited", finishedAt=now)
    store.save(rec.name, run_fields={"phase": "Error", "message": "engine exited", "finished_at": time.time(),
                                     "status": status}, nodes=changed)
    _kill_orphans(store, rec.name)
    return True


def _kill_orphans(store, run: str) -> None:
    """Step processes outlive a killed engine only if their group survives: kill those groups."""
    import signal
    pids_file = store.run_dir(run) / "pids"
    if not pids_file.exists():
        return
    for line in pids_file.read_text().split():
        try:
            os.killpg(int(line), signal.SIGKILL)
        except (ValueError, ProcessLookupError, PermissionError):
            pass


class Run:
    """A handle on one run: read its state, wait for it, steer it."""

    def __init__(self, name: str, *, store=None, controller=None):
        self.name = name
        self._store = _store(store)
        self._ctl = controller

    # -- state ------------------------------------------------------------------------------
    @property
    def _live(self):
        if self._ctl is not None:
            return self._ctl
        from .engine.controller import live
        return live.get(self.name)

    @property
    def controller(self):
        """The engine running this run in this process (events: ``subscribe``), or None when
        another process owns it or it is over (then ``store`` has its state)."""
        return self._live

    @property
    def store(self):
        """The store this run is recorded in."""
        return self._store

    def _record(self):
        rec = self._store.get_run(self.name)
        if rec is None:
            raise RunNotFound(f"workflow {self.name!r} not found")
        if reconcile_orphan(self._store, rec):
            rec = self._store.get_run(self.name)
        return rec

    @property
    def phase(self) -> str:
        ctl = self._live
        if ctl is not None and not ctl.done.is_set():
            return ctl.phase
        if ctl is not None:
            return ctl.phase
        return self._record().phase

    @property
    def finished(self) -> bool:
        return self.phase in FINISHED

    def to_dict(self) -> dict:
        """The Workflow with ``status`` in Argo's shape (what ``get -o json`` prints)."""
        ctl = self._live
        if ctl is not None:
            if ctl.loop is not None and not ctl.done.is_set():
                import concurrent.futures
                fut = concurrent.futures.Future()

                def snap():
                    try:
                        fut.set_result(ctl.to_dict())
                    except Exception as exc:  # pragma: no cover - defensive
                        fut.set_exception(exc)
                try:
                    ctl.loop.call_soon_threadsafe(snap)
                    return json.loads(json.dumps(fut.result(timeout=10)))
                except RuntimeError:
                    pass
            elif ctl.done.is_set():
                return json.loads(json.dumps(ctl.to_dict()))
        rec = self._record()
        wf = dict(rec.workflow)
        status = dict(rec.status)
        status["phase"] = rec.phase
        if rec.message:
            status["message"] = rec.message
        status["nodes"] = self._store.get_nodes(self.name)
        wf["status"] = status
        return wf

    @property
    def metrics(self) -> list[dict]:
        """Every custom metric (``metrics.prometheus``) the run emitted, in order:
        ``{name, labels, value, node, type, help, time}`` (``node``: the node id, None for a
        workflow-level metric; a realtime gauge's ``value`` is read now). Argo emits these to
        Prometheus only; here they are also kept with the run (``store/metrics.py``)."""
        from .store.metrics import run_metrics
        if self._store.get_run(self.name, with_nodes=False) is None:
            raise RunNotFound(f"workflow {self.name!r} not found")
        return run_metrics(self._store, self.name)

    @property
    def nodes(self) -> dict[str, dict]:
        """``status.nodes``: node id -> Argo NodeStatus dict."""
        return self.to_dict()["status"].get("nodes", {})

    def node(self, selector: str) -> dict:
        """A node by id, full name, display name or pod name (what ``get`` shows, ``argo logs WF POD``).

        A display name several nodes share raises :class:`~jupyter_flow.errors.AmbiguousNode`
        listing their ids and full names, instead of picking one."""
        found = nodesel.one(self.nodes, selector, self._pod_namer(selector))
        if found is not None:
            return found
        raise JupyterFlowError(f"no node {selector!r} in {self.name}; nodes: "
                               + ", ".join(sorted(n.get("displayName", "") for n in self.nodes.values())))

    def _pod_namer(self, selector: str):
        if not selector.startswith(self.name + "-"):
            return None
        from .render import pod_name
        wf = {"metadata": self._record().workflow.get("metadata") or {"name": self.name}}
        return lambda n: pod_name(wf, n)

    @property
    def outputs(self) -> "nodesel.NodeOutputs":
        """Outputs keyed by node id, plus the workflow's global outputs under ``"workflow"``.

        ``run.outputs["generate"]`` (a display name) works while one node with outputs has that
        name; when several do it raises :class:`~jupyter_flow.errors.AmbiguousNode` naming them.
        """
        status = self.to_dict()["status"]
        return nodesel.NodeOutputs(status.get("nodes", {}), status.get("outputs"))

    def artifacts(self, *, artifact_name: str | None = None, template_name: str | None = None,
                  node_id: str | None = None) -> "list[FoundArtifact]":
        """The nodes' output artifacts (Argo's SearchArtifacts), each with the file or directory
        that holds it on this machine (``.stored``), narrowed by the filters given."""
        from .artifacts import search
        return search(self.nodes, self._store.artifact_dir(self.name), artifact_name=artifact_name,
                      template_name=template_name, node_id=node_id)

    def copy_artifacts(self, dest: "str | os.PathLike[str]", *, artifact_name: str | None = None,
                       template_name: str | None = None, node_id: str | None = None,
                       path: str | None = None) -> "list[Path]":
        """``argo cp``: copy the output artifacts (narrowed as in ``artifacts``) under ``dest``, each
        in ``path`` (default ``{namespace}/{workflowName}/{nodeId}/outputs/{artifactName}``).
        Returns the files and directories written."""
        from .artifacts import DEFAULT_PATH, copy
        found = self.artifacts(artifact_name=artifact_name, template_name=template_name, node_id=node_id)
        return copy(found, dest, workflow=self.name, namespace=self._record().namespace or "default",
                    path=path or DEFAULT_PATH)

    def logs(self, node: str | None = None) -> str:
        """The log of one node, or of every pod (prefixed with its name, as ``argo logs``)."""
        nodes = self.nodes
        if node is not None:
            n = self.node(node)
            path = self._store.log_path(self.name, n["id"])
            return path.read_text(errors="replace") if path.exists() else ""
        from .render import pods_in_order
        lines = []
        for n in pods_in_order(nodes):
            path = self._store.log_path(self.name, n["id"])
            if path.exists():
                for line in path.read_text(errors="replace").splitlines():
                    lines.append(f"{n['displayName']}: {line}")
        return "\n".join(lines) + ("\n" if lines else "")

    def wait(self, timeout: float | None = None) -> str:
        """Block until the run finishes (or ``timeout`` seconds pass); returns the phase."""
        ctl = self._live
        if ctl is not None:
            ctl.done.wait(timeout)
            return ctl.phase
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.02
        while True:
            phase = self._record().phase
            if phase in FINISHED or (deadline is not None and time.monotonic() >= deadline):
                return phase
            time.sleep(delay)
            delay = min(delay * 1.5, 0.25)

    # -- control ------------------------------------------------------------------------------
    def _request(self, action: str, payload: dict | None = None) -> None:
        from .backends.registry import backends
        chosen = backends.get(self._record().backend)
        if chosen.remote:   # any process may steer a run that lives in a cluster
            return chosen.load().control(self, action, payload or {})
        ctl = self._live
        if ctl is not None and not ctl.done.is_set():
            answer = ctl.request(action, payload)
            if not _on_loop(ctl):   # on the engine's own thread the answer comes after we return
                import concurrent.futures
                try:
                    refused = answer.result(timeout=5)
                except concurrent.futures.TimeoutError:   # a busy engine: the request still stands
                    refused = None
                if refused:
                    raise JupyterFlowError(f"{action} {self.name}: {refused}")
        else:
            if self.finished:
                raise JupyterFlowError(f"workflow {self.name!r} has already finished ({self.phase})")
            seq = self._store.request(self.name, action, payload)
            if action in ("resume", "set"):   # the requests an engine may refuse: wait for its answer a while
                deadline = time.monotonic() + 3.0
                while time.monotonic() < deadline:
                    refused = self._store.request_answer(seq)
                    if refused is not None:
                        if refused:
                            raise JupyterFlowError(f"{action} {self.name}: {refused}")
                        return
                    time.sleep(0.05)

    def resume(self, node: str | None = None) -> None:
        """Resume the run, or only the suspended node ``node`` (a name that matches no suspended
        node is an error, not a silent no-op)."""
        if node:
            # like Argo's node field selector, a display name resumes every suspended node it names
            found = nodesel.matching(self.nodes, node, self._pod_namer(node))
            if not found:
                self.node(node)   # the "no node" error
            if not any(n.get("type") == "Suspend" and n.get("phase") == "Running" for n in found):
                n = found[0]
                raise JupyterFlowError(f"node {node!r} of {self.name} is not suspended "
                                       f"({n.get('type')}, {n.get('phase')})")
        self._request("resume", {"node": node} if node else None)

    def suspend(self) -> None:
        self._request("suspend")

    def stop(self, message: str | None = None) -> None:
        """Stop: kill running steps, then run exit handlers (``argo stop``)."""
        self._request("stop", {"message": message} if message else None)

    def terminate(self) -> None:
        """Terminate: kill running steps, no exit handlers (``argo terminate``)."""
        self._request("terminate")

    def set_node(self, node: str, *, parameters: Mapping[str, str] | None = None, message: str | None = None,
                 phase: str | None = None) -> None:
        """``argo node set`` on a waiting suspend node: give its supplied output ``parameters``
        (each once), a ``message``, or end it with ``phase`` (Succeeded, Failed or Error: an
        approval step rejected with ``phase="Failed"`` fails the workflow unless a
        ``continueOn`` covers it). A node that is not a waiting suspend node is an error."""
        if phase is not None and phase not in FINISHED:
            raise JupyterFlowError(f"cannot set a node's phase to {phase!r}: Succeeded, Failed or Error")
        self._request("set", {"node": node, "parameters": dict(parameters or {}), "message": message,
                              **({"phase": phase} if phase else {})})

    def retry(self, wait: bool = False, *, detach: bool = False) -> "Run":
        """Re-run failed/errored nodes, keeping succeeded ones and their outputs (``argo retry``)."""
        from .backends.registry import backends
        chosen = backends.get(self._record().backend)
        if chosen.remote:
            return chosen.load().retry(self, wait=wait)
        from .retry import retry_run
        return retry_run(self, wait=wait, detach=detach)

    def resubmit(self, wait: bool = False, detach: bool = False,
                 parameters: Mapping[str, Any] | None = None, memoized: bool = False) -> "Run":
        """A new run from the same Workflow (``argo resubmit``), ``parameters`` overriding its
        arguments (``-p``). ``memoized``: of a Failed or Error run, the new run reuses the pods
        that succeeded (Skipped nodes with their outputs) and runs only the rest. ``detach``: its
        engine runs in a process of its own (what the CLI does: the run outlives the command)."""
        rec = self._record()
        if memoized:
            from .backends.registry import backends
            if backends.get(rec.backend).remote:
                raise JupyterFlowError(f"resubmit --memoized of a run on the {rec.backend} backend: use "
                                       f"`argo resubmit --memoized {self.name}`")
            from .retry import resubmit_memoized
            return resubmit_memoized(self, parameters=parameters, wait=wait, detach=detach)
        clean = resubmission(rec.workflow)
        if detach and not wait:
            name, wf = create(clean, parameters=parameters, store=self._store, backend=rec.backend)
            return launch(name, wf, self._store, backend=rec.backend, detach=True)
        return submit(clean, parameters=parameters, wait=wait, store=self._store, backend=rec.backend)

    def delete(self) -> None:
        from .backends.registry import backends
        chosen = backends.get(self._record().backend)
        if chosen.remote:
            chosen.load().delete(self)
        elif not self.finished:
            self.terminate()
            self.wait(10)
        self._store.delete_run(self.name)

    def __repr__(self) -> str:
        return f"<Run {self.name} {self.phase}>"

    def __str__(self) -> str:
        from .render import render_get
        return render_get(self.to_dict())

    def _repr_mimebundle_(self, include=None, exclude=None):
        """Jupyter display: the live DAG widget in a kernel with ipywidgets, else the ``get`` tree."""
        from .notebook.display import mimebundle
        return mimebundle(self, include=include, exclude=exclude)
