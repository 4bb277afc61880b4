"""What the engine asks of an executor: the :class:`Executor` protocol, its capabilities, and the
:class:`StepSpec` / :class:`StepResult` that go in and come out of one step.

The engine runs the templates; an executor runs one leaf step (a Pod node) somewhere: a local
process (``local``), a container (``container``), a Dask worker (``dask``) or a cluster Pod
(``kubernetes``). Executors differ in what they do for the engine, and the engine asks
:func:`capabilities` rather than the executor's type. A capability an executor does not declare
is off, so an executor from a third-party package (``jupyter_flow.backends`` entry points) needs
only ``run``, ``kill`` and ``kill_all``.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol

RESULT_LIMIT = 256 * 1024   # the last bytes of stdout kept for ``outputs.result``, as Argo


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
    host_node_name: str = ""          # the cluster node the step's Pod ran on (kubernetes); "": this machine


class Executor(Protocol):
    """Runs leaf steps for one engine. The class attributes are its capabilities (all off unless
    the executor says otherwise; see :class:`Capabilities`)."""

    name: str
    creates_dirs: bool = False
    reports_start: bool = False
    local_volumes: bool = False
    env_from_cluster: bool = False
    max_concurrent: int | None = None

    async def run(self, spec: StepSpec, prepare: Callable[[Callable[[str], Path]], None] | None = None
                  ) -> StepResult:
        """Run the step to completion; ``prepare(host_path)`` places its input files before it starts."""
        ...

    def kill(self, node_id: str, reason: str = "stop") -> None:
        """End the step of ``node_id`` now; its ``run`` returns with ``killed=reason``."""
        ...

    def kill_all(self, reason: str = "stop") -> None:
        """End every running step (stop, terminate, and the end of the run)."""
        ...

    def close(self) -> None:
        """The run is over: release what was kept for it."""


class ResourceExecutor(Executor, Protocol):
    """An executor that runs ``resource`` templates against a cluster's API."""

    async def run_resource(self, node_id: str, step: str, tmpl: dict, workflow: dict, log_path: Path | None
                           ) -> tuple[str, str, dict | None]:
        """(phase, message, outputs) of the resource step."""
        ...


@dataclass(frozen=True)
class Capabilities:
    """What an executor does for the engine, so the engine does not do it again."""

    # the run's logs/ and pids file are made when first written and a short step's log may go to
    # StepSpec.write_later (steps run in this process); off: the engine makes logs/ at once
    creates_dirs: bool = False
    # StepSpec.on_start is called when the step starts (a daemon's readiness is judged from then)
    reports_start: bool = False
    # the step's volumes are bound on this machine (engine/volumes.py)
    local_volumes: bool = False
    # the step runs as a cluster Pod: env valueFrom/envFrom, $(VAR) expansion, init containers,
    # sidecars and scheduling are the cluster's, not the engine's
    env_from_cluster: bool = False
    # ``resource`` templates run (``run_resource``); without it such a step is left to the engine
    runs_resources: bool = False
    # steps at once; None: the engine's local process cap (config.max_processes)
    max_concurrent: int | None = None


NONE = Capabilities()
_SEEN: "weakref.WeakKeyDictionary[Any, Capabilities]" = weakref.WeakKeyDictionary()


def capabilities(executor: Any) -> Capabilities:
    """The capabilities ``executor`` declares, each off where it declares nothing (looked up once
    per executor: the engine asks at every step)."""
    if executor is None:
        return NONE
    try:
        return _SEEN[executor]
    except KeyError:
        pass
    except TypeError:   # cannot be weakly referenced: not remembered
        return _declared(executor)
    caps = _SEEN[executor] = _declared(executor)
    return caps


def _declared(executor: Any) -> Capabilities:
    return Capabilities(creates_dirs=bool(getattr(executor, "creates_dirs", False)),
                        reports_start=bool(getattr(executor, "reports_start", False)),
                        local_volumes=bool(getattr(executor, "local_volumes", False)),
                        env_from_cluster=bool(getattr(executor, "env_from_cluster", False)),
                        runs_resources=callable(getattr(executor, "run_resource", None)),
                        max_concurrent=getattr(executor, "max_concurrent", None))
