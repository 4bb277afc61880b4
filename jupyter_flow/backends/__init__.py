"""Backends: where a workflow's steps run.

Two kinds plug in (see :mod:`jupyter_flow.backends.registry`):

* **executor backends** (``local``, ``container``, ``dask``, ``kubernetes``) give the embedded
  :class:`~jupyter_flow.engine.controller.Controller` an executor; the engine still walks the
  templates, so the node tree, logs and outputs are the same as a local run's.
* **remote backends** (``argo``) hand the whole Workflow to another engine and mirror its
  ``status.nodes`` into the store, so every surface (CLI, API, notebook) shows it the same way.
"""
from .registry import Backend, backends, get_backend, resolve, settings_for  # noqa: F401
