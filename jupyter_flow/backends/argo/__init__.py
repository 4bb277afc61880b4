"""The ``argo`` backend: the whole Workflow goes to Argo Workflows; its status is mirrored here.

Submission creates the ``argoproj.io/v1alpha1`` ``Workflow`` custom resource with the official
``kubernetes`` client (kubeconfig or in-cluster; ``argo.namespace``), or, with ``argo.server`` and
``argo.token``, through the Argo Server's REST API. A follower thread watches the object and
writes ``status.nodes`` (already the engine's node shape) into the store, with one event per
node phase change, and streams each pod's ``main`` container log into the node's log file: so
``get``, ``logs``, ``watch``, the API and the notebook show the run like a local one.

Control maps to what Argo's own server does (``workflow/util/util.go``):

* suspend -> merge patch ``spec.suspend: true``
* resume -> ``spec.suspend`` cleared and, for matching running Suspend nodes, ``phase: Succeeded``
  (supplied output parameters take their default), written with an update on the fetched object
* stop / terminate -> merge patch ``spec.shutdown: Stop | Terminate``
* set (``argo node set``) -> output parameters / message written onto the Suspend node
* retry -> failed nodes dropped (and their pods deleted), phase Running, ``completed`` label false
* delete -> the Workflow object is deleted (its pods go with it, by owner reference)

``kubernetes`` is imported only inside this package, and only when a run uses it.
"""
from __future__ import annotations

import copy
import threading
import time

from ...errors import JupyterFlowError
from ...phases import FAILED_OR_ERROR, FINISHED, WORKFLOW_PHASES
from ...store.paths import make_dirs, opener
from ...timestamps import epoch, iso
from .transport import KubeTransport, ServerTransport, Transport

GROUP, VERSION, PLURAL = "argoproj.io", "v1alpha1", "workflows"
LOCAL_ONLY_META = ("uid", "creationTimestamp", "resourceVersion", "generation", "managedFields", "selfLink")


def manifest(workflow: dict, settings: dict | None = None) -> dict:
    """Exactly the object sent to the cluster (also what ``submit --dry-run --backend argo`` prints)."""
    settings = settings or {}
    wf = copy.deepcopy(workflow)
    wf["apiVersion"] = f"{GROUP}/{VERSION}"
    wf["kind"] = "Workflow"
    meta = wf.setdefault("metadata", {})
    for key in LOCAL_ONLY_META:
        meta.pop(key, None)
    meta["namespace"] = settings.get("namespace") or meta.get("namespace") or "default"
    labels = dict(meta.get("labels") or {})
    labels.setdefault("jupyter-flow/submitted-by", "jupyter-flow")
    meta["labels"] = labels
    wf.pop("status", None)
    from ...engine.stepcache import settings
    cache, continue_from = settings(wf)
    if continue_from:
        raise JupyterFlowError(f"--continue {continue_from}: edit-and-continue reuses this machine's runs; "
                               "on --backend argo use --cache (Argo memoize) or `argo resubmit --memoized`")
    if cache:
        from .memoize import add_memoize
        add_memoize(wf)
    return wf


def transport(settings: dict) -> Transport:
    if settings.get("server"):
        return ServerTransport(settings)
    return KubeTransport(settings)


_ts = epoch   # Argo's timestamps from the cluster: None for anything else (text from outside)


def _now() -> str:
    return iso(time.time())


class ArgoRun:
    """The live handle of a run in Argo (what a Controller is for local runs)."""

    loop = None   # no engine loop here: readers go through the store, which the follower keeps current

    def __init__(self, name: str, workflow: dict, store, settings: dict, client: Transport):
        self.name = name
        self.workflow = workflow
        self.store = store
        self.settings = settings
        self.client = client
        self.namespace = workflow["metadata"]["namespace"]
        self.phase = "Pending"
        self.message = ""
        self.obj: dict = {}
        self.done = threading.Event()
        self.subscribers: list = []
        self._phases: dict[str, str] = {}
        self._log_threads: dict[str, threading.Thread] = {}
        self._stop = threading.Event()

    # -- Controller-like surface -----------------------------------------------------------------
    def subscribe(self, fn):
        self.subscribers.append(fn)
        return lambda: self.subscribers.remove(fn) if fn in self.subscribers else None

    def _emit(self, event: dict) -> None:
        for fn in list(self.subscribers):
            try:
                fn(event)
            except Exception:
                pass

    def to_dict(self) -> dict:
        wf = copy.deepcopy(self.obj or self.workflow)
        status = wf.setdefault("status", {})
        if self.phase in FINISHED and status.get("phase") != self.phase:   # ended here (403, deleted), not by Argo
            status.update(phase=self.phase, message=self.message)
        return wf

    def request(self, action: str, payload: dict | None = None) -> None:
        control_object(self.client, self.namespace, self.name, action, payload or {})

    # -- following ---------------------------------------------------------------------------------
    def apply(self, obj: dict) -> None:
        """Mirror one observed state of the Workflow into the store (and events)."""
        from .ingest import sane_nodes, sane_status
        status = sane_status(obj)
        nodes = sane_nodes(status)
        status = dict(status, nodes=nodes) if status.get("nodes") is not None else status
        self.obj = dict(obj, status=status) if isinstance(obj, dict) else {"status": status}
        changed = [n for nid, n in nodes.items() if self._phases.get(nid) != n.get("phase")]
        events = []
        for n in changed:
            self._phases[n["id"]] = n.get("phase")
            events.append((time.time(), "node", n["id"], {"phase": n.get("phase")}))
        phase = status.get("phase") or "Pending"
        if phase not in WORKFLOW_PHASES:
            phase = "Pending" if phase == "" else "Running"   # a phase Argo does not have: not finished
        message = status.get("message", "")
        run_fields = {"phase": "Running" if phase == "Pending" and status.get("startedAt") else phase,
                      "message": message if isinstance(message, str) else "", "started_at": _ts(status.get("startedAt")),
                      "finished_at": _ts(status.get("finishedAt")),
                      "status": {k: v for k, v in status.items() if k != "nodes"}}
        if run_fields["phase"] != self.phase:
            events.append((time.time(), "run", None, {"phase": run_fields["phase"]}))
        self.phase, self.message = run_fields["phase"], run_fields["message"]
        self.store.save(self.name, run_fields=run_fields, nodes=list(nodes.values()), events=events)
        for n in changed:
            self._emit({"kind": "node", "run": self.name, "node": n})
            if n.get("type") == "Pod" and n.get("phase") not in ("Pending", None):
                self._follow_log(n)
        if events and events[-1][1] == "run":
            self._emit({"kind": "run", "run": self.name, "phase": self.phase})

    def _follow_log(self, node: dict) -> None:
        nid = node["id"]
        old = self._log_threads.get(nid)
        if old is not None and old.is_alive():
            return
        if old is not None and node.get("phase") not in FINISHED:
            return
        if old is not None and getattr(old, "final", False):
            return
        path = self.store.log_path(self.name, nid)
        make_dirs(path.parent)
        final = node.get("phase") in FINISHED

        def follow():
            try:
                data = b""
                with open(path, "wb", opener=opener) as out:   # the pod's log from its start: rewritten each follow
                    for chunk in self.client.pod_log(self.namespace, self.name, node, follow=not final):
                        out.write(chunk)
                        out.flush()
                        data += chunk
            except Exception as exc:   # the pod is gone (podGC) or not started yet: keep what we had
                if not path.exists() or not path.stat().st_size:
                    path.write_text(f"(logs unavailable: {exc})\n")
        thread = threading.Thread(target=follow, daemon=True, name=f"argo-log:{nid}")
        thread.final = final
        self._log_threads[nid] = thread
        thread.start()

    def follow(self) -> str:
        """Watch the Workflow until it finishes; reconnects when a watch ends."""
        # not `from . import transport`: the package's transport() function shadows that submodule name
        from .transport import Gone
        try:
            self.apply(self.client.get(self.namespace, self.name))
            while self.phase not in FINISHED and not self._stop.is_set():
                for obj in self.client.watch(self.namespace, self.name, (self.obj.get("metadata") or {})
                                             .get("resourceVersion")):
                    self.apply(obj)
                    if self.phase in FINISHED:
                        break
                    for action, payload in self.store.take_requests(self.name):
                        self.request(action, payload)
                else:
                    if self.phase not in FINISHED:
                        time.sleep(0.2)
                        self.apply(self.client.get(self.namespace, self.name))
        except Gone:
            self.phase, self.message = "Error", "the Workflow was deleted from the cluster"
            self.store.save(self.name, run_fields={"phase": "Error", "message": self.message,
                                                   "finished_at": time.time()})
        except JupyterFlowError as exc:
            self.phase, self.message = "Error", str(exc)
            self.store.save(self.name, run_fields={"phase": "Error", "message": str(exc), "finished_at": time.time()})
        finally:
            for t in list(self._log_threads.values()):
                t.join(10)
            # last logs of pods that finished between two observations
            for n in ((self.obj.get("status") or {}).get("nodes") or {}).values():
                t = self._log_threads.get(n["id"])
                if n.get("type") == "Pod" and (t is None or not getattr(t, "final", False)):
                    self._log_threads.pop(n["id"], None)
                    self._follow_log(dict(n, phase=n.get("phase") if n.get("phase") in FINISHED else "Succeeded"))
            for t in list(self._log_threads.values()):
                t.join(10)
            from ...engine.controller import live
            live.pop(self.name, None)
            self.done.set()
        return self.phase


def start(run_name: str, workflow: dict, store, settings: dict, *, thread: bool = True) -> ArgoRun:
    """Create the Workflow in the cluster and follow it (on a thread unless ``thread=False``)."""
    try:
        client = transport(settings)
    except JupyterFlowError as exc:
        store.save(run_name, run_fields={"phase": "Error", "message": str(exc), "finished_at": time.time()})
        raise
    body = manifest(workflow, settings)
    body["metadata"]["name"] = run_name
    body["metadata"].pop("generateName", None)
    ns = body["metadata"]["namespace"]
    rec = store.get_run(run_name, with_nodes=False)
    handle = ArgoRun(run_name, body, store, settings, client)
    if rec is None or not (rec.status or {}).get("submitted"):
        try:
            created = client.create(ns, body)
        except JupyterFlowError as exc:
            store.save(run_name, run_fields={"phase": "Error", "message": str(exc), "finished_at": time.time()})
            raise
        stored = dict(rec.workflow if rec else workflow)
        stored.setdefault("metadata", {})["namespace"] = ns
        store.save(run_name, run_fields={"workflow": stored, "status": {"submitted": True}})
        handle.obj = created
    from ...engine.controller import live
    live[run_name] = handle
    if thread:
        threading.Thread(target=handle.follow, daemon=True, name=f"argo:{run_name}").start()
    else:
        handle.follow()
    return handle


def _client_for(run) -> tuple[Transport, str]:
    from ..registry import settings_for
    rec = run.store.get_run(run.name, with_nodes=False)
    settings = settings_for("argo")
    ns = (rec.workflow.get("metadata") or {}).get("namespace") or settings.get("namespace") or "default"
    return transport(settings), ns


def control(run, action: str, payload: dict) -> None:
    client, ns = _client_for(run)
    control_object(client, ns, run.name, action, payload)


def control_object(client: Transport, ns: str, name: str, action: str, payload: dict) -> None:
    if action == "suspend":
        client.suspend(ns, name)
    elif action == "resume":
        client.resume(ns, name, payload.get("node"))
    elif action in ("stop", "terminate"):
        client.shutdown(ns, name, "Stop" if action == "stop" else "Terminate", payload.get("message"))
    elif action == "set":
        client.set_node(ns, name, payload.get("node"), payload.get("parameters") or {}, payload.get("message"),
                        payload.get("phase"))
    else:
        raise JupyterFlowError(f"backend 'argo': unknown action {action!r}")


def retry(run) -> ArgoRun:
    """``argo retry`` in the cluster; returns the handle following the retried run from here."""
    client, ns = _client_for(run)
    rec = run.store.get_run(run.name, with_nodes=False)
    if rec.phase not in FAILED_OR_ERROR:
        raise JupyterFlowError(f"workflow {run.name!r} is {rec.phase}: only Failed or Error runs can be retried")
    client.retry(ns, run.name)
    from ..registry import settings_for
    handle = ArgoRun(run.name, rec.workflow, run.store, settings_for("argo"), client)
    handle.phase = "Running"
    handle._phases = {}
    run.store.save(run.name, run_fields={"phase": "Running", "message": "", "finished_at": None})
    from ...engine.controller import live
    live[run.name] = handle
    threading.Thread(target=handle.follow, daemon=True, name=f"argo:{run.name}").start()
    return handle


def delete(run) -> None:
    client, ns = _client_for(run)
    client.delete(ns, run.name)


# -- what Argo's server does to a Workflow object (workflow/util/util.go) ---------------------------
def resume_object(wf: dict, node_selector: str | None) -> dict:
    """ResumeWorkflow: clear spec.suspend (no selector) and succeed matching running Suspend nodes."""
    wf = copy.deepcopy(wf)
    if not node_selector:
        wf.setdefault("spec", {}).pop("suspend", None)
    for node in ((wf.get("status") or {}).get("nodes") or {}).values():
        if node.get("type") != "Suspend" or node.get("phase") != "Running":
            continue
        if node_selector and node_selector not in (node.get("displayName"), node.get("name"), node.get("id")):
            continue
        _set_supplied_defaults(node)
        node["phase"] = "Succeeded"
        node["finishedAt"] = _now()
    return wf


def _set_supplied_defaults(node: dict) -> None:
    for p in ((node.get("outputs") or {}).get("parameters") or []):
        vf = p.get("valueFrom") or {}
        if "supplied" in vf and "value" not in p:
            if "default" not in vf:
                raise JupyterFlowError(f"raw output parameter '{p['name']}' has not been set and does not have a "
                                       "default value")
            p["value"] = vf["default"]


def set_node_object(wf: dict, selector: str, parameters: dict, message: str | None,
                    phase: str | None = None) -> dict:
    """``argo node set`` (util.updateSuspendedNode): on the running Suspend nodes the selector names,
    the phase, the message and supplied output parameters (each once), with Argo's errors."""
    wf = copy.deepcopy(wf)
    updated = False
    for node in ((wf.get("status") or {}).get("nodes") or {}).values():
        if node.get("type") != "Suspend" or node.get("phase") != "Running":
            continue
        if selector not in (node.get("displayName"), node.get("name"), node.get("id")):
            continue
        if phase:
            node["phase"] = phase
            if phase in FINISHED:
                node["finishedAt"] = _now()
            updated = True
        if message:
            node["message"] = message
            updated = True
        if parameters:
            declared = (node.get("outputs") or {}).get("parameters")
            if declared is None:
                raise JupyterFlowError("cannot set output parameters because node is not expecting any raw parameters")
            for name, value in parameters.items():
                param = next((p for p in declared if p.get("name") == name), None)
                if param is None:
                    raise JupyterFlowError(f"node is not expecting output parameter '{name}'")
                if "supplied" not in (param.get("valueFrom") or {}):
                    raise JupyterFlowError(f"cannot set output parameter '{name}' because it does not use "
                                           "valueFrom.raw or it was already set")
                param["value"] = str(value)
                param.pop("valueFrom", None)
                updated = True
    if not updated:
        raise JupyterFlowError("currently, set only targets suspend nodes: no suspend nodes matching "
                               f"nodeFieldSelector: displayName={selector}")
    return wf


def retry_object(wf: dict) -> tuple[dict, list[str]]:
    """FormulateRetryWorkflow (simplified): keep succeeded leaf nodes, drop the rest; returns pods to delete."""
    wf = copy.deepcopy(wf)
    status = wf.setdefault("status", {})
    nodes = status.get("nodes") or {}
    keep: dict = {}
    drop_pods: list[str] = []
    for nid, n in nodes.items():
        if n.get("phase") == "Succeeded" and n.get("type") in ("Pod", "Suspend", "Skipped"):
            keep[nid] = n
        elif n.get("type") == "Pod":
            drop_pods.append(nid)
    for n in nodes.values():   # ancestors of failed nodes run again
        if n.get("type") not in ("Pod", "Suspend", "Skipped") and n["id"] in nodes:
            if any(c in keep for c in n.get("children") or []) or n["id"] == wf["metadata"]["name"]:
                keep[n["id"]] = dict(n, phase="Running", message="")
                keep[n["id"]].pop("finishedAt", None)
    status["nodes"] = keep
    status["phase"] = "Running"
    status.pop("finishedAt", None)
    status.pop("message", None)
    labels = wf.setdefault("metadata", {}).setdefault("labels", {})
    labels["workflows.argoproj.io/completed"] = "false"
    labels.pop("workflows.argoproj.io/phase", None)
    return wf, drop_pods
