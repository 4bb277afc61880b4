"""Template resolution: names, inline templates, templateRef, templateDefaults, inputs.

A TemplateContext is where template names are looked up: the Workflow's own templates, or a
WorkflowTemplate's when execution entered one through ``templateRef`` (as Argo's
``templateresolution.Context``).
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import JupyterFlowError
from .variables import ABSENT_ARG

TEMPLATE_TYPES = ("container", "script", "steps", "dag", "suspend", "resource", "http", "data", "plugin",
                  "containerSet")

Registry = Callable[[str, bool], "dict | None"]   # (name, cluster_scope) -> WorkflowTemplate dict


class TemplateError(JupyterFlowError):
    """A template reference that cannot be resolved (a node Error, as in Argo)."""


@dataclass
class TemplateContext:
    templates: dict[str, dict]
    defaults: dict = field(default_factory=dict)
    registry: Registry | None = None
    source: str = ""
    entrypoint: str = ""
    _merged: dict = field(default_factory=dict)

    @classmethod
    def for_workflow(cls, workflow: dict, registry: Registry | None) -> "TemplateContext":
        spec = workflow.get("spec") or {}
        templates = {t.get("name"): t for t in spec.get("templates") or []}
        entry = spec.get("entrypoint", "")
        ref = spec.get("workflowTemplateRef")
        if ref and registry is not None:
            wft = registry(ref.get("name", ""), bool(ref.get("clusterScope")))
            if wft is not None:
                wspec = wft.get("spec") or {}
                for t in wspec.get("templates") or []:
                    templates.setdefault(t.get("name"), t)
                entry = entry or wspec.get("entrypoint", "")
        return cls(templates=templates, defaults=spec.get("templateDefaults") or {}, registry=registry,
                   source="workflow", entrypoint=entry)

    def get(self, name: str) -> dict:
        tmpl = self._merged.get(name)
        if tmpl is None:
            raw = self.templates.get(name)
            if raw is None:
                raise TemplateError(f"template {name} not found")
            tmpl = self._merged[name] = apply_defaults(raw, self.defaults)
        return tmpl

    def resolve(self, holder: dict) -> tuple[dict, "TemplateContext", str, dict | None]:
        """(template, context for names inside it, templateName, templateRef) for a step/task/hook."""
        if holder.get("inline"):
            return apply_defaults(holder["inline"], self.defaults), self, "", None
        ref = holder.get("templateRef")
        if ref:
            if self.registry is None:
                raise TemplateError(
                    f"templateRef {ref.get('name')}/{ref.get('template')}: no template registry; "
                    "create it with `jupyter-flow template create FILE`")
            wft = self.registry(ref.get("name", ""), bool(ref.get("clusterScope")))
            kind = "ClusterWorkflowTemplate" if ref.get("clusterScope") else "WorkflowTemplate"
            if wft is None:
                raise TemplateError(f"{kind}.argoproj.io \"{ref.get('name')}\" not found "
                                    "(create it with `jupyter-flow template create FILE`)")
            wspec = wft.get("spec") or {}
            ctx = TemplateContext(templates={t.get("name"): t for t in wspec.get("templates") or []},
                                  defaults=self.defaults, registry=self.registry, source=ref.get("name", ""))
            return ctx.get(ref.get("template", "")), ctx, "", dict(ref)
        name = holder.get("template")
        if not name:
            raise TemplateError("step/task names no template")
        return self.get(name), self, name, None


def apply_defaults(tmpl: dict, defaults: dict) -> dict:
    """spec.templateDefaults: a deep merge where the template's own values win."""
    if not defaults:
        return tmpl
    merged = _merge(copy.deepcopy(defaults), tmpl)
    # operator.go mergedTemplateDefaultsInto: the merge must not change the template's type
    # (defaults for `container` and `script` do not turn a steps template into a container)
    own = template_type(tmpl)
    if own:
        for t in TEMPLATE_TYPES:
            if t != own:
                merged.pop(t, None)
    return merged


def _config_map_param(name: str, vf: dict, substitute: Callable[[str, dict], str]) -> str:
    """An input parameter's ``valueFrom.configMapKeyRef`` (its name and key may use the global
    variables), read from the local values file; a missing one takes ``valueFrom.default``."""
    from .podenv import EnvError, config_map_value
    ref = vf["configMapKeyRef"] or {}
    ref = {"name": substitute(str(ref.get("name", "")), {}), "key": substitute(str(ref.get("key", "")), {})}
    try:
        value, why = config_map_value(ref)
    except EnvError as exc:
        raise InputError(f"unable to retrieve inputs.parameters.{name} from ConfigMap: {exc}") from None
    if value is not None:
        return value
    if vf.get("default") is not None:
        return _pstr(vf["default"])
    raise InputError(f"unable to retrieve inputs.parameters.{name} from ConfigMap: {why}")


def _merge(base: dict, over: dict) -> dict:
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            base[k] = _merge(base[k], v)
        else:
            base[k] = v
    return base


def template_type(tmpl: dict) -> str:
    for t in TEMPLATE_TYPES:
        if tmpl.get(t) is not None:
            return t
    return ""


class InputError(JupyterFlowError):
    pass


def process_inputs(tmpl: dict, arguments: dict, substitute: Callable[[str, dict], str], *,
                   caller_substituted: bool = False) -> dict:
    """Argo's ProcessArgs: default, then argument, then enum check; a missing value is an error.

    Returns the node's ``inputs`` ({"parameters": [...], "artifacts": [...]}) with values resolved.
    ``substitute(text, extra)`` resolves ``text`` against the global variables plus the flat
    ``extra`` scope. Values are resolved in Argo's order (common.SubstituteParams): first with the
    global variables alone (e.g. ``{{workflow.parameters.x}}``), then a second pass in which each
    ``inputs.parameters.<name>`` (and ``inputs.parameters``, ``inputs.artifacts.<name>.path``) is
    the first-pass value, so a default such as ``{{= inputs.parameters.a == 'x' ? ... }}`` sees
    its sibling input. As in Argo this is one level deep: an input referring to an input that
    itself refers to an input sees the latter's first-pass text.
    With ``caller_substituted`` (a step's or task's arguments, already substituted in the
    caller's scope) argument values are taken as they are: text that came from a value, such
    as a step output holding ``{{workflow.name}}``, is never expanded a second time.
    """
    inputs = tmpl.get("inputs") or {}
    args_p = {p.get("name"): p for p in (arguments.get("parameters") or [])}
    params = []
    pending: list[int] = []   # parameters whose first-pass value still holds a tag: second pass
    for p in inputs.get("parameters") or []:
        name = p.get("name")
        value = p.get("value")
        if value is None and "default" in p:
            value = p["default"]
        arg = args_p.get(name)
        supplied = False   # an argument's value was substituted by the caller: never expand it again
        if arg is not None and arg.get("value") == ABSENT_ARG:
            # a pure reference to a skipped/omitted node's output with no default: unsupplied
            if value is None:
                raise InputError(f"inputs.parameters.{name}: argument references an absent optional "
                                 "(skipped/omitted node output with no default)")
        elif arg is not None and arg.get("value") is not None:
            value = arg["value"]
            supplied = caller_substituted
        # ProcessArgs: an argument's valueFrom replaces the input's; a configMapKeyRef then gives
        # the value, whatever the default or argument value said
        vf = arg.get("valueFrom") if arg is not None and arg.get("value") is None and arg.get("valueFrom") \
            else p.get("valueFrom")
        if isinstance(vf, dict) and vf.get("configMapKeyRef"):
            value, supplied = _config_map_param(name, vf, substitute), True
        elif arg is not None and arg.get("valueFrom") and arg.get("value") is None:
            raise InputError(f"inputs.parameters.{name} was not supplied")
        if value is None:
            raise InputError(f"inputs.parameters.{name} was not supplied")
        value = _pstr(value) if supplied else substitute(_pstr(value), {})
        if not supplied and "{{" in value:
            pending.append(len(params))
        entry = {"name": name, "value": value}
        if p.get("enum"):
            entry["enum"] = [_pstr(e) for e in p["enum"]]
        params.append(entry)
    if pending:
        # SubstituteParams' second pass sees the first-pass values
        first = input_scope({"parameters": params, "artifacts": inputs.get("artifacts") or []})
        for i in pending:
            params[i]["value"] = substitute(params[i]["value"], first)
    for entry in params:
        enum = entry.get("enum")
        if enum and entry["value"] not in enum:
            raise InputError(f"{entry['value']} is not a valid value for inputs.parameters.{entry['name']}; "
                             f"valid values are {enum}")
    args_a = {a.get("name"): a for a in (arguments.get("artifacts") or [])}
    arts = []
    for a in inputs.get("artifacts") or []:
        merged = dict(a)
        arg = args_a.get(a.get("name"))
        if arg is not None:
            # ProcessArgs: the argument replaces the input, which keeps its path and mode
            merged.update({k: v for k, v in arg.items() if k not in ("name", "path", "mode", "recurseMode")})
        arts.append(merged)
    out: dict = {}
    if params:
        out["parameters"] = params
    if arts:
        out["artifacts"] = arts
    return out


def input_scope(inputs: dict) -> dict:
    """The ``inputs.*`` variables of a template's body for its resolved ``inputs``
    ({"parameters": [...], "artifacts": [...]})."""
    local: dict[str, str] = {}
    params = inputs.get("parameters") or []
    for p in params:
        local[f"inputs.parameters.{p['name']}"] = p["value"]
    # operator.go SubstituteParams sets it always: json.Marshal of a nil list is `null` (Hera's
    # runner scripts read `{{inputs.parameters}}` even when the function takes no parameters)
    local["inputs.parameters"] = json.dumps([{"name": p["name"], "value": p["value"]} for p in params],
                                            separators=(",", ":")) if params else "null"
    for a in inputs.get("artifacts") or []:
        if a.get("path"):
            local[f"inputs.artifacts.{a['name']}.path"] = a["path"]
    return local


def _pstr(value: Any) -> str:
    from .variables import to_str
    return to_str(value)
