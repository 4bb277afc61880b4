"""Whole-Workflow backends (``argo``): the Workflow goes to another engine, a cluster, which owns
the run; this process follows it (mirroring its status into the store) while it cares to.

A remote backend is a module (``target``) with ``manifest(workflow, settings)``,
``start(name, workflow, store, settings, thread=True) -> handle``, ``control(run, action, payload)``,
``retry(run) -> handle`` and ``delete(run)``: see :mod:`jupyter_flow.backends.argo`.
"""
from __future__ import annotations

from typing import Any

from ..errors import JupyterFlowError
from .base import Backend


class RemoteBackend(Backend):
    """A backend that hands the whole Workflow to a cluster."""

    remote = True

    def manifest(self, workflow: dict) -> dict:
        return self.load().manifest(workflow, self.settings())

    def start(self, name: str, workflow: dict, store, *, previous_nodes: dict | None = None) -> Any:
        return self.load().start(name, workflow, store, self.settings())

    def detach(self, name: str, workflow: dict, store, *, retry: bool = False) -> Any:
        """The cluster owns the run whoever follows it: this process follows it while it lives."""
        return self.start(name, workflow, store)

    def serve(self, rec, store) -> str:
        return self.load().start(rec.name, rec.workflow, store, self.settings(), thread=False).phase

    def control(self, run, action: str, payload: dict) -> None:
        self.load().control(run, action, payload)   # any process may steer a run that lives in a cluster

    def retry(self, run, *, detach: bool = False) -> Any:
        return self.load().retry(run)

    def delete(self, run) -> None:
        self.load().delete(run)

    def check_memoized_resubmit(self, name: str) -> None:
        raise JupyterFlowError(f"resubmit --memoized of a run on the {self.name} backend: use "
                               f"`argo resubmit --memoized {name}`")
