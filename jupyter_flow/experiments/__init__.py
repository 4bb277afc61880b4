"""ML experiments in notebooks: ``sweep()`` a workflow over a grid of parameters, one labelled run
per point, and read the runs back as a table (``jupyter_flow.runset``).

Modules: ``grid`` (points, names, checks), ``scheduler`` (at most N runs at once, in this process
or detached), ``core`` (``sweep()``, ``Experiment``). Importing this package loads none of
them.
"""
from __future__ import annotations

from typing import Any

LABEL = "jupyter-flow.io/experiment"
__all__ = ["sweep", "experiment", "Experiment", "LABEL"]


def __getattr__(name: str) -> Any:
    if name in ("sweep", "experiment", "Experiment"):
        from . import core as mod
        return getattr(mod, name)
    raise AttributeError(name)
