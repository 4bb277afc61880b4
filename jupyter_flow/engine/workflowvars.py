"""The workflow's global variables (``workflow.*``), its ``workflowMetadata`` and its global outputs,
and ``spec.workflowTemplateRef``'s joined spec: what every step's scope sees beside its own inputs."""
from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from .nodes import iso

if TYPE_CHECKING:
    from .controller import Controller


def init_globals(ctl: "Controller") -> None:
    from .variables import to_str
    meta = ctl.workflow.get("metadata") or {}
    g = ctl.globals
    g["workflow.name"] = ctl.name
    g["workflow.namespace"] = meta.get("namespace") or "default"
    g["workflow.uid"] = ctl.uid
    g["workflow.serviceAccountName"] = ctl.spec.get("serviceAccountName") or "default"
    g["workflow.mainEntrypoint"] = ctl.spec.get("entrypoint", "")
    created = ctl.started_at or time.time()
    g["workflow.creationTimestamp"] = iso(created)
    g["workflow.creationTimestamp.RFC3339"] = iso(created)
    g["workflow.creationTimestamp.s"] = str(int(created))
    g.update(_creation_formats(created))
    if "priority" in ctl.spec:
        g["workflow.priority"] = str(ctl.spec["priority"])
    params = (ctl.spec.get("arguments") or {}).get("parameters") or []
    values = {}
    for p in params:
        vf = p.get("valueFrom") or {}
        if "value" not in p and vf.get("configMapKeyRef"):   # setGlobalParameters, from the values file
            from .podenv import EnvError, config_map_value
            try:
                value, why = config_map_value(vf["configMapKeyRef"])
            except EnvError as exc:
                value, why = None, str(exc)
            if value is None and vf.get("default") is not None:
                value = to_str(vf["default"])
            if value is None and not ctl.global_error:
                ref = vf["configMapKeyRef"]
                ctl.global_error = (f"failed to set global parameter {p['name']} from configmap with name "
                                     f"{ref.get('name')} and key {ref.get('key')}: {why}")
            values[p["name"]] = value or ""
        else:
            values[p["name"]] = to_str(p.get("value", ""))
        g[f"workflow.parameters.{p['name']}"] = values[p["name"]]
    g["workflow.parameters.json"] = json.dumps(
        [{"name": p["name"], "value": values[p["name"]]} for p in params], separators=(",", ":"))
    g["workflow.parameters"] = g["workflow.parameters.json"]
    for kind in ("labels", "annotations"):
        values = meta.get(kind) or {}
        for k, v in values.items():
            g[f"workflow.{kind}.{k}"] = str(v)
        g[f"workflow.{kind}.json"] = json.dumps(values, separators=(",", ":"))
    scheduled = (meta.get("annotations") or {}).get("workflows.argoproj.io/scheduled-time")
    if scheduled:   # a CronWorkflow's run; elsewhere the tag stays as written, as in Argo
        g["workflow.scheduledTime"] = scheduled


def apply_workflow_metadata(ctl: "Controller") -> None:
    """spec.workflowMetadata: labels/annotations added to the Workflow; ``labelsFrom`` values are
    expressions over the global variables (operator.go setGlobalParameters/labelsFrom)."""
    wm = ctl.spec.get("workflowMetadata") or {}
    if not wm:
        return
    from .. import expr
    from ..errors import ExprError
    from .variables import to_str
    meta = ctl.workflow.setdefault("metadata", {})
    for kind in ("labels", "annotations"):
        values = {k: str(v) for k, v in (wm.get(kind) or {}).items()}
        if values:
            meta.setdefault(kind, {}).update(values)
    for key, src in (wm.get("labelsFrom") or {}).items():
        try:
            value = expr.evaluate(str((src or {}).get("expression", "")), expr.nested_env(ctl.globals))
        except ExprError as exc:
            ctl.message = f"failed to evaluate label {key!r} expression: {exc}"
            continue
        meta.setdefault("labels", {})[key] = to_str(value)
    for kind in ("labels", "annotations"):
        values = meta.get(kind) or {}
        for k, v in values.items():
            ctl.globals[f"workflow.{kind}.{k}"] = str(v)
        ctl.globals[f"workflow.{kind}.json"] = json.dumps(values, separators=(",", ":"))


def set_global_output(ctl: "Controller", kind: str, name: str, value: Any) -> None:
    """``globalName`` outputs: visible as ``workflow.outputs.*`` and in ``status.outputs``."""
    items = ctl.outputs.setdefault(kind, [])
    items[:] = [i for i in items if i["name"] != name]
    if kind == "parameters":
        items.append({"name": name, "value": value})
        ctl.globals[f"workflow.outputs.parameters.{name}"] = value
    else:
        art = dict(value, name=name)
        items.append(art)
        ctl.global_artifacts[f"workflow.outputs.artifacts.{name}"] = art
        ctl.globals[f"workflow.outputs.artifacts.{name}"] = json.dumps(art)
    ctl._run_dirty = True


_STRFTIME_CHARS = "aAbBcCdDeFgGhHIjklLmMnNpPrRsStTuUVwWxXyYZz"
_STRFTIME_KEYS = [f"workflow.creationTimestamp.{ch}" for ch in _STRFTIME_CHARS]
_STRFTIME_ALL = "\x1f".join(f"%{ch}" for ch in _STRFTIME_CHARS)


def _creation_formats(created: float) -> dict[str, str]:
    """``workflow.creationTimestamp.<c>`` for every strftime letter Argo offers, from one
    ``strftime`` call with the letters separated (42 calls cost ~0.2 ms a run); letter by
    letter if the platform rejects one of them."""
    import datetime as _dt
    dt = _dt.datetime.fromtimestamp(created, _dt.timezone.utc)
    try:
        values = dt.strftime(_STRFTIME_ALL).split("\x1f")
    except ValueError:
        values = []
    if len(values) == len(_STRFTIME_KEYS):
        return dict(zip(_STRFTIME_KEYS, values))
    out = {}
    for key, ch in zip(_STRFTIME_KEYS, _STRFTIME_CHARS):
        try:
            out[key] = dt.strftime(f"%{ch}")
        except ValueError:
            pass
    return out


def join_workflow_spec(spec: dict, registry) -> dict:
    """Argo's JoinWorkflowSpec for ``spec.workflowTemplateRef``: the WorkflowTemplate's spec with
    the Workflow's own fields on top; ``arguments.parameters`` merge by name, the Workflow's win."""
    ref = spec.get("workflowTemplateRef")
    if not ref or registry is None:
        return spec
    wft = registry(ref.get("name", ""), bool(ref.get("clusterScope")))
    if not wft:
        return spec
    base = json.loads(json.dumps(wft.get("spec") or {}))
    merged = dict(base)
    for key, value in spec.items():
        if key == "arguments":
            continue
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = {**base[key], **value}
        else:
            merged[key] = value
    args = dict(base.get("arguments") or {})
    own = spec.get("arguments") or {}
    for kind in ("parameters", "artifacts"):
        items = {i.get("name"): i for i in args.get(kind) or []}
        for item in own.get(kind) or []:
            items[item.get("name")] = item
        if items:
            args[kind] = list(items.values())
    if args:
        merged["arguments"] = args
    if "suspend" not in spec:
        merged.pop("suspend", None)
    return merged
