"""The ``Backend`` interface: one run's lifecycle (start, control, retry, delete) on one backend.

Every surface (``submit()``, the CLI, the Jupyter server, the cron scheduler) launches through
:func:`jupyter_flow.launch.launch`, which asks the run's backend to ``start`` or ``detach`` it;
``Run`` steers it with ``control``, ``retry`` and ``delete``. A surface never asks which kind of
backend it has: what differs between the embedded engine (``local``, ``container``, ``dask``,
``kubernetes``: :mod:`.engine`) and a whole-Workflow backend (``argo``: :mod:`.remote`) is
answered here, once.

A *handle* is what a started run is followed with in this process (a ``Controller``, or the
argo backend's ``ArgoRun``: ``phase``, ``done``, ``subscribe``, ``to_dict``); a *run* argument
is a ``jupyter_flow.api.Run`` (``name``, ``store``, ``controller``, ``phase``, ``finished``,
``wait``, ``terminate``), passed down so this layer need not import the API.
"""
from __future__ import annotations

import importlib
import os
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

from ..errors import JupyterFlowError


@dataclass
class Backend:
    """A registered backend (name, import target, pip extra) and the interface of its runs."""

    name: str
    kind: str = ""                              # "executor" | "remote"
    target: str = ""                            # "module:attr" of the executor class / remote module
    description: str = ""
    extra: str = ""                             # pip extra that brings its dependencies
    _loaded: Any = field(default=None, repr=False)

    remote = False
    """The whole Workflow runs elsewhere (a cluster): the cluster resolves its ``templateRef``s and
    owns the run, so no local engine process can die under it."""

    def load(self) -> Any:
        """The backend's implementation (executor class or remote module), imported on first use."""
        if self._loaded is None:
            module, _, attr = self.target.partition(":")
            try:
                mod = importlib.import_module(module)
            except ImportError as exc:
                hint = f"pip install 'jupyter-flow[{self.extra}]'" if self.extra else "install its dependencies"
                raise JupyterFlowError(f"backend {self.name!r} needs {exc.name or exc}: {hint}") from exc
            self._loaded = getattr(mod, attr) if attr else mod
        return self._loaded

    def settings(self) -> dict:
        """This backend's section of ``config.yaml``."""
        from .registry import settings_for
        return settings_for(self.name)

    def make_executor(self, settings: dict | None = None):
        raise JupyterFlowError(f"backend {self.name!r} runs whole workflows, it has no step executor")

    # -- the lifecycle ------------------------------------------------------------------------------
    def manifest(self, workflow: dict) -> dict:
        """What this backend is given for ``workflow`` (``submit --dry-run`` prints it)."""
        return workflow

    def start(self, name: str, workflow: dict, store, *, previous_nodes: dict | None = None) -> Any:
        """Start the created run ``name`` and follow it from this process; returns its handle.
        ``previous_nodes``: nodes already in the store that the run continues from (a retry)."""
        raise NotImplementedError

    def detach(self, name: str, workflow: dict, store, *, retry: bool = False) -> Any:
        """Start the created run so that it outlives this process (the CLI's and the server's way);
        returns a handle when this process follows it, else None."""
        raise NotImplementedError

    def serve(self, rec, store) -> str:
        """Run ``rec`` to its end in this process (the body of :meth:`spawn`'s process); its phase."""
        raise NotImplementedError

    def control(self, run, action: str, payload: dict) -> None:
        """resume | suspend | stop | terminate | set (``argo node set``) on a run."""
        raise NotImplementedError

    def retry(self, run, *, detach: bool = False) -> Any:
        """``argo retry`` of a Failed or Error run: its failed nodes run again, succeeded ones are
        kept. Returns the handle following it here, or None (``detach``: another process does)."""
        raise NotImplementedError

    def delete(self, run) -> None:
        """End the run where it runs; the caller then deletes its rows from the store."""
        raise NotImplementedError

    def check_memoized_resubmit(self, name: str) -> None:
        """Raise when ``resubmit --memoized`` of ``name`` cannot be done on this backend."""

    # -- the engine process -------------------------------------------------------------------------
    def spawn(self, name: str, store, *, retry: bool = False) -> int:
        """Serve the run in a process of its own (``python -m jupyter_flow.backends.detached``), which
        owns it from now on; returns its pid."""
        from ..store.paths import make_dirs, opener
        log = store.run_dir(name) / "engine.log"
        make_dirs(log.parent)
        env = dict(os.environ, JUPYTER_FLOW_HOME=str(store.home))
        with open(log, "ab", opener=opener) as out:
            proc = subprocess.Popen([sys.executable, "-m", "jupyter_flow.backends.detached", name,
                                     *(["--retry"] if retry else [])],
                                    stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=env,
                                    start_new_session=True, close_fds=True)
        # the engine process owns the run from now on: a reader must not mistake the exited
        # submitter for a dead engine in the moment before the engine records itself
        store.save(name, run_fields={"owner_pid": proc.pid})
        return proc.pid
