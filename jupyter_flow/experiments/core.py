"""``sweep()`` and the ``Experiment`` handle: one run per grid point, a table of them.

Every run of a sweep is a normal Workflow run (``jupyter-flow get``/``logs``/``stop`` work on
it) whose ``metadata.labels`` carry ``jupyter-flow.io/experiment=<name>``; on ``--backend argo``
the label goes to the cluster unchanged, so ``argo list -l`` finds the same runs. An
``Experiment`` is a name: its runs are found in the store by that label (an index), so
``jupyter_flow.experiment(name)`` in another kernel sees the same runs, and only the process
that made the sweep schedules it (see ``scheduler``).
"""
from __future__ import annotations

import os
import random
import time
import uuid
from typing import TYPE_CHECKING, Any, Mapping

from .. import timestamps
from ..errors import JupyterFlowError, LintError, SpecError
from ..phases import FINISHED
from .grid import LABEL, check_name, declared_parameters, expand, new_experiment_name

if TYPE_CHECKING:  # pragma: no cover
    import pandas

    from ..runset import Runs
    from .scheduler import Scheduler

_SUFFIX = "bcdfghjklmnpqrstvwxz2456789"


class Experiment:
    """The runs of one sweep: their table, their phase, and control over them."""

    def __init__(self, name: str, *, store=None, scheduler: "Scheduler | None" = None):
        from ..api import _store
        self.name = name
        self._store = _store(store)
        self._scheduler = scheduler

    # -- reading -----------------------------------------------------------------------------
    @property
    def runs(self) -> "Runs":
        """The sweep's runs in grid order, as the store has them now."""
        from ..runset import select
        return select(experiment=self.name, store=self._store, oldest_first=True)

    def to_frame(self, **kwargs: Any) -> "pandas.DataFrame":
        """``runs.to_frame()``: one row a run, ``param.<name>`` columns for the swept values."""
        return self.runs.to_frame(**kwargs)

    def phases(self) -> list[str]:
        return self.runs._phases

    @property
    def progress(self) -> tuple[int, int]:
        """(finished runs, all runs)."""
        phases = self.phases()
        return sum(p in FINISHED for p in phases), len(phases)

    @property
    def phase(self) -> str:
        """Pending (nothing started), Running, then Succeeded if every run did, Error if a run
        errored and none failed, else Failed."""
        phases = self.phases()
        if not phases:
            return "Pending"
        if all(p in FINISHED for p in phases):
            if all(p == "Succeeded" for p in phases):
                return "Succeeded"
            return "Error" if "Error" in phases and "Failed" not in phases else "Failed"
        if all(p == "Pending" for p in phases) and not (self._scheduler and self._scheduler.running):
            return "Pending"
        return "Running"

    @property
    def finished(self) -> bool:
        return self.phase in FINISHED

    def wait(self, timeout: float | None = None) -> str:
        """Block until every run has ended (or ``timeout`` seconds pass); returns the phase."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if self._scheduler is not None:
            self._scheduler.join(timeout)
            self._store.sync()
            return self.phase
        delay = 0.05
        while True:
            phase = self.phase
            if phase in FINISHED or (deadline is not None and time.monotonic() >= deadline):
                return phase
            time.sleep(delay)
            delay = min(delay * 1.5, 0.5)

    # -- control -----------------------------------------------------------------------------
    def stop(self, *, terminate: bool = False) -> None:
        """Start no more runs and stop the running ones (``terminate``: without exit handlers).

        Runs not started yet end Failed ("Stopped with strategy 'Stop'"). A sweep scheduled by
        another process (``jupyter-flow submit --sweep``) is stopped through the store: each
        unfinished run is asked to stop, and its scheduler starts none that was."""
        if self._scheduler is not None:
            self._scheduler.stop(terminate=terminate)
            return
        from ..api import Run
        for run_name in self.runs.names:
            run = Run(run_name, store=self._store)
            try:
                if not run.finished:
                    run.terminate() if terminate else run.stop()
            except JupyterFlowError:   # ended meanwhile
                pass

    # -- display -----------------------------------------------------------------------------
    def __repr__(self) -> str:
        done, total = self.progress
        return f"<Experiment {self.name} {self.phase} {done}/{total}>"

    def _repr_mimebundle_(self, include=None, exclude=None):
        """The live widget (progress, the table of runs, a run's DAG on click) in a kernel: what the
        notebook registered (``jupyter_flow.views``), else the text ``repr``."""
        from .. import views
        return views.mimebundle("experiment", self, lambda: repr(self), include=include, exclude=exclude)


def experiment(name: str, *, store=None) -> Experiment:
    """The experiment called ``name`` (its runs are in the store)."""
    from ..api import _store
    store = _store(store)
    if not store.experiment_exists(name):
        raise JupyterFlowError(f"experiment {name!r} not found")
    return Experiment(name, store=store)


def _declared(spec: Any, filename: str | None, store, remote: bool) -> tuple[list[str], dict]:
    """The workflow's declared parameters, from a plain load (the full check comes after)."""
    from .. import spec as specmod
    docs = [d for d in specmod.load(spec, filename=filename) if d.kind == "Workflow"]
    if not docs:
        from ..api import load_document
        load_document(spec, filename=filename, store=store)   # its "expected a Workflow" error
    data = docs[0].data
    if (data.get("spec") or {}).get("workflowTemplateRef") and not remote:
        from ..api import registry_for
        from ..engine.controller import join_workflow_spec
        data = dict(data, spec=join_workflow_spec(data.get("spec") or {}, registry_for(store)))
    return declared_parameters(data), docs[0].data


def sweep(spec: Any, grid: Any, *, parallelism: int = 2, name: str | None = None, wait: bool = False,
          parameters: Mapping[str, Any] | None = None, entrypoint: str | None = None,
          generate_name: str | None = None, labels: Mapping[str, str] | None = None,
          backend: str | None = None, filename: str | None = None, store=None, detach: bool = False,
          source: str = "<sweep>", cache: bool | None = None) -> Experiment:
    """Submit one run of ``spec`` per point of ``grid`` (``{"lr": [0.1, 0.01]}``: every
    combination; or a list of parameter dicts), at most ``parallelism`` running at once.

    The grid is checked whole before anything is created (a name that is not a declared workflow
    parameter, an empty list, a value a parameter cannot hold: a ``SpecError`` listing each), the
    workflow is validated once, then every run is created Pending and labelled
    ``jupyter-flow.io/experiment=<name>`` (beside ``labels``). ``detach``: a scheduler process of its own runs them
    (the CLI's way: they outlive this process). ``cache``: the content step cache, so the grid's
    runs share the steps that do not depend on the swept values (data preparation runs once)."""
    from .. import api
    from ..backends.registry import resolve
    if not isinstance(parallelism, int) or isinstance(parallelism, bool) or parallelism < 1:
        raise SpecError([LintError(f"expected a whole number of runs at once, at least 1, got {parallelism!r}",
                                   path="parallelism", file=source)])
    backend = resolve(backend)
    store = api._store(store)
    declared, raw = _declared(spec, filename, store, api.choose_backend(backend).remote)
    points = expand(grid, declared, source=source)
    if name is None:
        for _ in range(20):
            name = new_experiment_name(raw)
            if not store.experiment_exists(name):
                break
    else:
        check_name(name, source=source)
        if store.experiment_exists(name):
            raise JupyterFlowError(f"experiment {name!r} already exists: give another name (or none)")
    fixed = {k: v for k, v in (parameters or {}).items()}
    # validated once, with the first point's values (a parameter the file leaves empty gets one)
    doc = api.load_document(spec, filename=filename, store=store, backend=backend, options=dict(
        parameters={**fixed, **points[0]}, entrypoint=entrypoint, labels={**(labels or {}), LABEL: name}))
    base = doc.data
    if cache is not None:
        from ..engine.stepcache import annotate
        annotate(base, cache=cache)
    meta = base.get("metadata") or {}
    prefix = generate_name or meta.get("generateName") or (meta.get("name", "workflow") + "-")
    rows, taken = [], set()
    created = timestamps.now_iso()
    for point in points:
        wf = api.apply_options(base, parameters=point)
        for _ in range(100):
            run_name = prefix + "".join(random.choice(_SUFFIX) for _ in range(5))
            if run_name not in taken and not store.exists(run_name):
                break
        else:
            raise JupyterFlowError("could not find free workflow names for the sweep")
        taken.add(run_name)
        uid = str(uuid.uuid4())
        wf["metadata"].pop("generateName", None)
        wf["metadata"].update(name=run_name, uid=uid, creationTimestamp=created)
        wf["metadata"].setdefault("namespace", "default")
        rows.append((run_name, wf, uid))
    store.create_runs(rows, owner_pid=os.getpid(), backend=backend)
    names = [r[0] for r in rows]
    if detach:
        from .scheduler import start_detached
        start_detached(name, store, parallelism)
        exp = Experiment(name, store=store)
    else:
        from .scheduler import Scheduler
        exp = Experiment(name, store=store, scheduler=Scheduler(names, store, parallelism=parallelism).start())
    if wait:
        exp.wait()
    return exp
