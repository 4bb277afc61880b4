"""Argo's WorkflowService over jupyter-flow's store: what each route does, without HTTP.

A Workflow created here is an ordinary run (``jupyter_flow.launch``, detached: an engine process of its own, as
``jupyter-flow submit`` makes), so the CLI, the notebook widget and the lab panel see it, and a
run started anywhere else is listed here. ``metadata.namespace`` is kept on every run (the
request's, else the configured default) and every route filters by it: a run of another
namespace is NotFound, as on a cluster.
"""
from __future__ import annotations

import json
import os
import time
from typing import Any, Mapping

from ..errors import JupyterFlowError, RunNotFound, SpecError
from ..phases import FAILED_OR_ERROR, FINISHED
from .errors import (ALREADY_EXISTS, FAILED_PRECONDITION, INTERNAL, ArgoError, already_exists,
                     invalid, not_found)
from .shape import (Cleaner, check_name, check_namespace, decorate, fields_match, labels_match,
                    parse_field_selector, parse_label_selector)

ACCEPT_SECONDS = 30.0   # how long a create waits for the run's engine to take it up


def spec_message(exc: SpecError) -> str:
    return "; ".join(f"{e.path}: {e.message}" if e.path else e.message for e in exc.errors)[:4000]


def _object(value: Any, what: str) -> dict:
    if not isinstance(value, dict):
        raise invalid(f"{what} body not specified")
    return json.loads(json.dumps(value))


class WorkflowOps:
    """The WorkflowService of one store (``home``, else ``$JUPYTER_FLOW_HOME``)."""

    def __init__(self, home: str | os.PathLike | None = None):
        self._home = home

    @property
    def store(self):
        from ..store import open_store
        return open_store(self._home)

    # -- reading --------------------------------------------------------------------------
    def _record(self, namespace: str, name: str):
        """The run's row (orphans reconciled), or NotFound also when it lives in another namespace."""
        from .. import api
        check_namespace(namespace)
        check_name(name)
        store = self.store
        rec = store.get_run(name, with_nodes=False)
        if rec is not None and api.reconcile_orphan(store, rec):
            rec = store.get_run(name, with_nodes=False)
        if rec is None or ((rec.workflow.get("metadata") or {}).get("namespace") or "default") != namespace:
            raise not_found("workflows", name)
        return rec

    def _workflow(self, name: str) -> dict:
        from .. import api
        try:
            return decorate(api.Run(name, store=self.store).to_dict())
        except RunNotFound:
            raise not_found("workflows", name) from None

    def get(self, namespace: str, name: str, fields: str | None = None) -> dict:
        self._record(namespace, name)
        return Cleaner(fields).clean(self._workflow(name))

    def _summary(self, rec) -> dict:
        """A run as a Workflow from its row alone (no nodes): what a list without nodes needs."""
        wf = dict(rec.workflow)
        status = dict(rec.status, phase=rec.phase)
        if rec.message:
            status["message"] = rec.message
        wf["status"] = status
        return decorate(wf)

    def matching(self, namespace: str, label_selector: str | None = None, field_selector: str | None = None,
                 name_filter: str | None = None) -> list:
        """The run rows of ``namespace`` ("" = all) that the selectors pick, newest first."""
        from .. import api
        if namespace:
            check_namespace(namespace)
        labels = parse_label_selector(label_selector)
        fields = parse_field_selector(field_selector)
        store = self.store
        out = []
        for rec in store.list_runs():
            meta = dict(rec.workflow.get("metadata") or {})
            meta.setdefault("namespace", "default")
            if namespace and meta["namespace"] != namespace:
                continue
            if not fields_match(meta, fields) or (name_filter and name_filter not in rec.name):
                continue
            if api.reconcile_orphan(store, rec):
                rec = store.get_run(rec.name, with_nodes=False)
                if rec is None:
                    continue
            if labels and not labels_match(self._summary(rec)["metadata"]["labels"], labels):
                continue
            out.append(rec)
        return out

    def list(self, namespace: str, label_selector: str | None = None, field_selector: str | None = None,
             fields: str | None = None, name_filter: str | None = None, limit: int | None = None) -> dict:
        """WorkflowList. Nodes are loaded only when ``fields`` keeps ``items.status.nodes``."""
        cleaner = Cleaner(fields)
        with_nodes = not cleaner.will_exclude("items.status.nodes")
        items = []
        for rec in self.matching(namespace, label_selector, field_selector, name_filter):
            if limit and len(items) >= limit:
                break
            if with_nodes:
                try:
                    items.append(self._workflow(rec.name))
                except ArgoError:   # deleted while listing
                    continue
            else:
                items.append(self._summary(rec))
        return cleaner.clean({"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowList",
                              "metadata": {"resourceVersion": str(int(time.time() * 1000))}, "items": items})

    # -- creating --------------------------------------------------------------------------
    def create(self, namespace: str, body: Mapping[str, Any]) -> dict:
        """CreateWorkflow: ``{workflow, serverDryRun?, createOptions?}``."""
        check_namespace(namespace)
        wf = _object(body.get("workflow"), "workflow")
        meta = wf.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise invalid("workflow.metadata must be an object")
        if meta.get("namespace") in (None, ""):
            meta["namespace"] = namespace
        elif meta["namespace"] != namespace:
            raise invalid("the namespace of the provided object does not match the namespace sent on the request")
        if meta.get("name") not in (None, ""):
            check_name(meta["name"], "metadata.name")
        dry = bool(body.get("serverDryRun")) or bool((body.get("createOptions") or {}).get("dryRun"))
        return self._create(wf, dry_run=dry)

    def _create(self, wf: dict, *, dry_run: bool = False) -> dict:
        from .. import api
        store = self.store
        name = (wf.get("metadata") or {}).get("name")
        if name and store.exists(name):
            raise already_exists("workflows", name)
        backend = api.choose_backend(None)   # config.yaml's, as `submit` without --backend
        if dry_run:
            try:
                doc = api.load_document(wf, filename="<request>", store=store, backend=backend.name)
            except SpecError as exc:
                raise invalid(spec_message(exc)) from None
            out = doc.data
            out["metadata"].setdefault("name", api.new_name(out, store))
            return out
        try:
            run_name = api.submit(wf, filename="<request>", store=store, backend=backend.name, detach=True).name
        except SpecError as exc:
            raise invalid(spec_message(exc)) from None
        except api.RunExists as exc:
            raise ArgoError(ALREADY_EXISTS, str(exc)) from None
        except JupyterFlowError as exc:
            raise ArgoError(INTERNAL, str(exc)) from None
        self._accepted(run_name)
        return self._workflow(run_name)

    def _accepted(self, name: str, timeout: float = ACCEPT_SECONDS) -> None:
        """Wait until the run's engine has taken it up (its phase leaves Pending), as Argo's
        controller makes a new Workflow Running at once: Hera's ``wait()`` stops at the first phase
        that is not Running, so a Pending one would end it before the run started."""
        store = self.store
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rec = store.get_run(name, with_nodes=False)
            if rec is None or rec.phase != "Pending":
                return
            time.sleep(0.05)

    def lint(self, namespace: str, body: Mapping[str, Any]) -> dict:
        """LintWorkflow: the workflow back when it is valid, InvalidArgument with every error else."""
        from .. import spec as specmod
        check_namespace(namespace)
        wf = _object(body.get("workflow"), "workflow")
        wf.setdefault("metadata", {}).setdefault("namespace", namespace)
        try:
            docs = specmod.load(wf, filename="<request>")
            errors = [e for d in docs for e in specmod.validate(d, registry=_registry(self.store))
                      if e.severity == "error"]
        except SpecError as exc:
            errors = exc.errors
        if errors:
            raise invalid(spec_message(SpecError(errors)))
        return wf

    # -- steering ---------------------------------------------------------------------------
    def delete(self, namespace: str, name: str) -> dict:
        from .. import api
        self._record(namespace, name)
        try:
            api.Run(name, store=self.store).delete()
        except RunNotFound:
            raise not_found("workflows", name) from None
        return {}

    def action(self, namespace: str, name: str, action: str, body: Mapping[str, Any]) -> dict:
        """resume | suspend | stop | terminate | set | retry | resubmit; answers the Workflow."""
        from .. import api
        rec = self._record(namespace, name)
        run = api.Run(name, store=self.store)
        selector = body.get("nodeFieldSelector") or None
        if selector is not None and not isinstance(selector, str):
            raise invalid("nodeFieldSelector must be a string")
        try:
            if action in ("retry", "resubmit"):
                return self._again(rec, run, action, body)
            if rec.phase in FINISHED:
                raise ArgoError(FAILED_PRECONDITION, f"cannot {action} a completed workflow ({rec.phase})")
            if action == "resume":
                for node in self._nodes(run, selector, suspended=True):
                    run.resume(node)
            elif action == "stop":
                message = body.get("message")
                run.stop(message if isinstance(message, str) and message else None)
            elif action == "set":
                self._set(run, selector, body)
            else:
                getattr(run, action)()
        except JupyterFlowError as exc:
            if isinstance(exc, ArgoError):
                raise
            raise ArgoError(FAILED_PRECONDITION, str(exc)) from None
        return self._workflow(name)

    @staticmethod
    def _nodes(run, selector: str | None, *, suspended: bool) -> list[str | None]:
        """The node ids a ``nodeFieldSelector`` picks (Argo's SelectorMatchesNode); [None] = the run."""
        if not selector:
            return [None]
        from ..render import node_matches
        try:
            found = [n for n in run.nodes.values() if node_matches(n, selector)]
        except ValueError as exc:
            raise invalid(f"nodeFieldSelector: {exc}") from None
        if suspended:
            found = [n for n in found if n.get("type") == "Suspend" and n.get("phase") == "Running"]
        if not found:
            raise ArgoError(FAILED_PRECONDITION, f"currently, set only targets suspend nodes; no suspended node "
                                                 f"matches {selector!r}" if not suspended else
                            f"no suspended node matches {selector!r}")
        return [n["id"] for n in found]

    def _set(self, run, selector: str | None, body: Mapping[str, Any]) -> None:
        """SetWorkflow: ``outputParameters`` (a JSON object in a string), ``message``, ``phase``."""
        params: dict = {}
        raw = body.get("outputParameters")
        if raw:
            try:
                params = json.loads(raw) if isinstance(raw, str) else None
            except ValueError:
                params = None
            if not isinstance(params, dict):
                raise invalid("outputParameters must be a JSON object of name: value, in a string")
            params = {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
        message = body.get("message") if isinstance(body.get("message"), str) else None
        phase = body.get("phase") or None
        if not selector:
            raise invalid("nodeFieldSelector is required")
        for node in self._nodes(run, selector, suspended=True):
            run.set_node(node, parameters=params, message=message or None, phase=phase)

    def _again(self, rec, run, action: str, body: Mapping[str, Any]) -> dict:
        """retry (the same run, failed nodes again) and resubmit (a new run; ``memoized``), on the
        run's backend, detached: the run's own lifecycle (``Run.retry`` / ``Run.resubmit``)."""
        from .submit import parameters as _parameters
        params = _parameters(body.get("parameters"))
        if action == "retry":
            if params or body.get("restartSuccessful") or body.get("nodeFieldSelector"):
                raise invalid("retry with parameters, restartSuccessful or nodeFieldSelector is not "
                              "implemented by jupyter-flow server")
            if run.phase not in FAILED_OR_ERROR:
                raise ArgoError(FAILED_PRECONDITION, f"workflow {rec.name!r} is {run.phase}: only Failed or Error "
                                                     "runs retry")
            try:
                run.retry(detach=True)
            except JupyterFlowError as exc:
                raise ArgoError(FAILED_PRECONDITION, str(exc)) from None
            return self._workflow(rec.name)
        if body.get("memoized") or params:
            new = run.resubmit(detach=True, parameters=params or None, memoized=bool(body.get("memoized"))).name
        else:
            try:
                new = run.resubmit(detach=True).name
            except SpecError as exc:
                raise invalid("invalid workflow") from None
            except JupyterFlowError as exc:
                raise ArgoError(FAILED_PRECONDITION, str(exc)) from None
        self._accepted(new)
        return self._workflow(new)

    def submit(self, namespace: str, body: Mapping[str, Any]) -> dict:
        """SubmitWorkflow: see :mod:`.submit`."""
        from .submit import submit
        return submit(self, namespace, body)


def _registry(store):
    from ..store.db import registry_for
    return registry_for(store)
