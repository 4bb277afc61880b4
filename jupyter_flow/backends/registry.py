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

import copy
import importlib
import os
import time
from dataclasses import dataclass, field
from typing import Any

from ..errors import JupyterFlowError

ENTRY_POINT_GROUP = "jupyter_flow.backends"


@dataclass
class Backend:
    """One backend: ``make_executor(settings)`` for executor backends, or ``remote`` for whole-workflow ones."""

    name: str
    kind: str                                   # "executor" | "remote"
    target: str = ""                            # "module:attr" of the executor class / remote module
    description: str = ""
    extra: str = ""                             # pip extra that brings its dependencies
    _loaded: Any = field(default=None, repr=False)

    def load(self) -> Any:
        if self._loaded is None:
            module, _, attr = self.target.partition(":")
            try:
                mod = importlib.import_module(module)
            except ImportError as exc:
                hint = f"pip install 'jupyter-flow[{self.extra}]'" if self.extra else "install its dependencies"
                raise JupyterFlowError(f"backend {self.name!r} needs {exc.name or exc}: {hint}") from exc
            self._loaded = getattr(mod, attr) if attr else mod
        return self._loaded

    def make_executor(self, settings: dict | None = None):
        if self.kind != "executor":
            raise JupyterFlowError(f"backend {self.name!r} runs whole workflows, it has no step executor")
        cls = self.load()
        return cls.from_settings(dict(settings or {})) if hasattr(cls, "from_settings") else cls()

    @property
    def remote(self) -> bool:
        return self.kind == "remote"


class Backends:
    """name -> Backend (papermill's ``PapermillEngines`` shape: register / get / entry points)."""

    def __init__(self):
        self._backends: dict[str, Backend] = {}
        self._entry_points_loaded = False

    def register(self, name: str, backend: Backend | None = None, **kwargs) -> Backend:
        backend = backend or Backend(name=name, **kwargs)
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
                              Backend(name=ep.name, kind="executor", _loaded=obj))

    def names(self) -> list[str]:
        return list(self._backends)

    def get(self, name: str) -> Backend:
        if name not in self._backends:
            self.register_entry_points()
        try:
            return self._backends[name]
        except KeyError:
            raise JupyterFlowError(f"unknown backend {name!r}; choose one of: {', '.join(self._backends)}") from None


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
