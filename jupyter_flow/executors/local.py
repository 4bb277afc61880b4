"""Run one leaf step as a local process: the embedded executor.

A step is a process in its own process group (so stop/deadline kill its whole tree), with
stdout captured for ``outputs.result`` (last 256 KB, as Argo) and stdout+stderr appended to
the node's log file as they are written. Waiting costs nothing: the event loop is woken by
the process's pidfd and by its output pipes becoming readable, never by a polling sleep.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import StepError
from ..store.paths import make_dirs
from ..store.writer import open_append
from .poller import poller
from .hostwrite import check_host_write
from .stepfs import StepPathError, host_only, resolve_under

RESULT_LIMIT = 256 * 1024
SPOOL_FOR = 0.02   # seconds a step's output is kept in memory before its log file is made
SPOOL_LIMIT = 256 * 1024   # and at most this much of it
SCRIPT_PATH = "/argo/staging/script"   # where Argo stages a script template's source
SHIMS = Path(__file__).parent / "shims"
EXTRA_PATH = ("/usr/games", "/usr/local/games")



@dataclass
class StepSpec:
    """Everything the executor needs to run one Pod node."""

    node_id: str
    step_name: str
    image: str = ""
    command: list[str] | None = None
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    working_dir: str | None = None
    script: str | None = None
    log_path: Path | None = None
    root: Path | None = None
    private_paths: list[str] = field(default_factory=list)
    deadline: float | None = None
    deadline_message: str = "Pod was active on the node longer than the specified deadline"
    isolate: bool = True   # give the step a private /tmp and private declared paths (bubblewrap)
    # where a step that is over within SPOOL_FOR leaves its log: ``write_later(log_path, data)``
    # (the store's writer thread), so no file is created on the way to the next step; None
    # writes it here
    write_later: Callable[[Path, bytes], None] | None = None
    # the substituted template and the workflow, for executors that need more (image, resources,
    # volumes, podSpecPatch...): see jupyter_flow.backends
    template: dict = field(default_factory=dict)
    workflow: dict = field(default_factory=dict)
    # the run's directory (``root`` is ``<run_dir>/nodes/<id>``), where the executor keeps the
    # run's ``pids`` file; None: ``root``'s
    run_dir: Path | None = None
    # called once the step's process has started (executors with ``reports_start``; one that runs
    # a cluster Pod calls it once every container is ready, with the pod's IP): a daemon step's
    # readiness is judged from then on (engine/daemons.py)
    on_start: Callable[..., None] | None = None
    # volumeMounts bound on this machine (engine/volumes.py): stepfs.VolumeMount entries
    volumes: list = field(default_factory=list)


@dataclass
class StepResult:
    exit_code: int | None
    stdout: str = ""
    error: str | None = None          # the step could not start or was killed: the node's message
    killed: str | None = None         # "deadline" | "stop" | None
    # the command does not exist: on Argo the container fails to start and the pod (so the node)
    # is Failed, not Error, which is what `failFast`, `retryStrategy: OnFailure` and hooks key on
    cannot_start: bool = False
    host_path: Callable[[str], Path] = Path
    started_at: float = 0.0
    finished_at: float = 0.0
    progress: str | None = None       # the last N/M the step wrote to $ARGO_PROGRESS_FILE (progress.py)


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


def _forget(found: str) -> None:
    """Drop every remembered lookup that gave ``found`` (it could not be started)."""
    for key in [k for k, (path, _) in _WHICH.items() if path == found]:
        del _WHICH[key]


def _base_env() -> dict:
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
            raise StepError(
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


_DEVNULL: int | None = None


def _devnull() -> int:
    """One /dev/null descriptor for every step's stdin (``subprocess.DEVNULL`` opens one per start)."""
    global _DEVNULL
    if _DEVNULL is None:
        _DEVNULL = os.open(os.devnull, os.O_RDWR)   # close-on-exec: only the dup2'd copies reach a step
    return _DEVNULL


_SPAWN_SIGDEF = tuple(getattr(signal, s) for s in ("SIGPIPE", "SIGXFZ", "SIGXFSZ") if hasattr(signal, s))


_STRAY_TTL = 1.0   # seconds a listing of this process's inheritable descriptors is reused
_stray: tuple[float, list[int] | None] = (-_STRAY_TTL, None)


def _inheritable_fds() -> list[int] | None:
    """This process's inheritable descriptors above 2: what ``close_fds`` keeps from a step.

    Listing /proc/self/fd costs ~40 us in an engine process, 3% of a short step, and what it finds
    hardly ever changes (Python makes every descriptor it opens non-inheritable; the inheritable
    ones are handed down at process start or made so on purpose), so a listing serves the steps
    that start within ``_STRAY_TTL`` of it. A descriptor made inheritable in that second may reach
    a step started in it, as with ``Popen(close_fds=False)``.
    """
    global _stray
    now = time.monotonic()
    if now - _stray[0] < _STRAY_TTL:
        return _stray[1]
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        _stray = (now, None)
        return None
    fds = []
    for name in names:
        fd = int(name)
        if fd > 2:
            try:
                if os.get_inheritable(fd):
                    fds.append(fd)
            except OSError:   # the listing's own descriptor, already closed
                pass
    _stray = (now, fds)
    return fds


class _Spawned:
    """What ``_wait``/``kill`` use of a Popen (pid, stdout, wait) for a step started by ``posix_spawn``."""

    __slots__ = ("pid", "stdout", "returncode")

    def __init__(self, pid: int, stdout_fd: int):
        self.pid = pid
        self.stdout = _Pipe(stdout_fd)
        self.returncode: int | None = None

    def wait(self) -> int:
        if self.returncode is None:
            try:
                _, status = os.waitpid(self.pid, 0)
                self.returncode = os.waitstatus_to_exitcode(status)
            except ChildProcessError:   # reaped elsewhere (SIGCHLD ignored): as Popen, report 0
                self.returncode = 0
        return self.returncode


class _Pipe:
    __slots__ = ("fd",)

    def __init__(self, fd: int):
        self.fd = fd

    def fileno(self) -> int:
        return self.fd

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _spawn(argv: list[str], cwd: str | None, env: dict, err_fd: int | None):
    """Start a step: stdin /dev/null, stdout a pipe, stderr ``err_fd`` (/dev/null if None), in a
    new session.

    ``posix_spawn`` (a vfork+exec in glibc) skips Popen's Python-side setup, ~0.1 ms of the engine's
    CPU per step. As ``close_fds`` would, the child closes every inheritable descriptor this process
    holds (most are close-on-exec already; a terminal or kernel may hand down a few). It has no
    ``cwd``, so a step with a working directory (or a relative program path) goes through Popen.
    """
    devnull = _devnull()
    err = err_fd if err_fd is not None else devnull
    stray = _inheritable_fds() if cwd is None and os.path.isabs(argv[0]) else None
    if stray is not None:
        r, w = os.pipe()
        try:
            pid = os.posix_spawn(argv[0], argv, env, setsid=True, setsigdef=_SPAWN_SIGDEF, file_actions=[
                (os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, w, 1), (os.POSIX_SPAWN_DUP2, err, 2),
                *((os.POSIX_SPAWN_CLOSE, fd) for fd in stray)])
        except OSError as exc:
            os.close(r)
            os.close(w)
            if exc.filename is None:   # the message Popen gives: "[Errno 2] No such file or directory: 'x'"
                raise OSError(exc.errno, exc.strerror, argv[0]) from None
            raise
        os.close(w)
        return _Spawned(pid, r)
    return subprocess.Popen(argv, stdin=devnull, stdout=subprocess.PIPE, stderr=err,
                            cwd=cwd, env=env, start_new_session=True, close_fds=True)


@dataclass
class _HostPlan:
    """No sandbox: the step sees the host filesystem as it is (a declared path is the host's own,
    so one with ``..`` is refused: see :mod:`.stepfs`)."""

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


def _unprepared(spec: StepSpec, exc: OSError, started: float) -> StepResult:
    """A step whose files could not be made (disk full, a file where the run's directory should
    be): the node errors, naming the path, instead of the run ending in an engine error."""
    return StepResult(exit_code=None, error=f"step {spec.step_name!r}: cannot prepare its files in "
                      f"{exc.filename or spec.root}: {exc.strerror or exc}", started_at=started,
                      finished_at=time.time())


class LocalExecutor:
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
            volumes = [p[:-2] for p in spec.private_paths if p.endswith("/.")]   # volumeMounts (leaf.py)
            sources = {v.path: (v.source, v.read_only) for v in spec.volumes if v.source}
            return sb.plan(argv, root=spec.root, private_paths=spec.private_paths, working_dir=spec.working_dir,
                           extra_binds=extra_binds, mounts=volumes, sources=sources)
        if spec.private_paths and spec.isolate:
            from . import sandbox as sb
            sb.warn_once()
        return self._host_plan(argv, spec)   # most steps: the host as it is

    def _host_plan(self, argv: list[str], spec: StepSpec) -> _HostPlan:
        """The plan of a step without a sandbox. Its working directory is its ``workingDir``, else
        never the submitter's (on Argo it is the image's WORKDIR, and a step writing
        ``result.txt`` must not write into the user's project): a script step's is its node's
        directory (made for its script already), any other step's the run's ``work`` directory,
        made once per run (a directory per step would cost a ``mkdir`` on every step start,
        ~0.05-0.3 ms here; such steps declare no files, and share ``/tmp`` anyway)."""
        if spec.working_dir:
            cwd = host_only(spec.working_dir, step=spec.step_name, what="workingDir")
            if not os.path.isdir(cwd):   # made by the engine: only where it may write (hostwrite.py)
                check_host_write(cwd, step=spec.step_name, what="workingDir")
                Path(cwd).mkdir(parents=True, exist_ok=True)
            return _HostPlan(argv, cwd, spec.step_name)
        if spec.script is not None and spec.root is not None:
            return _HostPlan(argv, str(spec.root), spec.step_name)
        run_dir = spec.run_dir or (spec.root.parent.parent if spec.root is not None else None)
        work = self._work_dirs.get(run_dir)
        if work is None:
            if run_dir is None:
                work = tempfile.mkdtemp(prefix="jf-work-")
            else:
                work = str(run_dir / "work")
                os.makedirs(work, exist_ok=True)
            if len(self._work_dirs) > 64:
                self._work_dirs.clear()
            self._work_dirs[run_dir] = work
        return _HostPlan(argv, work, spec.step_name)

    def _bwrap(self) -> bool:
        from . import sandbox as sb
        return sb.available() is not None

    async def run(self, spec: StepSpec, prepare: Callable[[Callable[[str], Path]], None] | None = None) -> StepResult:
        """Run the step to completion; ``prepare(host_path)`` places input files before start."""
        started = time.time()
        try:
            argv = resolve_argv(spec)
        except StepError as exc:
            return StepResult(exit_code=None, error=str(exc), cannot_start=True, started_at=started,
                              finished_at=time.time())
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
                if isinstance(plan, _HostPlan):   # the step's paths are the host's own: see hostwrite.py
                    plan.check_inputs(spec)
                prepare(plan.write_path if isinstance(plan, _HostPlan) else plan.host_path)
            except Exception as exc:  # artifact loading failed: Argo marks the node Error
                return StepResult(exit_code=None, error=str(exc), host_path=plan.host_path,
                                  started_at=started, finished_at=time.time())
        env = _base_env()
        if report:   # a workflow's own env entry of that name, copied in next, wins
            where = str(progress.progress_file(spec.root))
            if any(isinstance(k, bytes) for k in env):
                env[os.fsencode(progress.ENV)] = os.fsencode(where)
            else:
                env[progress.ENV] = where
        if spec.env:
            if any(isinstance(k, bytes) for k in env):
                env.update((os.fsencode(k), os.fsencode(v)) for k, v in spec.env.items())
            else:
                env.update(spec.env)
        # stderr reaches the log through a pipe this engine drains (as stdout does), so the log
        # file is created on the step's first byte: a step that prints nothing costs no file
        # creation, the most expensive system call of a step start on a slow disk
        err_r, err_w = os.pipe() if spec.log_path else (None, None)
        try:
            proc = _spawn(plan.argv, plan.cwd, env, err_w)
        except OSError as exc:
            if err_r is not None:
                os.close(err_r)
            _forget(argv[0])   # a remembered command that is gone: the next step looks it up again
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
                self._roots[plan.root] -= 1
                if not self._roots[plan.root]:   # no other container of its pod still runs in it
                    del self._roots[plan.root]
                    outputs = [a["path"] for a in (spec.template.get("outputs") or {}).get("artifacts") or []
                               if isinstance(a, dict) and isinstance(a.get("path"), str) and a["path"].startswith("/")]
                    if outputs:   # an artifact holds what the step wrote, not placeholders of shared dirs
                        plan.remove_placeholders(within=outputs)
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

    async def _wait(self, proc: subprocess.Popen, log_fd: int | None, spec: StepSpec,
                    err_fd: int | None = None) -> tuple[int, str]:
        """Drain the step's stdout (kept for ``outputs.result``, copied to the log) and, with
        ``err_fd``, its stderr pipe (copied to the log) until the process exits.

        ``log_fd``: a log already open (the step's stderr writes to it directly); without one the
        log file is opened on the first byte there is to write.
        """
        loop = asyncio.get_running_loop()
        fd = proc.stdout.fileno()
        tail = bytearray()
        exited = loop.create_future()
        log_error: list[str] = []
        owns_log = log_fd is None   # then it is opened on the first write, and closed here

        # A step's output is kept in memory for its first SPOOL_FOR seconds: a step over by then
        # hands it to write_later with its exit (no file made between two steps); one that runs on
        # gets its log file then, and everything from there on is appended as it comes. The timer
        # that ends the spooling is set by the first output: a step that prints nothing costs none.
        spooled = bytearray()
        spooling = spec.write_later is not None
        spool_until = loop.time() + SPOOL_FOR
        spool_timer: asyncio.TimerHandle | None = None

        def to_log(chunk: bytes) -> None:
            nonlocal log_fd, spooling, spool_timer
            if log_error:
                return
            if spooling and spool_timer is None:
                if loop.time() < spool_until:
                    spool_timer = loop.call_at(spool_until, stop_spooling)
                else:   # the first output comes after SPOOL_FOR: straight to the file
                    spooling = False
            if spooling and log_fd is None and len(spooled) + len(chunk) <= SPOOL_LIMIT:
                spooled.extend(chunk)
                return
            try:
                if log_fd is None:
                    log_fd = open_append(spec.log_path)
                    if spooled:
                        os.write(log_fd, spooled)
                        spooled.clear()
                if chunk:
                    os.write(log_fd, chunk)
            except OSError as exc:   # disk full, quota: fail the step, keep draining its output
                log_error.append(f"cannot write the step's log {spec.log_path}: {exc.strerror or exc}")
                self.kill(spec.node_id, "log")

        def stop_spooling() -> None:
            nonlocal spooling
            spooling = False
            if spooled:
                to_log(b"")

        def drain(src: int, keep: bool) -> bool:
            """Copy what ``src`` holds now to the log (and the stdout tail if ``keep``); False
            once it reached end of file or failed."""
            while True:
                try:
                    chunk = os.read(src, 65536)
                except BlockingIOError:
                    return True
                except OSError:
                    return False
                if not chunk:
                    return False
                if spec.log_path is not None:
                    to_log(chunk)
                if keep:
                    tail.extend(chunk)
                    if len(tail) > 2 * RESULT_LIMIT:
                        del tail[:-RESULT_LIMIT]

        def follow(src: int, keep: bool) -> None:
            os.set_blocking(src, False)

            def on_readable():
                if not drain(src, keep):
                    watch.remove(src)
            watch.add(src, on_readable)

        watch = poller(loop)
        follow(fd, True)
        if err_fd is not None:
            follow(err_fd, False)
        pidfd = None
        try:
            pidfd = os.pidfd_open(proc.pid)

            def on_exit():
                watch.remove(pidfd)   # readable from now on: once is enough
                if not exited.done():
                    exited.set_result(None)
            watch.add(pidfd, on_exit)
        except (AttributeError, OSError):
            def waiter():
                proc.wait()
                loop.call_soon_threadsafe(lambda: exited.done() or exited.set_result(None))
            loop.run_in_executor(None, waiter)
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
            drain(fd, True)
            proc.stdout.close()
            if err_fd is not None:
                watch.remove(err_fd)
                drain(err_fd, False)
            if spooled and not log_error:
                spec.write_later(spec.log_path, bytes(spooled))
        finally:
            if spool_timer is not None:   # after the last drain: it may be what set the timer
                spool_timer.cancel()
            if owns_log and log_fd is not None:
                os.close(log_fd)
        data = bytes(tail[-RESULT_LIMIT:])
        if log_error:
            self.log_errors[spec.node_id] = log_error[0]
        return code, data.decode("utf-8", errors="replace")

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
