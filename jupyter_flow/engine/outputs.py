"""Output parameters: ``valueFrom`` path, default, expression, parameter, supplied; globalName."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Mapping

from .. import expr
from ..errors import ExprError
from .artifacts import ArtifactError
from .variables import to_str

_ABSENT = object()


def _read(path: str, host_path: Callable[[str], Path]) -> str | object:
    """The file's text, at most the string budget: a step can leave a huge (or sparse: ``truncate
    -s 100G``, no disk used) file there, and reading it whole took the engine's memory, the
    Jupyter kernel's when the engine runs in it."""
    from ..expr.limits import max_string
    target = host_path(path)
    limit = max_string()
    try:
        with open(target, "rb") as fh:
            raw = fh.read(limit + 1)
        if len(raw) > limit:
            raise ArtifactError(f"output parameter path {path} is over {limit} bytes "
                                "(limits.maxStringBytes in config.yaml)")
        data = raw.decode("utf-8", errors="replace")
    except (FileNotFoundError, NotADirectoryError):
        return _ABSENT
    except IsADirectoryError:
        raise ArtifactError(f"output parameter path {path} is a directory") from None
    return data[:-1] if data.endswith("\n") else data


def collect_parameters(ctl, tmpl: dict, host_path: Callable[[str], Path] | None, scope: Mapping) -> list[dict]:
    """Resolve every declared output parameter; a missing file without default is an error."""
    params = []
    for p in (tmpl.get("outputs") or {}).get("parameters") or []:
        vf = p.get("valueFrom") or {}
        value: object = _ABSENT
        if vf.get("path") and host_path is not None:
            value = _read(vf["path"], host_path)
            if value is _ABSENT and "default" not in vf:
                raise ArtifactError(f"failed to get output parameter {p['name']!r}: open {vf['path']}: "
                                    "no such file or directory")
        elif vf.get("expression"):
            try:
                result = expr.evaluate(vf["expression"], expr.nested_env(scope))
                if result is None:   # an unhandled absent optional: Argo fails, then tries the default
                    raise ExprError(f"failed to evaluate expression {vf['expression']!r}", vf["expression"], 0)
                value = to_str(result)
            except ExprError as exc:
                if "default" not in vf:
                    raise ArtifactError(f"output parameter {p['name']!r}: {exc}") from None
        elif vf.get("parameter"):
            try:
                text = expr.substitute(str(vf["parameter"]), scope)
            except ExprError:   # e.g. a skipped node's output with no default
                text = "{{"
            value = _ABSENT if "{{" in text else text
        elif "value" in p:
            value = expr.substitute(to_str(p["value"]), scope)
        if value is _ABSENT and "default" in vf:
            value = to_str(vf["default"])
        if value is _ABSENT:
            if vf.get("parameter") or vf.get("expression"):
                raise ArtifactError(f"unable to resolve output parameter {p['name']!r}: {vf}")
            continue
        entry = {"name": p["name"], "value": value}
        if vf:
            entry["valueFrom"] = vf
        if p.get("globalName"):
            entry["globalName"] = p["globalName"]
            ctl.set_global_output("parameters", p["globalName"], value)
        params.append(entry)
    return params


def collect_template_outputs(ctl, tmpl: dict, scope: Mapping) -> dict | None:
    """Outputs of a steps/dag template, from its children's scope."""
    from .artifact_refs import check_inside, resolve as resolve_ref
    out: dict = {}
    params = collect_parameters(ctl, tmpl, None, scope)
    if params:
        out["parameters"] = params
    arts = []
    for a in (tmpl.get("outputs") or {}).get("artifacts") or []:
        try:
            found = resolve_ref(a, scope, substituted=False)
            if found is not None and a.get("subPath"):
                check_inside(found, ctl.artifact_root)
        except ArtifactError as exc:
            if a.get("optional"):
                continue
            raise ArtifactError(f"output artifact {a['name']!r}: {exc}") from None
        if found is None:
            if a.get("optional"):
                continue
            raise ArtifactError(f"Unable to resolve output artifact {a['name']!r}: it has no from or fromExpression")
        rec = dict(found, name=a["name"])
        arts.append(rec)
        if a.get("globalName"):
            ctl.set_global_output("artifacts", a["globalName"], rec)
    if arts:
        out["artifacts"] = arts
    return out or None
