"""Lint of ``metrics.prometheus`` declarations: what Argo's validator refuses (validate.go
validateTemplate's metric checks, metrics/util.go IsValidMetricName/ValidateMetricValues).

Argo validates a template's metrics at submit (errors here); a workflow-level declaration is
only refused by the controller when it emits it (a MetricsError condition), so those are warnings.
"""
from __future__ import annotations

import re
from typing import Any, Callable

NAME_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")   # Prometheus' legacy name rule, without ':'


def kind_of(decl: dict) -> str:
    """Argo's GetMetricType: gauge, then histogram, then counter."""
    for kind in ("gauge", "histogram", "counter"):
        if isinstance(decl.get(kind), dict):
            return kind
    return ""


def is_realtime(decl: dict) -> bool:
    g = decl.get("gauge")
    return isinstance(g, dict) and g.get("realtime") is True


def declaration_problems(decl: Any) -> list[tuple[tuple, str]]:
    """What Argo's validator (validate.go, metrics/util.go) refuses in one declaration, as
    (path inside the declaration, message)."""
    if not isinstance(decl, dict):
        return [((), "a metric must be a mapping")]
    out: list[tuple[tuple, str]] = []
    name = decl.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        out.append((("name",), f"metric name {name!r} is invalid: names may only contain alphanumeric "
                               "characters or '_' and may not start with a digit"))
    for i, label in enumerate(decl.get("labels") or []):
        key = label.get("key") if isinstance(label, dict) else None
        if not isinstance(key, str) or not NAME_RE.match(key):
            out.append((("labels", i, "key"), f"metric label {key!r} is invalid: keys may only contain "
                                               "alphanumeric characters or '_'"))
    if not decl.get("help"):
        out.append(((), f"metric {name!r} must contain a help string under 'help: ' field"))
    kind = kind_of(decl)
    if not kind:
        out.append(((), f"metric {name!r} needs one of gauge, counter or histogram"))
    elif not (decl[kind].get("value") or ""):
        out.append(((kind,), f"missing {kind}.value"))
    elif kind == "gauge":
        g = decl["gauge"]
        if g.get("operation") not in (None, "", "Set", "Add", "Sub"):
            out.append((("gauge", "operation"), "gauge.operation must be Set, Add or Sub"))
        if is_realtime(decl) and "resourcesDuration." in str(g.get("value")):
            out.append((("gauge", "value"), "'resourcesDuration.*' metrics cannot be used in real-time"))
    return out


def lint_metrics(metrics: Any, path: tuple, err: Callable[..., None], *, workflow_level: bool = False) -> None:
    """Report each problem of a ``metrics`` mapping at its own path (file:line:col)."""
    decls = metrics.get("prometheus") if isinstance(metrics, dict) else None
    if not isinstance(decls, list):
        return
    severity = "warning" if workflow_level else "error"
    for i, decl in enumerate(decls):
        for sub, message in declaration_problems(decl):
            err(path + ("prometheus", i) + sub, message, severity=severity)
