"""The host command line of a step: what an image's tool is on this machine.

A step names a program as its image would (``sh``, ``python3``, ``argosay``, or nothing: the
image's ENTRYPOINT/CMD); the local executor runs the machine's own, found on ``PATH`` (plus the
directories Debian keeps games in) and remembered for a moment, since a chain of short steps
starts the same command every millisecond.
"""
from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

from ..errors import StepError
from .base import StepSpec

# Argo's argosay test-image entrypoint, vendored verbatim with its LICENSE and NOTICE
SHIMS = Path(__file__).parents[1] / "_vendor" / "argo"
EXTRA_PATH = ("/usr/games", "/usr/local/games")


_WHICH: dict[tuple[str, str], tuple[str, float]] = {}
_WHICH_TTL = 1.0   # seconds a found command is trusted without looking at it again


def _which(cmd: str, env_path: str | None = None) -> str | None:
    """``shutil.which`` over PATH plus EXTRA_PATH; a hit is remembered, trusted for ``_WHICH_TTL``
    (a chain of short steps starts the same command every millisecond) and then re-checked with
    one ``access()`` instead of a stat per PATH entry (a step start pays ~10 stats otherwise). A
    command removed within that second fails its step at start, as a missing one does."""
    path = env_path or os.environ.get("PATH", os.defpath)
    key = (cmd, path)
    hit = _WHICH.get(key)
    now = time.monotonic()
    if hit is not None:
        found, checked = hit
        if now - checked < _WHICH_TTL:
            return found
        if os.access(found, os.X_OK) and not os.path.isdir(found):
            _WHICH[key] = (found, now)
            return found
    found = shutil.which(cmd, path=os.pathsep.join([path, *EXTRA_PATH]))
    if found is not None:
        if len(_WHICH) > 1024:
            _WHICH.clear()
        _WHICH[key] = (found, now)
    return found


def forget(found: str) -> None:
    """Drop every remembered lookup that gave ``found`` (it could not be started)."""
    for key in [k for k, (path, _) in _WHICH.items() if path == found]:
        del _WHICH[key]


def base_env() -> dict:
    """A copy of this process's environment, as bytes when CPython lets us skip the decoding.

    ``dict(os.environ)`` decodes every variable and Popen encodes it back, ~0.1 ms a step.
    """
    data = getattr(os.environ, "_data", None)
    if isinstance(data, dict) and os.name == "posix":
        env = dict(data)
        path = env.get(b"PATH", os.fsencode(os.defpath))
        env[b"PATH"] = os.pathsep.encode().join([path, *(os.fsencode(p) for p in EXTRA_PATH)])
        return env
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([env.get("PATH", os.defpath), *EXTRA_PATH])
    return env


class UnknownEntrypoint(StepError):
    """The image has no ``command`` and its default one is unknown here. Argo's controller fails the
    same way before any pod exists (``failed to look-up entrypoint/cmd for image``, markNodeError), so
    the step is an Error; a command that exists in the spec but not on this machine is a container
    that cannot start (Failed, as Argo's StartError)."""


def resolve_argv(spec: StepSpec) -> list[str]:
    """The host command line for a step: map image tools to what this machine has.

    Python images use the current interpreter; `sh` becomes bash where present because the
    images Argo examples use (busybox, alpine) have a shell with `$RANDOM`, Debian's dash has not.
    """
    if spec.command:
        argv = list(spec.command) + list(spec.args)
    elif spec.script is not None:
        argv = ["sh", *spec.args]
    else:
        # Kubernetes: the image's ENTRYPOINT, then args or else its CMD (executors/images.py)
        from .images import default_argv
        argv = default_argv(spec.image, list(spec.args)) or []
        if not argv:
            raise UnknownEntrypoint(
                f"step {spec.step_name!r}: image {spec.image!r} has no command and its default command "
                "(ENTRYPOINT/CMD) is unknown to the local backend; set container.command (e.g. [sh, -c]) "
                "or run with --backend container")
    exe = argv[0]
    name = os.path.basename(exe)
    if name == "argosay":
        return ["/bin/sh", str(SHIMS / "argosay"), *argv[1:]]
    if name in ("python", "python3") or name.startswith("python3."):
        return [sys.executable, *argv[1:]]
    if name == "sh" and (found := _which("bash")):
        # busybox/alpine ash has $RANDOM (dash has not) but no brace expansion: bash +B is closest
        # (`echo {"a":1,"b":2}` must print the braces, as in the images Argo examples use).
        return [found, "+B", *argv[1:]]
    found = _which(exe, spec.env.get("PATH")) if not os.path.isabs(exe) else (exe if os.access(exe, os.X_OK) else None)
    if found is None and os.path.isabs(exe):
        found = _which(name, spec.env.get("PATH"))
    if found is None:
        hint = "install it on this machine (e.g. `apt-get install " + name + "`)"
        raise StepError(
            f"step {spec.step_name!r}: command {exe!r} not found on this machine (image {spec.image!r}); "
            f"{hint}, or run with --backend container")
    return [found, *argv[1:]]


def step_env(spec: StepSpec, extra: dict[str, str]) -> dict:
    """A step's environment: this process's (:func:`base_env`), then ``extra``, then the
    workflow's own entries, which win. Keys stay bytes where :func:`base_env` gave bytes."""
    env = base_env()
    for entries in (extra, spec.env):
        if not entries:
            continue
        if any(isinstance(k, bytes) for k in env):
            env.update((os.fsencode(k), os.fsencode(v)) for k, v in entries.items())
        else:
            env.update(entries)
    return env
