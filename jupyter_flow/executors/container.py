"""Run each leaf step in its image with podman (or docker): the ``container`` backend.

A step is ``<runtime> run --name jf-<node-id> ... IMAGE [ARGS]``: the image's entrypoint unless the
template sets ``command``, the template's ``env``, ``workingDir`` and ``resources.limits`` (as
``--cpus``/``--memory``). Input artifacts are placed in a per-step staging directory and
bind-mounted at their declared paths; after the container exits, declared output paths are
copied out with ``<runtime> cp`` into the same staging tree, where the engine collects output
parameters and artifacts exactly as for a local step. The runtime client runs as a local
process (``LocalExecutor``'s process logic), so stdout becomes ``outputs.result`` and
stdout+stderr stream into the node's log file as they are written; stop and deadlines kill the
container (``<runtime> kill``), not only the client.

Settings (``container:`` in ``$JUPYTER_FLOW_HOME/config.yaml``): ``runtime`` (podman|docker|path),
``globalArgs`` (before the subcommand; podman defaults to ``--runtime runc`` when runc is
installed), ``runArgs`` (extra ``run`` options; podman defaults to the ulimits this kind of
machine needs), ``pull`` (IfNotPresent|Never|Always; a template's ``imagePullPolicy`` wins),
``pullTimeout`` (seconds).
"""
from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Callable

from .base import StepResult, StepSpec
from .local import LocalExecutor
from .stepfs import resolve_under, stage_inputs

PODMAN_RUN_ARGS = ["--ulimit", "nofile=1024:4096", "--ulimit", "nproc=4096:4096"]
SCRIPT_PATH = "/argo/staging/script"
_UNITS = {"Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40, "Pi": 2 ** 50, "Ei": 2 ** 60,
          "k": 10 ** 3, "K": 10 ** 3, "M": 10 ** 6, "G": 10 ** 9, "T": 10 ** 12, "P": 10 ** 15, "E": 10 ** 18,
          "m": 1e-3, "": 1}


def quantity(value) -> float:
    """A Kubernetes resource quantity (``500m``, ``64Mi``, ``1.5``, ``2e3``) as a number."""
    text = str(value).strip()
    m = re.fullmatch(r"([0-9.]+(?:[eE][-+]?[0-9]+)?)([A-Za-z]*)", text)
    if not m or m.group(2) not in _UNITS:
        raise ValueError(f"not a resource quantity: {value!r}")
    return float(m.group(1)) * _UNITS[m.group(2)]


def resource_args(resources: dict | None) -> list[str]:
    """``resources.limits`` as runtime limits (requests have no local meaning; cpu requests map to shares)."""
    resources = resources or {}
    limits = resources.get("limits") or {}
    args: list[str] = []
    if "cpu" in limits:
        args += ["--cpus", f"{quantity(limits['cpu']):g}"]
    if "memory" in limits:
        args += ["--memory", str(int(quantity(limits["memory"])))]
    cpu_request = (resources.get("requests") or {}).get("cpu")
    if cpu_request is not None:
        args += ["--cpu-shares", str(max(2, int(quantity(cpu_request) * 1024)))]
    return args


def find_runtime(setting: str | None = None) -> str | None:
    """podman, else docker (a docker client without a daemon is reported when a step runs)."""
    if setting:
        return shutil.which(setting) or (setting if os.access(setting, os.X_OK) else None)
    return shutil.which("podman") or shutil.which("docker")


class ContainerExecutor(LocalExecutor):
    """Steps as containers; the runtime client is the tracked local process."""

    name = "container"
    creates_dirs = False   # its log is opened before the step starts: the run makes logs/ at once

    def __init__(self, runtime: str | None = None, *, global_args: list[str] | None = None,
                 run_args: list[str] | None = None, pull: str = "IfNotPresent", pull_timeout: float = 120.0):
        super().__init__(sandbox=False)
        self.runtime_setting = runtime
        self.runtime = find_runtime(runtime)
        podman = self.podman = bool(self.runtime) and os.path.basename(self.runtime).startswith("podman")
        if global_args is None:
            global_args = ["--runtime", "runc"] if podman and shutil.which("runc") else []
        if run_args is None:
            run_args = list(PODMAN_RUN_ARGS) if podman else []
        self.global_args = list(global_args)
        self.run_args = list(run_args)
        self.pull = pull
        self.pull_timeout = pull_timeout
        self.containers: dict[str, str] = {}   # node id -> container name
        self._present: set[str] = set()

    @classmethod
    def from_settings(cls, settings: dict) -> "ContainerExecutor":
        return cls(settings.get("runtime"), global_args=settings.get("globalArgs"),
                   run_args=settings.get("runArgs"), pull=settings.get("pull", "IfNotPresent"),
                   pull_timeout=float(settings.get("pullTimeout", 120)))

    # -- runtime calls ---------------------------------------------------------------------------
    def _cmd(self, *args: str) -> list[str]:
        return [self.runtime, *self.global_args, *args]

    async def _call(self, *args: str, timeout: float = 60.0) -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(*self._cmd(*args), stdin=subprocess.DEVNULL,
                                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), timeout)
        except asyncio.TimeoutError:
            proc.kill()
            await proc.wait()
            return 124, f"timed out after {timeout:g}s"
        return proc.returncode, out.decode("utf-8", "replace").strip()

    async def _ensure_image(self, spec: StepSpec) -> str | None:
        """None when the image is there (pulled if allowed), else the node's error message."""
        image = spec.image
        policy = (spec.template.get("container") or spec.template.get("script") or {}).get(
            "imagePullPolicy") or self.pull
        docker = os.path.basename(self.runtime).startswith("docker")
        exists_cmd = ("image", "inspect", image) if docker else ("image", "exists", image)
        if policy != "Always":
            if image in self._present:
                return None
            code, out = await self._call(*exists_cmd)
            if code == 0:
                self._present.add(image)
                return None
            if docker and ("daemon" in out.lower() or "connect" in out.lower()):
                return (f"step {spec.step_name!r}: {self.runtime} cannot reach its daemon ({out.splitlines()[-1]}); "
                        "start the Docker daemon or install podman (`apt-get install podman`)")
            if policy == "Never":
                return (f"step {spec.step_name!r}: image {image!r} is not present locally and imagePullPolicy is "
                        f"Never; build or load it first (e.g. `podman build`, `podman load`, `podman import`)")
        code, out = await self._call("pull", image, timeout=self.pull_timeout)
        if code == 0:
            return None
        last = out.splitlines()[-1] if out else f"exit code {code}"
        return (f"step {spec.step_name!r}: image pull failed for {image!r}: {last}; the image is not present "
                "locally: build or load it (podman build/load/import) or fix the image name")

    # -- the step --------------------------------------------------------------------------------
    def _argv(self, spec: StepSpec, cname: str, staging: Path, mounts: list[tuple[Path, str]],
              verb: str = "run") -> list[str]:
        tmpl = spec.template
        container = tmpl.get("container") or tmpl.get("script") or {}
        argv = self._cmd(verb, "--name", cname, "--pull", "never", *(["--replace"] if self.podman else []),
                         *self.run_args,
                         "--label", f"jupyter-flow.node={spec.node_id}")
        for key, value in spec.env.items():
            argv += ["-e", f"{key}={value}"]
        if spec.working_dir:
            argv += ["-w", spec.working_dir]
        argv += resource_args(container.get("resources"))
        for host, path in mounts:
            argv += ["-v", f"{host}:{path}"]
        command = list(spec.command or [])
        if spec.script is not None:
            script = staging / "script"
            script.write_text(spec.script)
            argv += ["-v", f"{script}:{SCRIPT_PATH}:ro"]
            command = command or ["sh"]
        if command:
            argv += ["--entrypoint", command[0]]
        argv.append(spec.image)
        argv += command[1:] + list(spec.args)
        if spec.script is not None:
            argv.append(SCRIPT_PATH)
        return argv

    def _volume_mounts(self, spec: StepSpec, staging: Path) -> list[tuple[Path, str]]:
        """The step's volumes (engine/volumes.py): a claim's or an allowed hostPath's directory, else
        an emptyDir private to the step (as a pod's), under its staging directory."""
        out = []
        for vol in spec.volumes:
            host = Path(vol.source) if vol.source else staging / "volumes" / str(len(out))
            host.mkdir(parents=True, exist_ok=True)
            out.append((host, vol.path + (":ro" if vol.read_only else "")))
        return out

    async def run(self, spec: StepSpec, prepare: Callable[[Callable[[str], Path]], None] | None = None) -> StepResult:
        started = time.time()

        def fail(message: str, host_path=Path) -> StepResult:
            return StepResult(exit_code=None, error=message, host_path=host_path, started_at=started,
                              finished_at=time.time())

        if not self.runtime:
            what = f"{self.runtime_setting!r} was not found" if self.runtime_setting else "neither podman nor docker is installed"
            return fail(f"step {spec.step_name!r}: the container backend needs a container runtime and {what}; "
                        "install podman (`apt-get install podman`) or docker, or run with --backend local")
        if not spec.image:
            return fail(f"step {spec.step_name!r}: no image to run")
        error = await self._ensure_image(spec)
        if error:
            return fail(error)
        staging = (spec.root or Path(os.environ.get("TMPDIR", "/tmp")) / f"jf-{spec.node_id}")
        host_path, input_paths, error = stage_inputs(spec, staging, prepare)
        if error is not None:
            return fail(error, host_path)
        mounts = [(host_path(p), p) for p in input_paths if host_path(p).exists()]
        mounts += self._volume_mounts(spec, staging)
        cname = f"jf-{spec.node_id}"
        if not self.podman:
            await self._call("rm", "-f", cname)   # a leftover of an engine that died (podman: --replace)
        if spec.working_dir:
            # Kubernetes creates a missing workingDir, podman refuses it: create, add the directory, start
            code, out = await self._call(*self._argv(spec, cname, staging, mounts, "create")[len(self._cmd()):])
            if code != 0:
                return fail(f"step {spec.step_name!r}: {os.path.basename(self.runtime)} could not create a "
                            f"container from {spec.image!r}: {out.splitlines()[-1] if out else code}", host_path)
            tree = staging / "workdir"
            resolve_under(tree, spec.working_dir).mkdir(parents=True, exist_ok=True)
            code, out = await self._call("cp", str(tree) + "/.", f"{cname}:/")   # merges into the image's /
            if code != 0:
                await self._call("rm", "-f", cname)
                return fail(f"step {spec.step_name!r}: cannot create workingDir {spec.working_dir!r}: {out}",
                            host_path)
            argv = self._cmd("start", "--attach", cname)
        else:
            argv = self._argv(spec, cname, staging, mounts)
        log_fd = os.open(spec.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600) if spec.log_path else None
        log_start = os.lseek(log_fd, 0, os.SEEK_END) if log_fd is not None else 0
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=log_fd if log_fd is not None else subprocess.DEVNULL,
                                    start_new_session=True, close_fds=True)
        except OSError as exc:
            if log_fd is not None:
                os.close(log_fd)
            return fail(f"step {spec.step_name!r}: cannot start {self.runtime!r}: {exc}", host_path)
        self.running[spec.node_id] = proc
        self.containers[spec.node_id] = cname
        if spec.on_start is not None:
            spec.on_start()
        try:
            code, out = await self._wait(proc, log_fd, spec)
        finally:
            self.running.pop(spec.node_id, None)
            if log_fd is not None:
                os.close(log_fd)
        killed = self.kill_reason.pop(spec.node_id, None)
        try:
            outputs = [p for p in spec.private_paths if p not in input_paths and not p.endswith("/.")]
            for path in outputs:
                # resolved now the container is over: inside the staging tree, through no link
                target = host_path(path)
                target.parent.mkdir(parents=True, exist_ok=True)
                if not target.exists():
                    await self._call("cp", f"{cname}:{path}", str(target))
        finally:
            self.containers.pop(spec.node_id, None)
            await self._call("rm", "-f", cname)
        result = StepResult(exit_code=code, stdout=out, host_path=host_path, killed=killed, started_at=started,
                            finished_at=time.time())
        if killed == "deadline":
            result.error = spec.deadline_message
        elif code == 125 and not killed:
            # the runtime itself failed (bad option, runtime error): its message is in the log
            detail = ""
            if spec.log_path:
                with open(spec.log_path, "rb") as f:
                    f.seek(log_start)
                    detail = f.read().decode("utf-8", "replace").strip().splitlines()[-1:]
                    detail = detail[0] if detail else ""
            return fail(f"step {spec.step_name!r}: {os.path.basename(self.runtime)} could not run image "
                        f"{spec.image!r}: {detail or 'exit code 125'}", host_path)
        return result

    def kill(self, node_id: str, reason: str = "stop") -> None:
        cname = self.containers.get(node_id)
        if cname and node_id in self.running:
            self.kill_reason.setdefault(node_id, reason)
            subprocess.Popen(self._cmd("kill", cname), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
        super().kill(node_id, reason)
