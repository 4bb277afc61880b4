"""A registry of backends, in the style of papermill's engine registry.

Backends are registered by name with an import path, so nothing heavy (``kubernetes``,
``dask``) is imported until a run uses it. Third-party packages add their own through the
``jupyter_flow.backends`` entry-point group (the object must look like :class:`Backend`).

Selection, first match wins: ``submit(backend=)`` / ``--backend``, then ``backend:`` in
``$JUPYTER_FLOW_HOME/config.yaml``, then ``local``. Per-backend settings live in the same file
under the backend's name::

    backend: container
    container: {runtime: podman, runtimeArgs: [--runtime, runc]}
    dask: {address: tcp://scheduler:8786}
    kubernetes: {namespace: jobs, kubeconfig: ~/.kube/config, context: dev}
    argo: {namespace: argo, server: https://argo-server:2746, token: ...}
"""
from __future__ import annotations

import os

from ..errors import JupyterFlowError
from .base import Backend
from .engine import EngineBackend
from .remote import RemoteBackend

ENTRY_POINT_GROUP = "jupyter_flow.backends"


class Backends:
    """name -> Backend (papermill's ``PapermillEngines`` shape: register / get / entry points)."""

    def __init__(self):
        self._backends: dict[str, Backend] = {}
        self._entry_points_loaded = False

    def register(self, name: str, backend: Backend | None = None, **kwargs) -> Backend:
        """Register ``backend``, or one made from ``kwargs`` (``kind="executor"`` or ``"remote"``
        picks its lifecycle: the embedded engine, or a whole-Workflow module)."""
        if backend is None or type(backend) is Backend:
            fields = dict(kwargs) if backend is None else {
                "name": backend.name, "kind": backend.kind, "target": backend.target,
                "description": backend.description, "extra": backend.extra, "_loaded": backend._loaded}
            fields.setdefault("name", name)
            kind = fields.get("kind") or "executor"
            if kind not in _KINDS:
                raise JupyterFlowError(f"backend {name!r}: kind must be executor or remote, not {kind!r}")
            backend = _KINDS[kind](**fields)
        self._backends[name] = backend
        return backend

    def register_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        from importlib.metadata import entry_points
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.name not in self._backends:
                obj = ep.load()
                self.register(ep.name, obj if isinstance(obj, Backend) else
                              EngineBackend(name=ep.name, kind="executor", _loaded=obj))

    def names(self) -> list[str]:
        return list(self._backends)

    def get(self, name: str) -> Backend:
        if name not in self._backends:
            self.register_entry_points()
        try:
            return self._backends[name]
        except KeyError:
            raise JupyterFlowError(f"unknown backend {name!r}; choose one of: {', '.join(self._backends)}") from None


_KINDS = {"executor": EngineBackend, "remote": RemoteBackend}
backends = Backends()
backends.register("local", kind="executor", target="jupyter_flow.executors.local:LocalExecutor",
                  description="processes on this machine (sandboxed with bubblewrap)")
backends.register("container", kind="executor", target="jupyter_flow.executors.container:ContainerExecutor",
                  description="each step in its image with podman (or docker)", extra="container")
backends.register("dask", kind="executor", target="jupyter_flow.executors.dask:DaskExecutor",
                  description="steps as tasks on a dask.distributed cluster", extra="dask")
backends.register("kubernetes", kind="executor", target="jupyter_flow.executors.kubernetes:KubernetesExecutor",
                  description="each step as a Pod on a Kubernetes cluster (no Argo needed)", extra="kubernetes")
backends.register("argo", kind="remote", target="jupyter_flow.backends.argo",
                  description="the whole Workflow to Argo Workflows", extra="kubernetes")

BUILTIN = ("local", "container", "kubernetes", "dask", "argo")


def load_config() -> dict:
    """``$JUPYTER_FLOW_HOME/config.yaml``: :func:`jupyter_flow.config.load_config` (the file is
    config's; the backends read their settings from it)."""
    from ..config import load_config
    return load_config()


def resolve(name: str | None = None) -> str:
    """The backend to use: the explicit name, else the config file's ``backend:``, else ``local``."""
    name = name or os.environ.get("JUPYTER_FLOW_BACKEND") or load_config().get("backend") or "local"
    backends.get(name)   # unknown names fail here, with the list
    return name


def settings_for(name: str, overrides: dict | None = None) -> dict:
    """Per-backend settings from the config file, with ``overrides`` on top."""
    settings = dict(load_config().get(name) or {})
    settings.update(overrides or {})
    return settings


def get_backend(name: str | None = None) -> Backend:
    return backends.get(resolve(name))


def make_executor(name: str, settings: dict | None = None):
    """The executor for an executor backend, configured from the config file."""
    return backends.get(name).make_executor(settings_for(name, settings))
