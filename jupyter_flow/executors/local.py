"""Run one leaf step as a local process: the embedded executor.

A step is a process in its own process group (so stop/deadline kill its whole tree), with
stdout captured for ``outputs.result`` (last 256 KB, as Argo) and stdout+stderr appended to
the node's log file as they are written. Waiting costs nothing: the event loop is woken by
the process's pidfd and by its output pipes becoming readable, never by a polling sleep.

The rooms: :mod:`.commands` (the host command line), :mod:`.hostplan` / :mod:`.sandbox` (where
the step runs and sees its paths), :mod:`.spawn` (starting it, watching its exit),
:mod:`.steplog` (its output); this module puts them together and tracks the running steps.
"""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Callable

from ..errors import StepError
from ..store.paths import make_dirs
from ..store.writer import open_append
from .base import RESULT_LIMIT, Executor, StepResult, StepSpec
from .commands import UnknownEntrypoint, forget, resolve_argv, step_env
from .hostplan import HostPlan, host_plan
from .poller import poller
from .spawn import spawn, watch_exit
from .stepfs import StepPathError, stage_inputs
from .steplog import SPOOL_FOR, SPOOL_LIMIT, StepOutput

# the names this module had before its rooms were split out (executors of other packages import them)
__all__ = ["LocalExecutor", "StepSpec", "StepResult", "RESULT_LIMIT", "SPOOL_FOR", "SPOOL_LIMIT",
           "SCRIPT_PATH", "resolve_argv", "stage_inputs"]

SCRIPT_PATH = "/argo/staging/script"   # where Argo stages a script template's source


def _unprepared(spec: StepSpec, exc: OSError, started: float) -> StepResult:
    """A step whose files could not be made (disk full, a file where the run's directory should
    be): the node errors, naming the path, instead of the run ending in an engine error."""
    return StepResult(exit_code=None, error=f"step {spec.step_name!r}: cannot prepare its files in "
                      f"{exc.filename or spec.root}: {exc.strerror or exc}", started_at=started,
                      finished_at=time.time())


class LocalExecutor(Executor):
    """Starts step processes and tracks them so stop/terminate can kill every group."""

    name = "local"
    local_volumes = True   # the engine binds the step's volumes on this machine (engine/volumes.py)
    # a run's logs/ and pids file are created when first written (open_append), and a short step's
    # log may be handed to StepSpec.write_later: steps run in this process, by this executor
    creates_dirs = True
    reports_start = True   # StepSpec.on_start is called when the process starts

    def __init__(self, sandbox: bool | None = None):
        self.running: dict[str, subprocess.Popen] = {}
        self.kill_reason: dict[str, str] = {}
        self.log_errors: dict[str, str] = {}
        self._sandbox = sandbox
        self._pids_files: dict[Path, int] = {}   # run dir -> its open ``pids`` file (see _record_pid)
        self._roots: dict[Path, int] = {}   # sandbox root -> steps running in it (a containerSet's share one)
        self._work_dirs: dict[Path | None, str] = {}   # run dir -> the working directory of its plain steps

    def _use_sandbox(self, spec: StepSpec) -> bool:
        if self._sandbox is not None:
            use = self._sandbox
        elif spec.isolate:
            from . import sandbox as sb   # only needed once a step asks for isolation
            use = sb.available() is not None
        else:
            return False
        return bool(use) and spec.root is not None

    def _plan(self, argv: list[str], spec: StepSpec, extra_binds=()):
        if self._use_sandbox(spec) and self._bwrap():
            from . import sandbox as sb
            volumes = [p[:-2] for p in spec.private_paths if p.endswith("/.")]   # volumeMounts (engine/pods.py)
            sources = {v.path: (v.source, v.read_only) for v in spec.volumes if v.source}
            return sb.plan(argv, root=spec.root, private_paths=spec.private_paths, working_dir=spec.working_dir,
                           extra_binds=extra_binds, mounts=volumes, sources=sources)
        if spec.private_paths and spec.isolate:
            from . import sandbox as sb
            sb.warn_once()
        return host_plan(argv, spec, self._work_dirs)   # most steps: the host as it is

    def _bwrap(self) -> bool:
        from . import sandbox as sb
        return sb.available() is not None

    async def run(self, spec: StepSpec, prepare: Callable[[Callable[[str], Path]], None] | None = None) -> StepResult:
        """Run the step to completion; ``prepare(host_path)`` places input files before start."""
        started = time.time()
        try:
            argv = resolve_argv(spec)
        except StepError as exc:   # an unknown entrypoint is an Error, a missing command a Failed start
            return StepResult(exit_code=None, error=str(exc), cannot_start=not isinstance(exc, UnknownEntrypoint),
                              started_at=started, finished_at=time.time())
        binds: list[tuple[str, str]] = []
        from . import progress
        report = spec.root is not None and (spec.isolate or spec.script is not None or self._sandbox
                                            or progress.wants_progress(argv, spec.script, spec.env or {}))
        try:
            if report:
                make_dirs(spec.root)
            script_path = None
            if spec.script is not None:
                # Argo stages the source at /argo/staging/script, mode 0755 (so `command: [sh, -c]`
                # can execute it), and appends that path to the command.
                script_path = (spec.root or Path("/tmp")) / "script"
                script_path.write_text(spec.script)
                os.chmod(script_path, 0o755)
        except OSError as exc:   # disk full, a file where the run's directory should be: this step errors
            return _unprepared(spec, exc, started)
        if script_path is not None:
            if self._use_sandbox(spec):
                binds.append((str(script_path), SCRIPT_PATH))
                argv.append(SCRIPT_PATH)
            else:
                argv.append(str(script_path))
        try:
            plan = self._plan(argv, spec, binds)
        except OSError as exc:
            return _unprepared(spec, exc, started)
        except StepPathError as exc:
            return StepResult(exit_code=None, error=str(exc), started_at=started, finished_at=time.time())
        if prepare is not None:
            try:
                if isinstance(plan, HostPlan):   # the step's paths are the host's own: see hostwrite.py
                    plan.check_inputs(spec)
                prepare(plan.write_path if isinstance(plan, HostPlan) else plan.host_path)
            except Exception as exc:  # artifact loading failed: Argo marks the node Error
                return StepResult(exit_code=None, error=str(exc), host_path=plan.host_path,
                                  started_at=started, finished_at=time.time())
        # a workflow's own env entry named $ARGO_PROGRESS_FILE wins over the executor's
        env = step_env(spec, {progress.ENV: str(progress.progress_file(spec.root))} if report else {})
        # stderr reaches the log through a pipe this engine drains (as stdout does), so the log
        # file is created on the step's first byte: a step that prints nothing costs no file
        # creation, the most expensive system call of a step start on a slow disk
        err_r, err_w = os.pipe() if spec.log_path else (None, None)
        try:
            proc = spawn(plan.argv, plan.cwd, env, err_w)
        except OSError as exc:
            if err_r is not None:
                os.close(err_r)
            forget(argv[0])   # a remembered command that is gone: the next step looks it up again
            return StepResult(exit_code=None, error=f"step {spec.step_name!r}: cannot start {argv[0]!r}: {exc}",
                              cannot_start=True, host_path=plan.host_path, started_at=started,
                              finished_at=time.time())
        finally:
            if err_w is not None:
                os.close(err_w)
        if getattr(plan, "sandboxed", False):
            self._roots[plan.root] = self._roots.get(plan.root, 0) + 1
        self.running[spec.node_id] = proc
        if spec.on_start is not None:
            spec.on_start()
        if spec.root is not None:   # while the step runs: making the file the first time overlaps its life
            try:
                self._record_pid(spec.run_dir or spec.root.parent.parent, proc.pid)
            except OSError as exc:   # no safety net for this step if the engine dies: do not run it
                self.log_errors[spec.node_id] = f"cannot record the step's process in {exc.filename}: " \
                                                f"{exc.strerror or exc}"
                self.kill(spec.node_id, "log")
        try:
            code, out = await self._wait(proc, None, spec, err_fd=err_r)
        finally:
            self.running.pop(spec.node_id, None)
            if err_r is not None:
                os.close(err_r)
            if getattr(plan, "sandboxed", False):
                self._leave_root(plan, spec)
        killed = self.kill_reason.pop(spec.node_id, None)
        log_error = self.log_errors.pop(spec.node_id, None)
        if log_error is not None:   # the step's output could not be kept: the node errors, clearly
            return StepResult(exit_code=None, stdout=out, error=log_error, host_path=plan.host_path,
                              started_at=started, finished_at=time.time())
        result = StepResult(exit_code=code, stdout=out, host_path=plan.host_path, killed=killed,
                            started_at=started, finished_at=time.time(),
                            progress=progress.read(spec.root) if report else None)
        if killed == "deadline":
            result.error = spec.deadline_message
        return result

    def _leave_root(self, plan, spec: StepSpec) -> None:
        """The step's process in a sandbox root exited: the last one out tidies the root."""
        self._roots[plan.root] -= 1
        if not self._roots[plan.root]:   # no other container of its pod still runs in it
            del self._roots[plan.root]
            outputs = [a["path"] for a in (spec.template.get("outputs") or {}).get("artifacts") or []
                       if isinstance(a, dict) and isinstance(a.get("path"), str) and a["path"].startswith("/")]
            if outputs:   # an artifact holds what the step wrote, not placeholders of shared dirs
                plan.remove_placeholders(within=outputs)

    async def _wait(self, proc: subprocess.Popen, log_fd: int | None, spec: StepSpec,
                    err_fd: int | None = None) -> tuple[int, str]:
        """Drain the step's stdout (kept for ``outputs.result``, copied to the log) and, with
        ``err_fd``, its stderr pipe (copied to the log) until the process exits.

        ``log_fd``: a log already open (the step's stderr writes to it directly); without one the
        log file is opened on the first byte there is to write.
        """
        loop = asyncio.get_running_loop()
        fd = proc.stdout.fileno()
        output = StepOutput(loop, spec, log_fd, lambda: self.kill(spec.node_id, "log"))
        watch = poller(loop)
        output.follow(watch, fd, True)
        if err_fd is not None:
            output.follow(watch, err_fd, False)
        exited, pidfd = watch_exit(loop, watch, proc)
        timer = None
        if spec.deadline is not None:
            timer = loop.call_later(max(0.0, spec.deadline), self.kill, spec.node_id, "deadline")
        try:
            try:
                await exited
            finally:
                if pidfd is not None:
                    watch.remove(pidfd)
                    os.close(pidfd)
                if timer is not None:
                    timer.cancel()
            code = proc.wait()
            # the main process is gone: kill what it left behind in its group, like a pod ending
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            watch.remove(fd)
            output.drain(fd, True)
            proc.stdout.close()
            if err_fd is not None:
                watch.remove(err_fd)
                output.drain(err_fd, False)
            output.hand_over()
        finally:
            output.close()
        if output.error is not None:
            self.log_errors[spec.node_id] = output.error
        return code, output.result()

    def _record_pid(self, run_dir: Path, pid: int) -> None:
        """Append a step's process group to the run's ``pids`` file, so a later reader can reap
        the groups if this engine dies. The file stays open for the run (one open per run, not
        one per step); each line is one ``write`` with O_APPEND, so it lands whole."""
        fd = self._pids_files.get(run_dir)
        if fd is None:
            fd = self._pids_files[run_dir] = open_append(run_dir / "pids")
        os.write(fd, b"%d\n" % pid)

    def close(self) -> None:
        """The run is over: release the files kept open for it."""
        for fd in self._pids_files.values():
            os.close(fd)
        self._pids_files.clear()

    def kill(self, node_id: str, reason: str = "stop") -> None:
        """Kill the step's whole process group (SIGKILL: a stopped pod gets no second chance here)."""
        proc = self.running.get(node_id)
        if proc is None:
            return
        self.kill_reason.setdefault(node_id, reason)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def kill_all(self, reason: str = "stop") -> None:
        for node_id in list(self.running):
            self.kill(node_id, reason)
