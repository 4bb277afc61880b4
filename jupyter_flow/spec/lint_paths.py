"""Lint for the paths a step is given: ``..`` in declared paths, ``hostPath`` volumes.

Both are how a workflow reaches outside a step's own files on the machine that runs it
(``path: /../../home/u/.bashrc``; ``hostPath: {path: /}``). Every local backend refuses them
at run time (executors/stepfs.py, engine/volumes.py); lint says so at the line, before a run.
``..`` is an error (no step needs it: a path names its place directly); a ``hostPath`` is a
warning, since a cluster may allow it and this machine may too (``allowHostPaths`` in
config.yaml).
"""
from __future__ import annotations

from typing import Any, Callable

Report = Callable[..., None]   # err(path, message, severity="error")


def _dotdot(value: Any) -> bool:
    return isinstance(value, str) and ".." in value.replace("\\", "/").split("/")


def lint_template_paths(t: dict, tp: tuple, err: Report) -> None:
    """``..`` in a template's artifact, output parameter, workingDir and mount paths; its hostPath volumes."""
    for side in ("inputs", "outputs"):
        box = t.get(side)
        if not isinstance(box, dict):
            continue
        for i, a in enumerate(box.get("artifacts") or []):
            if isinstance(a, dict) and _dotdot(a.get("path")):
                err(tp + (side, "artifacts", i, "path"), f"{side[:-1]} artifact path {a['path']!r} has '..': "
                    "refused when the step runs (a step path names its place directly)")
    outputs = t.get("outputs")
    if isinstance(outputs, dict):
        for i, p in enumerate(outputs.get("parameters") or []):
            vf = p.get("valueFrom") if isinstance(p, dict) else None
            if isinstance(vf, dict) and _dotdot(vf.get("path")):
                err(tp + ("outputs", "parameters", i, "valueFrom", "path"),
                    f"output parameter path {vf['path']!r} has '..': refused when the step runs")
    for key in ("container", "script"):
        box = t.get(key)
        if isinstance(box, dict):
            _box_paths(box, tp + (key,), err)
    cset = t.get("containerSet")
    if isinstance(cset, dict):
        _box_paths(cset, tp + ("containerSet",), err)
        for i, c in enumerate(cset.get("containers") or []):
            if isinstance(c, dict):
                _box_paths(c, tp + ("containerSet", "containers", i), err)
    lint_volumes(t.get("volumes"), tp + ("volumes",), err)


def _box_paths(box: dict, bp: tuple, err: Report) -> None:
    if _dotdot(box.get("workingDir")):
        err(bp + ("workingDir",), f"workingDir {box['workingDir']!r} has '..': refused when the step runs")
    for i, m in enumerate(box.get("volumeMounts") or []):
        if isinstance(m, dict):
            for field in ("mountPath", "subPath"):
                if _dotdot(m.get(field)):
                    err(bp + ("volumeMounts", i, field), f"volume mount {field} {m[field]!r} has '..': "
                        "refused when the step runs")


def lint_volumes(volumes: Any, vp: tuple, err: Report) -> None:
    """A ``hostPath`` volume binds a host directory into the step: warn, and error on ``..``."""
    if not isinstance(volumes, list):
        return
    for i, v in enumerate(volumes):
        host = v.get("hostPath") if isinstance(v, dict) else None
        if not isinstance(host, dict):
            continue
        path = host.get("path")
        if _dotdot(path):
            err(vp + (i, "hostPath", "path"), f"hostPath {path!r} has '..': refused when the step runs")
        else:
            err(vp + (i, "hostPath"), f"hostPath volume {v.get('name')!r} binds the host's {path!r} into the "
                "step: the local backends refuse it unless allowHostPaths in config.yaml lists it",
                severity="warning")
