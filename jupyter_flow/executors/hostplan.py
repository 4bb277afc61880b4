"""A step without a sandbox: it sees the host filesystem as it is.

Its declared paths are the host's own (one with ``..`` is refused, see :mod:`.stepfs`), the
engine writes its input artifacts only where :mod:`.hostwrite` allows, and it never runs in the
submitter's directory.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .base import StepSpec
from .hostwrite import check_host_write
from .stepfs import host_only


@dataclass
class HostPlan:
    """How a step without a sandbox starts (``argv`` in ``cwd``) and where its paths are."""

    argv: list[str]
    cwd: str | None
    step: str = ""

    def host_path(self, path: str) -> Path:
        return Path(host_only(path, step=self.step))

    def write_path(self, path: str) -> Path:
        """A host path the engine writes (an input artifact): only where :mod:`.hostwrite` allows."""
        return check_host_write(path, step=self.step, what="input artifact path")

    def check_inputs(self, spec: StepSpec) -> None:
        """Every declared input artifact path checked before the first is written."""
        for art in (spec.template.get("inputs") or {}).get("artifacts") or []:
            if isinstance(art, dict) and isinstance(art.get("path"), str):
                check_host_write(art["path"], step=self.step, what=f"input artifact {art.get('name')!r} path")


def host_plan(argv: list[str], spec: StepSpec, work_dirs: dict[Path | None, str]) -> HostPlan:
    """The plan of a step without a sandbox. Its working directory is its ``workingDir``, else
    never the submitter's (on Argo it is the image's WORKDIR, and a step writing
    ``result.txt`` must not write into the user's project): a script step's is its node's
    directory (made for its script already), any other step's the run's ``work`` directory,
    made once per run and remembered in ``work_dirs`` (a directory per step would cost a
    ``mkdir`` on every step start, ~0.05-0.3 ms here; such steps declare no files, and share
    ``/tmp`` anyway)."""
    if spec.working_dir:
        cwd = host_only(spec.working_dir, step=spec.step_name, what="workingDir")
        if not os.path.isdir(cwd):   # made by the engine: only where it may write (hostwrite.py)
            check_host_write(cwd, step=spec.step_name, what="workingDir")
            Path(cwd).mkdir(parents=True, exist_ok=True)
        return HostPlan(argv, cwd, spec.step_name)
    if spec.script is not None and spec.root is not None:
        return HostPlan(argv, str(spec.root), spec.step_name)
    run_dir = spec.run_dir or (spec.root.parent.parent if spec.root is not None else None)
    work = work_dirs.get(run_dir)
    if work is None:
        if run_dir is None:
            work = tempfile.mkdtemp(prefix="jf-work-")
        else:
            work = str(run_dir / "work")
            os.makedirs(work, exist_ok=True)
        if len(work_dirs) > 64:
            work_dirs.clear()
        work_dirs[run_dir] = work
    return HostPlan(argv, work, spec.step_name)
