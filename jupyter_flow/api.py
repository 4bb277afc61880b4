"""The Python API: ``submit()`` a workflow, get a ``Run`` back, and steer it.

``submit`` is the launch pipeline (:mod:`jupyter_flow.launch`) with a ``Run`` around its result.
A Run is a handle on a row of the store. When this process follows the run (submitted here) it
also talks to the live controller, so ``wait()`` and ``phase`` never poll; otherwise it reads
the store. Steering (resume, stop, retry, delete, ...) is the run's backend's
(:class:`jupyter_flow.backends.base.Backend`): the engine that owns a local run picks requests up
from the store, a cluster's run is steered in the cluster. How a Run displays in a notebook is
the notebook's to say (:mod:`jupyter_flow.views`): this module imports no surface.
"""
from __future__ import annotations

import json
import os
import sys
import time
from typing import TYPE_CHECKING, Any, Mapping

from . import nodesel, timestamps
from .errors import JupyterFlowError, LintError, RunNotFound, SpecError
# the launch pipeline's stages, still reachable as ``api.<name>`` (the API's own launch is ``submit``)
from .launch import (RunExists, apply_options, choose_backend, create, launch, load_document,  # noqa: F401
                     new_name, open_store, registry_for, start)
from .phases import FINISHED, LIVE
from .resubmit import PREVIOUS_WORKFLOW, resubmission  # noqa: F401

if TYPE_CHECKING:
    from pathlib import Path

    from .artifacts import FoundArtifact

def _store(store=None):
    return open_store(store)


def submit(spec: Any, parameters: Mapping[str, Any] | None = None, wait: bool = False, *,
           name: str | None = None, generate_name: str | None = None, entrypoint: str | None = None,
           labels: Mapping[str, str] | None = None, backend: str | None = None, filename: str | None = None,
           store=None, timeout: float | None = None, cache: bool | None = None,
           continue_from: "str | Run | None" = None, detach: bool = False) -> "Run":
    """Submit a Workflow (path, YAML text, dict or Hera ``Workflow``) on ``backend`` (else
    ``config.yaml``'s ``backend:``, else ``local``): :func:`jupyter_flow.launch.launch`.

    Returns at once with a live ``Run`` unless ``wait`` is true. Invalid input raises
    ``SpecError`` listing every problem with file:line:column; nothing is stored then.
    ``cache=True`` reuses steps whose content key was seen before (``config.yaml`` ``cache: true``
    makes it the default); ``continue_from=run`` reuses that run's steps whose key is unchanged.
    ``detach``: the run outlives this process (an engine process of its own), as the CLI's.
    """
    store = _store(store)
    if continue_from is not None and not isinstance(continue_from, str):
        continue_from = continue_from.name
    run_name, handle = launch(spec, parameters=parameters, name=name, generate_name=generate_name,
                              entrypoint=entrypoint, labels=labels, filename=filename, backend=backend,
                              store=store, cache=cache, continue_from=continue_from, detach=detach)
    run = Run(run_name, store=store, controller=handle)
    if wait:
        run.wait(timeout)
    return run


def start_detached(run_name: str, store, *, retry: bool = False) -> int:
    """Serve a created run in a process of its own, on its recorded backend; returns the pid."""
    rec = store.get_run(run_name, with_nodes=False)
    return choose_backend(rec.backend if rec is not None else None).spawn(run_name, store, retry=retry)


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


def lint(source: Any, filename: str | None = None) -> list[LintError]:
    from . import spec as specmod
    try:
        return specmod.lint(source, filename=filename)
    except SpecError as exc:
        return exc.errors


def reconcile_orphan(store, rec) -> bool:
    """Mark a run whose engine process died Error (its finished nodes are kept, its step
    processes killed); True when it did, so the caller reads the run again."""
    from .store.db import pid_alive
    if rec.phase in FINISHED or rec.phase == "Pending" and rec.owner_pid is None:
        return False
    if choose_backend(rec.backend).remote:   # it runs on in the cluster without us
        return False
    from .engine.controller import live
    if rec.name in live or pid_alive(rec.owner_pid):
        return False
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
    save = store._save_op(rec.name, {"phase": "Error", "message": "engine exited", "finished_at": time.time(),
                                     "status": status}, changed, ())

    def op(conn):
        # ``rec`` was read before the pid check: an engine that wrote its run's end and exited in
        # between left a finished row, which must not be overwritten with "engine exited"
        row = conn.execute("SELECT phase, owner_pid FROM runs WHERE name=?", (rec.name,)).fetchone()
        if row is None or row[0] != rec.phase or row[1] != rec.owner_pid:
            return False
        save(conn)
        return True
    if not store._write(op):
        return False
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
        controller = sys.modules.get("jupyter_flow.engine.controller")
        if controller is None:   # no engine ever loaded in this process (a CLI reading the store): none live
            return None
        return controller.live.get(self.name)

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
        rec = self._store.get_run(self.name, with_nodes=False)   # the nodes are read where needed
        if rec is None:
            raise RunNotFound(f"workflow {self.name!r} not found")
        if reconcile_orphan(self._store, rec):
            rec = self._store.get_run(self.name, with_nodes=False)
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
        return self._record().to_dict(self._store.get_nodes(self.name))

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
        if self._live is None:   # a stored run: look the node up inside SQLite, decoding no other node
            found = self._store.match_nodes(self.name, selector)
            if not found and selector.startswith(self.name + "-"):
                # a pod name (v2 ``<run>-<template>-<hash>``) is its node id's hash: try that id
                maybe = self._store.get_node(self.name, f"{self.name}-{selector.rsplit('-', 1)[1]}")
                namer = self._pod_namer(selector)
                found = [maybe] if maybe is not None and namer is not None and namer(maybe) == selector else []
            if len(found) == 1:
                return found[0]
        # several nodes of that display name (AmbiguousNode names them all) or none: over every node
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
        if node is not None:
            n = self.node(node)
            path = self._store.log_path(self.name, n["id"])
            return path.read_text(errors="replace") if path.exists() else ""
        nodes = self.nodes
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
    def _backend(self):
        """The Backend this run was launched on (its lifecycle: control, retry, delete)."""
        from .backends.registry import backends
        return backends.get(self._record().backend)

    def _request(self, action: str, payload: dict | None = None) -> None:
        self._backend().control(self, action, payload or {})

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
        """Re-run failed/errored nodes, keeping succeeded ones and their outputs (``argo retry``).
        ``detach``: the retried run's engine is a process of its own (the CLI's way)."""
        run = Run(self.name, store=self._store, controller=self._backend().retry(self, detach=detach))
        if wait:
            run.wait()
        return run

    def resubmit(self, wait: bool = False, detach: bool = False,
                 parameters: Mapping[str, Any] | None = None, memoized: bool = False) -> "Run":
        """A new run from the same Workflow on the same backend (``argo resubmit``), ``parameters``
        overriding its arguments (``-p``). ``memoized``: of a Failed or Error run, the new run reuses
        the pods that succeeded (Skipped nodes with their outputs) and runs only the rest. ``detach``
        (unless ``wait``): its engine runs in a process of its own (the run outlives the caller)."""
        from .resubmit import resubmit
        name, handle = resubmit(self._record(), self._store, parameters=parameters, memoized=memoized,
                                detach=detach and not wait)
        run = Run(name, store=self._store, controller=handle)
        if wait:
            run.wait()
        return run

    def delete(self) -> None:
        """End the run where it runs (terminated here, deleted from its cluster) and delete it from the store."""
        self._backend().delete(self)
        self._store.delete_run(self.name)

    def __repr__(self) -> str:
        return f"<Run {self.name} {self.phase}>"

    def __str__(self) -> str:
        from .render import render_get
        return render_get(self.to_dict())

    def _repr_mimebundle_(self, include=None, exclude=None):
        """Jupyter display: what the notebook registered (the live DAG widget in a kernel with
        ipywidgets, see ``jupyter_flow.views``), else the ``get`` tree."""
        from . import views
        return views.mimebundle("run", self, lambda: str(self), include=include, exclude=exclude)
