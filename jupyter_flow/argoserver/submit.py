"""SubmitWorkflow (``argo submit --from``): a Workflow made from a WorkflowTemplate,
ClusterWorkflowTemplate or CronWorkflow of the store, with Argo's ``submitOptions`` applied."""
from __future__ import annotations

import time
from typing import Any, Mapping

from .errors import invalid, not_found
from .shape import check_name, check_namespace


def submit(ops, namespace: str, body: Mapping[str, Any]) -> dict:
    """SubmitWorkflow: a Workflow from a WorkflowTemplate, ClusterWorkflowTemplate or CronWorkflow
    (``resourceKind``/``resourceName``), with ``submitOptions`` applied as ``argo submit --from``."""
    from .. import cron
    from ..store.db import registry_for
    check_namespace(namespace)
    kind = str(body.get("resourceKind") or "").lower()
    name = check_name(body.get("resourceName"), "resourceName")
    opts = body.get("submitOptions") or {}
    if not isinstance(opts, dict):
        raise invalid("submitOptions must be an object")
    store = ops.store
    if kind in ("workflowtemplate", "wftmpl", "clusterworkflowtemplate", "cwftmpl", "cwft"):
        cluster = kind.startswith("c")
        doc = registry_for(store)(name, cluster)
        if doc is None or not cluster and (doc.get("metadata") or {}).get("namespace", "default") != namespace:
            raise not_found("clusterworkflowtemplates" if cluster else "workflowtemplates", name)
        label = "workflows.argoproj.io/cluster-workflow-template" if cluster else \
            "workflows.argoproj.io/workflow-template"
        wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
              "metadata": {"generateName": f"{name}-", "namespace": namespace, "labels": {label: name}},
              "spec": {"workflowTemplateRef": {"name": name, **({"clusterScope": True} if cluster else {})}}}
    elif kind in ("cronworkflow", "cronwf", "cwf"):
        doc = store.get_template(cron.KIND, name)
        if doc is None or (doc.get("metadata") or {}).get("namespace", "default") != namespace:
            raise not_found("cronworkflows", name)
        wf = cron.to_workflow(doc, time.time())
        wf["metadata"]["namespace"] = namespace
    else:
        raise invalid(f"resourceKind {body.get('resourceKind')!r}: expected WorkflowTemplate, "
                      "ClusterWorkflowTemplate or CronWorkflow")
    wf = _apply_submit_options(wf, opts)
    return ops._create(wf, dry_run=bool(opts.get("dryRun") or opts.get("serverDryRun")))


def parameters(value: Any) -> dict[str, str]:
    """Argo's ``["name=value", ...]`` parameters as a mapping."""
    if value in (None, ""):
        return {}
    if not isinstance(value, list) or not all(isinstance(p, str) and "=" in p for p in value):
        raise invalid('parameters must be a list of "name=value" strings')
    return dict(p.split("=", 1) for p in value)


def _pairs(value: Any, what: str) -> dict[str, str]:
    """``"a=b,c=d"`` (Argo's labels/annotations submit options) as a mapping."""
    if not value:
        return {}
    if not isinstance(value, str):
        raise invalid(f"submitOptions.{what} must be a string of key=value pairs")
    out = {}
    for part in value.split(","):
        key, eq, val = part.partition("=")
        if not eq or not key.strip():
            raise invalid(f"submitOptions.{what}: {part[:80]!r} is not key=value")
        out[key.strip()] = val.strip()
    return out


def _apply_submit_options(wf: dict, opts: Mapping[str, Any]) -> dict:
    from .. import api
    meta = wf.setdefault("metadata", {})
    for what in ("labels", "annotations"):
        extra = _pairs(opts.get(what), what)
        if extra:
            meta.setdefault(what, {}).update(extra)
    if opts.get("name"):
        check_name(opts["name"], "submitOptions.name")
    if opts.get("serviceAccount"):
        wf.setdefault("spec", {})["serviceAccountName"] = str(opts["serviceAccount"])
    if opts.get("priority") is not None:
        wf.setdefault("spec", {})["priority"] = opts["priority"]
    return api.apply_options(wf, parameters=parameters(opts.get("parameters")) or None,
                             name=opts.get("name") or None, generate_name=opts.get("generateName") or None,
                             entrypoint=opts.get("entryPoint") or None)
