"""Where the engine may write a step's declared paths when they are the host's own.

Without a sandbox (``JUPYTER_FLOW_SANDBOX=off``, or no working bubblewrap) and on the local
backend, a step's ``/`` is the host's: an input artifact ``path: /home/u/thesis`` with a
``raw`` payload would make the engine replace the user's directory, from the workflow text
alone, before the step (which may just run ``true``) starts. The step's own process can do
what the user can (the unsandboxed warning says so); the *engine* must not be the one that
does it on the word of a workflow from elsewhere.

So the engine writes a host path (an input artifact, a ``workingDir`` it has to make) only:

* under ``/tmp``, the conventional scratch place Argo's examples use, and only through
  entries the current user owns (nothing another user made there is replaced or written
  through, and a symlink there leading elsewhere counts as where it leads);
* under a directory listed in ``allowHostPaths`` in ``$JUPYTER_FLOW_HOME/config.yaml``, the
  same key that lets a ``hostPath`` volume bind a host directory.

Anything else errors the step before anything is written, naming the step, the path and the
ways out. ``lint`` cannot know whether the run will be sandboxed, so this is checked here.
"""
from __future__ import annotations

import os
from pathlib import Path

from .stepfs import StepPathError, allowed_host_path, host_only

SCRATCH = "/tmp"


def check_host_write(path: str, *, step: str, what: str, allowed: list[str] | None = None) -> Path:
    """The host path the engine may write for step path ``path``, or :class:`StepPathError`.

    ``allowed`` is ``allowHostPaths`` (read from config.yaml when None)."""
    target = host_only(path, step=step, what=what)
    if allowed is None:
        from ..config import allowed_host_paths
        allowed = allowed_host_paths()
    if allowed and allowed_host_path(target, allowed):
        return Path(target)
    problem = _scratch_problem(target)
    if problem is None:
        return Path(target)
    from ..config import home
    raise StepPathError(
        f"step {step!r}: {what} {path!r} {problem}. This step runs without a sandbox, so its paths are "
        f"this machine's own, and the engine writes a step's files only under {SCRATCH} or a directory "
        "listed in allowHostPaths. To run it: install bubblewrap so the step gets a private view, use "
        f"--backend container, or list the directory in allowHostPaths in {home() / 'config.yaml'}")


def _scratch_problem(target: str) -> str | None:
    """Why ``target`` is not a place in ``/tmp`` the engine may write, or None when it is."""
    scratch = os.path.realpath(SCRATCH)
    real = os.path.realpath(target)
    if not (real.startswith(scratch.rstrip("/") + "/")):
        where = "" if real == target else f" (it leads to {real})"
        return f"is a host path outside {SCRATCH}{where}"
    # every existing entry on the way below /tmp, and the target itself, must be the user's: a
    # directory another user made in /tmp is not ours to write into, or replace
    uid = os.getuid()
    here = scratch
    for part in [p for p in target[len(SCRATCH):].split("/") if p]:
        here = os.path.join(here, part)
        try:
            st = os.lstat(here)
        except FileNotFoundError:
            return None   # the rest is made by the engine, as this user
        except OSError as exc:
            return f"cannot be checked ({exc.strerror or exc})"
        if st.st_uid != uid:
            return f"goes through {here}, which another user owns"
        if os.path.islink(here):
            here = os.path.realpath(here)
            if not here.startswith(scratch.rstrip("/") + "/"):
                return f"goes through a link to {here}, outside {SCRATCH}"
    return None
