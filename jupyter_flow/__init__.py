"""jupyter-flow: Argo-style workflows, authored, run, watched and debugged from Jupyter.

``import jupyter_flow`` stays light: the engine, the store and the notebook pieces load on
first use, so a kernel or a CLI call pays only for what it touches.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["submit", "get", "runs", "sweep", "experiment", "lint", "debug", "compare", "Run", "Runs", "Experiment",
           "Comparison",
           "load_ipython_extension", "__version__"]

# How the API's objects display in a kernel is the notebook's to say, not the API's: these views
# are registered in ``jupyter_flow.views`` (by import path, loaded on the first display), so
# neither ``import jupyter_flow`` nor the API imports the notebook package.
VIEWS = {"run": "jupyter_flow.notebook.display:mimebundle",
         "experiment": "jupyter_flow.notebook.display:experiment_mimebundle",
         "comparison": "jupyter_flow.notebook.compare_view:mimebundle",
         "comparison-widget": "jupyter_flow.notebook.compare_view:widget"}

if TYPE_CHECKING:  # pragma: no cover
    from .api import Run
    from .comparison import Comparison
    from .experiments.core import Experiment
    from .runset import Runs


def submit(spec: Any, parameters: dict | None = None, wait: bool = False, **kwargs: Any) -> "Run":
    """Submit a Workflow (path, YAML/JSON text, dict or Hera object); see ``jupyter_flow.api.submit``."""
    from .api import submit as _submit
    return _submit(spec, parameters=parameters, wait=wait, **kwargs)


def get(name: str) -> "Run":
    """The run called ``name`` (``@latest`` for the newest)."""
    from .api import get as _get
    return _get(name)


def runs(phase: str | None = None, *, experiment: str | None = None, labels: Any = None,
         since: Any = None) -> "Runs":
    """The runs in the store, newest first, narrowed to a ``phase`` (or several), a sweep's
    ``experiment``, ``labels`` (``{"k": "v"}`` or a selector ``"k=v,!k2"``) and those created
    ``since`` (seconds ago, a timedelta, "1h", or a datetime). A sequence of ``Run`` with
    ``.to_frame()`` (pandas: the ``experiments`` extra)."""
    from .runset import select
    return select(experiment=experiment, labels=labels, phase=phase, since=since)


def sweep(spec: Any, grid: Any, *, parallelism: int = 2, name: str | None = None, wait: bool = False,
          **kwargs: Any) -> "Experiment":
    """One run of ``spec`` per point of ``grid`` (``{"lr": [0.1, 0.01], "depth": [3, 5]}``, every
    combination, or a list of parameter dicts), at most ``parallelism`` at once; see
    ``jupyter_flow.experiments.core.sweep``."""
    from .experiments.core import sweep as _sweep
    return _sweep(spec, grid, parallelism=parallelism, name=name, wait=wait, **kwargs)


def experiment(name: str) -> "Experiment":
    """The sweep called ``name``: its runs, phase, table and widget."""
    from .experiments.core import experiment as _experiment
    return _experiment(name)


def compare(*runs_or_names: Any, **kwargs: Any) -> "Comparison":
    """Runs side by side: parameters that differ, nodes whose phase, duration, outputs or artifacts
    differ (text diffs, CSV deltas, images), metrics, and Vega-Lite plots; the first run is the
    baseline. See ``jupyter_flow.compare.compare``."""
    from .comparison import compare as _compare
    return _compare(*runs_or_names, **kwargs)


def lint(source: Any, filename: str | None = None) -> list:
    """Every problem in a workflow document, each with file:line:column (empty when valid)."""
    from .api import lint as _lint
    return _lint(source, filename)


def debug(run: Any, node: str) -> str:
    """The code of a notebook cell that reproduces ``node`` of ``run`` (a ``Run`` or a name) in
    the kernel: a script step's source and inputs, a Hera function call, a papermill step's
    failing cell, a container's command line; see ``jupyter_flow.debugcell`` (a module of its
    own name, so that importing it never replaces this function on the package)."""
    from .debugcell import debug as _debug
    return _debug(run, node)


def __getattr__(name: str) -> Any:
    if name == "Run":
        from .api import Run
        return Run
    if name == "Runs":
        from .runset import Runs
        return Runs
    if name == "Comparison":
        from .comparison import Comparison
        return Comparison
    if name == "Experiment":
        from .experiments.core import Experiment
        return Experiment
    raise AttributeError(name)


def load_ipython_extension(ipython: Any) -> None:  # pragma: no cover - exercised in notebook tests
    """``%load_ext jupyter_flow``: registers ``%%workflow`` and ``%flow``."""
    from .notebook.magics import load_ipython_extension as _load
    _load(ipython)
