"""jupyter-flow in notebooks: ``%%workflow``/``%flow`` magics, the live run widget, notebooks as steps.

Importing this package is cheap: ipywidgets and papermill load only when a widget
is built or a notebook step runs.
"""
from __future__ import annotations

from typing import Any

__all__ = ["papermill_template", "RunWidget", "load_ipython_extension", "run_widget"]


def papermill_template(*args: Any, **kwargs: Any) -> dict:
    """An Argo container template that runs a notebook with papermill; see ``steps.papermill_template``."""
    from .steps import papermill_template as _pt
    return _pt(*args, **kwargs)


def run_widget(run):
    """The live widget of a ``Run`` (the same one its display shows)."""
    from .display import widget_for
    return widget_for(run)


def load_ipython_extension(ipython: Any) -> None:
    from .magics import load_ipython_extension as _load
    _load(ipython)


def __getattr__(name: str) -> Any:
    if name == "RunWidget":
        from .widget import RunWidget
        return RunWidget
    raise AttributeError(name)
