"""Where a step's declared paths live on this machine, and nowhere else.

Every path a workflow gives a step (input and output artifacts, output parameters, volume
mounts, ``workingDir``) is hostile text: ``/../../home/u/.bashrc``, or a parameter substituted
into ``/tmp/{{inputs.parameters.name}}``. Each executor keeps a step's files in a tree on the
host that stands for the step's ``/`` (the sandbox's ``root/fs``, the staging tree of the
container, dask and kubernetes executors). :func:`resolve_under` maps a step path into such a
tree the way the kernel resolves it inside the step's own root: ``..`` stops at ``/``, and a
symlink met on the way (one the step made, or one copied out of its container) is followed
*inside* the tree, an absolute target re-rooted at the tree's top. A host path from here is
therefore always inside the tree, whatever the step wrote.

Without a sandbox a step's ``/`` is the host's and there is no tree to keep it in: a path with
``..`` is refused there (after substitution it can only be an attempt to leave the declared
place), the others are the host's own paths (the unsandboxed warning says so).
"""
from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ..errors import JupyterFlowError
from ..spec.names import is_dns1123_subdomain

if TYPE_CHECKING:
    from .base import StepSpec

_MAX_LINKS = 40   # as the kernel's ELOOP limit


class StepPathError(JupyterFlowError):
    """A step path that cannot be placed: not absolute, leaving its root, or not allowed here."""


@dataclass(frozen=True)
class VolumeMount:
    """One ``volumeMounts`` entry as a local executor binds it.

    ``source`` is the host directory bound at ``path`` (a claim's directory, an allowed
    ``hostPath``); None is a directory private to the step (``emptyDir``, and volume kinds
    with no local meaning), as a pod's ``emptyDir`` is.
    """

    name: str
    path: str
    source: str | None = None
    read_only: bool = False


def normalise(path: object, *, step: str = "", what: str = "path", parent_refs: bool = True) -> str:
    """``path`` as the step's kernel would read it: absolute, ``//a/./b/../c`` -> ``/a/c``,
    ``..`` at ``/`` staying at ``/``. A relative path, or one with a NUL, is refused; so is one
    with ``..`` when ``parent_refs`` is False."""
    if not isinstance(path, str) or not path.startswith("/") or "\0" in path:
        raise StepPathError(f"{_who(step)}{what} {path!r} must be an absolute path")
    if not parent_refs and has_parent_refs(path):
        raise StepPathError(f"{_who(step)}{what} {path!r} has a '..' component: refused (a step path "
                            "names its place directly; '..' is how a path leaves the step's own files)")
    out: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if out:
                out.pop()
            continue
        out.append(part)
    return "/" + "/".join(out)


def normalise_template(tmpl: dict, step: str) -> dict:
    """A (substituted) Pod template whose declared paths are normalised (:func:`normalise`):
    input/output artifact paths, output parameter paths, ``workingDir`` and ``mountPath``s.
    Dicts on the way are copied, never changed in place; a relative path, or one with ``..``,
    is refused here, naming the step and the field, before anything runs (whatever the backend:
    lint reports ``..`` too)."""
    inputs, outputs = tmpl.get("inputs"), tmpl.get("outputs")
    boxes = [k for k in ("container", "script", "containerSet") if isinstance(tmpl.get(k), dict)]
    if not (inputs or outputs or any(_has_paths(tmpl[k]) for k in boxes)):
        return tmpl   # most steps: nothing to normalise
    out = dict(tmpl)
    if isinstance(inputs, dict) and inputs.get("artifacts"):
        out["inputs"] = dict(inputs, artifacts=[_fixed(a, step, "input artifact") for a in inputs["artifacts"]])
    if isinstance(outputs, dict):
        fixed = dict(outputs)
        if outputs.get("artifacts"):
            fixed["artifacts"] = [_fixed(a, step, "output artifact") for a in outputs["artifacts"]]
        if outputs.get("parameters"):
            params = []
            for p in outputs["parameters"]:
                vf = p.get("valueFrom") if isinstance(p, dict) else None
                if isinstance(vf, dict) and vf.get("path"):
                    what = f"output parameter {p.get('name')!r} path"
                    p = dict(p, valueFrom=dict(vf, path=_strict(vf["path"], step, what)))
                params.append(p)
            fixed["parameters"] = params
        out["outputs"] = fixed
    for key in boxes:
        box = _box(tmpl[key], step)
        if key == "containerSet" and isinstance(box.get("containers"), list):
            box["containers"] = [_box(c, step) if isinstance(c, dict) else c for c in box["containers"]]
        out[key] = box
    return out


def _has_paths(box: dict) -> bool:
    return bool(box.get("workingDir") or box.get("volumeMounts") or box.get("containers"))


def _fixed(art: object, step: str, what: str) -> object:
    if not isinstance(art, dict) or not art.get("path"):
        return art
    return dict(art, path=_strict(art["path"], step, f"{what} {art.get('name')!r} path"))


def _box(box: dict, step: str) -> dict:
    """A container (or containerSet) with its workingDir and volume mount paths normalised."""
    out = dict(box)
    if box.get("workingDir"):
        out["workingDir"] = _strict(box["workingDir"], step, "workingDir")
    if isinstance(box.get("volumeMounts"), list):
        out["volumeMounts"] = [
            dict(m, mountPath=_strict(m["mountPath"], step, f"volume {m.get('name')!r} mountPath"))
            if isinstance(m, dict) and m.get("mountPath") else m for m in box["volumeMounts"]]
    return out


def _strict(path: object, step: str, what: str) -> str:
    return normalise(path, step=step, what=what, parent_refs=False)


def has_parent_refs(path: str) -> bool:
    """Whether ``path`` has a ``..`` component."""
    return ".." in path.replace("\\", "/").split("/")


def host_only(path: object, *, step: str = "", what: str = "path") -> str:
    """A step path used as the host's own path (no sandbox): normalised, ``..`` refused."""
    if isinstance(path, str) and has_parent_refs(path):
        raise StepPathError(f"{_who(step)}{what} {path!r} has '..': refused, since without a sandbox the "
                            "step's paths are the host's own (enable bubblewrap or use --backend container)")
    return normalise(path, step=step, what=what)


def resolve_under(top: Path, path: str, *, step: str = "", what: str = "path") -> Path:
    """The host location of step path ``path`` in the tree ``top`` (the step's ``/``).

    Symlinks inside the tree are followed as the step would follow them, with ``top`` as the
    root: the result never leaves ``top``. The last component is followed too, so reading or
    writing the result cannot reach a file outside the tree through a link.
    """
    parts = [p for p in normalise(path, step=step, what=what).split("/") if p]
    done: list[str] = []
    links = 0
    while parts:
        part = parts.pop(0)
        if part in ("", "."):
            continue
        if part == "..":
            if done:
                done.pop()
            continue
        here = top.joinpath(*done, part)
        try:
            is_link = here.is_symlink()
        except OSError:
            is_link = False
        if not is_link:
            done.append(part)
            continue
        links += 1
        if links > _MAX_LINKS:
            raise StepPathError(f"{_who(step)}{what} {path!r}: too many levels of symbolic links")
        target = os.readlink(here)
        if target.startswith("/"):
            done = []
        parts = [p for p in target.split("/") if p] + parts
    return top.joinpath(*done)


def inside(top: Path, candidate: Path) -> bool:
    """Whether ``candidate`` (resolved) is ``top`` or below it."""
    real_top = os.path.realpath(top)
    real = os.path.realpath(candidate)
    return real == real_top or real.startswith(real_top.rstrip("/") + "/")


def claim_name(name: object, *, step: str = "", what: str = "claimName") -> str:
    """A PVC or volume claim template name, checked as Kubernetes checks object names (a DNS-1123
    subdomain: lower-case letters, digits, ``-`` and ``.``), so it cannot name a path elsewhere."""
    if not is_dns1123_subdomain(name):
        raise StepPathError(f"{_who(step)}{what} {name!r} is not a valid Kubernetes name "
                            "(lower-case letters, digits, '-' and '.')")
    return name


def allowed_host_path(path: str, allowed: list[str]) -> bool:
    """Whether host path ``path`` is one of ``allowed`` or below one (symlinks resolved)."""
    real = os.path.realpath(path)
    for entry in allowed:
        if not isinstance(entry, str) or not entry.startswith("/"):
            continue
        top = os.path.realpath(posixpath.normpath(entry))
        if real == top or real.startswith(top.rstrip("/") + "/"):
            return True
    return False


def _who(step: str) -> str:
    return f"step {step!r}: " if step else ""


def stage_inputs(spec: StepSpec, staging: Path, prepare) -> tuple[Callable[[str], Path], list[str], str | None]:
    """A step filesystem under ``staging/fs`` for executors that copy files in and out (container, dask).

    Returns (host_path for a step path, the step's input artifact paths, the error from placing
    the inputs, or None).
    """
    fs = staging / "fs"
    fs.mkdir(parents=True, exist_ok=True)

    def host_path(path: str) -> Path:
        return resolve_under(fs, path, step=spec.step_name)

    input_paths = [a["path"] for a in ((spec.template.get("inputs") or {}).get("artifacts") or []) if a.get("path")]
    if prepare is not None:
        try:
            prepare(host_path)
        except Exception as exc:  # artifact loading failed: Argo marks the node Error
            return host_path, input_paths, str(exc)
    return host_path, input_paths, None
