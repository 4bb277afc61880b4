"""jupyter-flow: Argo-style workflows, authored, run, watched and debugged from Jupyter.

``import jupyter_flow`` stays light: the engine, the store and the notebook pieces load on
first use, so a kernel or a CLI call pays only for what it touches.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["submit", "get", "runs", "lint", "Run", "load_ipython_extension", "__version__"]

if TYPE_CHECKING:  # pragma: no cover
    from .api import Run


def submit(spec: Any, parameters: dict | None = None, wait: bool = False, **kwargs: Any) -> "Run":
    """Submit a Workflow (path, YAML/JSON text, dict or Hera object); see ``jupyter_flow.api.submit``."""
    from .api import submit as _submit
    return _submit(spec, parameters=parameters, wait=wait, **kwargs)


def get(name: str) -> "Run":
    """The run called ``name`` (``@latest`` for the newest)."""
    from .api import get as _get
    return _get(name)


def runs(phase: str | None = None) -> list:
    """All runs in the store, newest first, optionally only those in ``phase``."""
    from .api import runs as _runs
    return _runs(phase)


def lint(source: Any, filename: str | None = None) -> list:
    """Every problem in a workflow document, each with file:line:column (empty when valid)."""
    from .api import lint as _lint
    return _lint(source, filename)


def __getattr__(name: str) -> Any:
    if name == "Run":
        from .api import Run
        return Run
    raise AttributeError(name)


def load_ipython_extension(ipython: Any) -> None:  # pragma: no cover - exercised in notebook tests
    """``%load_ext jupyter_flow``: registers ``%%workflow`` and ``%flow``."""
    from .notebook.magics import load_ipython_extension as _load
    _load(ipython)
