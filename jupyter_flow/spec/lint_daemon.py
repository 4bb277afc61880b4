"""Lint of daemon steps: ``{{steps.X.ip}}`` / ``{{tasks.X.ip}}`` and readiness probes.

Argo's validator (validate.go addOutputsToScope) puts ``steps.X.ip`` in scope only when X's
template is a daemon, so a reference to the ip of any other step is refused ("failed to resolve").
A readiness probe kind the local engine cannot run (``grpc``) is a warning: the run would error
there, a cluster runs it.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from jupyter_flow.spec import lint_expr as X

if TYPE_CHECKING:  # pragma: no cover
    from jupyter_flow.spec.lint import _Linter

_IP_REF = re.compile(r"\{\{\s*(steps|tasks)\.([A-Za-z0-9_-]+)\.ip\s*\}\}")
_SKIP = frozenset({"inline"})


def _is_daemon(t: Any) -> bool:
    d = t.get("daemon") if isinstance(t, dict) else None
    return d is True or (isinstance(d, str) and d.lower() == "true")


def _calls(t: dict) -> tuple[str, list[dict]]:
    """("steps"|"tasks", the template's steps or DAG tasks)."""
    if isinstance(t.get("steps"), list):
        return "steps", [s for g in t["steps"] if isinstance(g, list) for s in g if isinstance(s, dict)]
    dag = t.get("dag")
    if isinstance(dag, dict) and isinstance(dag.get("tasks"), list):
        return "tasks", [s for s in dag["tasks"] if isinstance(s, dict)]
    return "", []


def lint_daemon(linter: "_Linter", t: dict, tp: tuple) -> None:
    """Checks of one template: its ``.ip`` references, and its probe if it is a daemon."""
    if _is_daemon(t):
        container = t.get("container") if isinstance(t.get("container"), dict) else t.get("script")
        probe = container.get("readinessProbe") if isinstance(container, dict) else None
        if isinstance(probe, dict) and probe.get("grpc") is not None:
            key = "container" if isinstance(t.get("container"), dict) else "script"
            linter.err(tp + (key, "readinessProbe", "grpc"), "a grpc readinessProbe runs only on a cluster "
                       "(--backend argo or kubernetes); locally use httpGet, tcpSocket or exec", severity="warning")
    prefix, calls = _calls(t)
    if not calls:
        return
    targets: dict[str, Any] = {}
    for call in calls:
        name = call.get("name")
        if not isinstance(name, str):
            continue
        if isinstance(call.get("inline"), dict):
            targets[name] = call["inline"]
        elif isinstance(call.get("template"), str) and "{{" not in call["template"]:
            targets[name] = linter.templates.get(call["template"]) or (linter.ref_templates or {}).get(
                call["template"])
        else:
            targets[name] = None   # a templateRef or a templated name: cannot tell
    for path, text in X.walk_strings(t, tp, skip=_SKIP):
        for kind, name in _IP_REF.findall(text):
            if kind != prefix or name not in targets or targets[name] is None:
                continue
            if not _is_daemon(targets[name]):
                linter.err(path, f"failed to resolve {{{{{kind}.{name}.ip}}}}: only a daemon step has an ip "
                           f"(its template sets no `daemon: true`)")
