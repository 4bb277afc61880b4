"""Runs as a table: ``jupyter_flow.runs(...)`` picks runs from the store, ``Runs.to_frame()`` makes
a pandas DataFrame of them, one row a run.

The rows come from the ``runs`` table alone (one query, no node is read), so a frame of 10,000
runs costs one decode of each run's Workflow: parameters are its ``spec.arguments``. Outputs
need each run's nodes and are read only on request. pandas is an optional extra
(``pip install jupyter-flow[experiments]``), imported inside ``to_frame``.

Columns: ``name``, ``phase``, ``started`` (UTC timestamp), ``duration`` (seconds; of a run still
going, so far), ``param.<name>`` for every workflow parameter, ``metric.<name>`` for every
metric a run records (the last value per run, see :func:`metric_columns`) and, on request,
``output.<node>.<param>`` (a node's display name; ``output.workflow.<param>`` for the workflow's
global outputs). A param/metric/output column whose every value reads as a number is numeric.
"""
from __future__ import annotations

import datetime as _dt
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, Sequence, overload

from .errors import JupyterFlowError
from .phases import FINISHED

if TYPE_CHECKING:  # pragma: no cover
    import pandas

    from .api import Run


def metric_columns(metrics: Iterable[Mapping[str, Any]] | None) -> dict[str, Any]:
    """``metric.<name>`` -> the last value recorded under that name, from a run's metrics list
    (``{name, labels, value, node}`` entries in the order they were recorded). Labels do not
    split a column: a frame has one value per metric and run."""
    out: dict[str, Any] = {}
    for m in metrics or ():
        name = m.get("name") if isinstance(m, Mapping) else None
        if isinstance(name, str) and name:
            out[f"metric.{name}"] = m.get("value")
    return out


def records_metrics() -> bool:
    """Whether runs record metrics (a ``Run.metrics`` list of ``{name, labels, value, node}``)."""
    from .api import Run
    return getattr(Run, "metrics", None) is not None


def _phase(store, row: "RunRow") -> str:
    """The stored phase, unless the run's engine died (then it is marked Error, as get/list do)."""
    if row.phase in FINISHED:
        return row.phase
    from .api import reconcile_orphan
    rec = store.get_run(row.name, with_nodes=False)
    if rec is None:
        return row.phase
    if reconcile_orphan(store, rec):
        fresh = store.get_run(row.name, with_nodes=False)
        return fresh.phase if fresh is not None else rec.phase
    return rec.phase


def _parameters(text: str | None) -> dict[str, Any]:
    """A run's ``spec.arguments.parameters`` values (what it ran with), from their JSON."""
    try:
        params = json.loads(text) if text else []
    except ValueError:
        return {}
    if not isinstance(params, list):
        return {}
    return {p["name"]: p.get("value") for p in params if isinstance(p, dict) and isinstance(p.get("name"), str)}


def _labels(text: str | None) -> dict[str, str]:
    try:
        labels = json.loads(text) if text else {}
    except ValueError:
        return {}
    return labels if isinstance(labels, dict) else {}


@dataclass(frozen=True)
class RunRow:
    """What the table shows of one run (from ``Store.run_rows``)."""

    name: str
    phase: str
    created_at: float
    started_at: float | None
    finished_at: float | None
    parameters: dict
    labels: dict


class Runs(Sequence["Run"]):
    """A list of runs (each a :class:`~jupyter_flow.api.Run`) read from the store at one moment."""

    def __init__(self, records: "list[RunRow]", store, phases: list[str] | None = None):
        self._records = list(records)
        self._store = store
        self._phases = phases if phases is not None else [_phase(store, r) for r in self._records]

    @overload
    def __getitem__(self, i: int) -> "Run": ...
    @overload
    def __getitem__(self, i: slice) -> "Runs": ...

    def __getitem__(self, i):
        if isinstance(i, slice):
            return Runs(self._records[i], self._store, self._phases[i])
        from .api import Run
        return Run(self._records[i].name, store=self._store)

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator["Run"]:
        from .api import Run
        return (Run(r.name, store=self._store) for r in self._records)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (list, tuple, Runs)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    @property
    def names(self) -> list[str]:
        return [r.name for r in self._records]

    def __repr__(self) -> str:
        return f"<Runs {len(self)}: " + ", ".join(f"{r.name} {p}" for r, p in zip(self._records[:5], self._phases)) \
            + (", ..." if len(self) > 5 else "") + ">"

    def rows(self, *, outputs: bool | Iterable[str] = False, metrics: bool = True) -> list[dict[str, Any]]:
        """The frame's rows as dicts (what ``to_frame`` builds on; no pandas needed)."""
        from .api import Run
        now = time.time()
        wanted = None if outputs is True else set(outputs or ())
        out = []
        metrics = metrics and records_metrics()
        for rec, phase in zip(self._records, self._phases):
            started = rec.started_at
            end = rec.finished_at if rec.finished_at is not None else (now if phase not in FINISHED else None)
            row: dict[str, Any] = {
                "name": rec.name, "phase": phase,
                "started": _dt.datetime.fromtimestamp(started, _dt.timezone.utc) if started else None,
                "duration": (end - started) if started and end is not None else None,
            }
            for k, v in rec.parameters.items():
                row[f"param.{k}"] = v
            if metrics:
                row.update(metric_columns(Run(rec.name, store=self._store).metrics))
            if outputs:
                row.update(self._outputs(rec, wanted))
            out.append(row)
        return out

    def _outputs(self, rec: "RunRow", wanted: set[str] | None) -> dict[str, Any]:
        cols: dict[str, Any] = {}
        for node in self._store.get_nodes(rec.name).values():   # in start order: a later one wins
            name = node.get("displayName") or node.get("id")
            if wanted is not None and name not in wanted and node.get("id") not in wanted:
                continue
            for p in (node.get("outputs") or {}).get("parameters") or []:
                if isinstance(p, dict) and "value" in p:
                    cols[f"output.{name}.{p.get('name')}"] = p["value"]
        full = self._store.get_run(rec.name, with_nodes=False) if wanted is None or "workflow" in wanted else None
        if full is not None:
            for p in ((full.status or {}).get("outputs") or {}).get("parameters") or []:
                if isinstance(p, dict) and "value" in p:
                    cols[f"output.workflow.{p.get('name')}"] = p["value"]
        return cols

    def to_frame(self, *, outputs: bool | Iterable[str] = False, metrics: bool = True) -> "pandas.DataFrame":
        """A pandas DataFrame, one row a run (see the module's docstring for its columns).

        ``outputs=True`` adds every node's output parameters, ``outputs=["train"]`` those of the
        nodes named; both read each run's nodes, the rest comes from one query."""
        try:
            import pandas as pd
        except ImportError:
            raise JupyterFlowError("Runs.to_frame() needs pandas: pip install 'jupyter-flow[experiments]' "
                                   "(or pip install pandas)") from None
        rows = self.rows(outputs=outputs, metrics=metrics)
        frame = pd.DataFrame.from_records(rows, columns=_columns(rows))
        if len(frame):
            frame["started"] = pd.to_datetime(frame["started"], utc=True)
            frame["duration"] = frame["duration"].astype("float64")
        for col in frame.columns:
            if col.startswith(("param.", "metric.", "output.")) and not pd.api.types.is_numeric_dtype(frame[col]):
                try:
                    frame[col] = pd.to_numeric(frame[col])
                except (ValueError, TypeError):
                    pass
        return frame


def _columns(rows: list[dict]) -> list[str]:
    cols = {"name": None, "phase": None, "started": None, "duration": None}
    for row in rows:
        for k in row:
            cols.setdefault(k, None)
    return list(cols)


def _since(since: Any) -> float | None:
    """``since`` as an epoch time: seconds ago (a number), a timedelta, a datetime or "1h"/"30m"."""
    if since is None:
        return None
    if isinstance(since, _dt.datetime):
        return since.timestamp()
    if isinstance(since, _dt.timedelta):
        return time.time() - since.total_seconds()
    if isinstance(since, (int, float)) and not isinstance(since, bool):
        return time.time() - float(since)
    if isinstance(since, str):
        import argparse

        from .filters import parse_duration
        try:
            return time.time() - parse_duration(since)
        except (argparse.ArgumentTypeError, ValueError) as exc:
            raise JupyterFlowError(f"since={since!r}: {exc}") from None
    raise JupyterFlowError(f"since={since!r}: expected seconds, a timedelta, a datetime or a duration like '1h'")


def _selector(labels: Any) -> list[tuple[str, str, str | None]]:
    if labels is None:
        return []
    if isinstance(labels, Mapping):
        return [(str(k), "=", str(v)) for k, v in labels.items()]
    if isinstance(labels, str):
        import argparse

        from .filters import parse_selector
        try:
            return parse_selector(labels)
        except argparse.ArgumentTypeError as exc:
            raise JupyterFlowError(f"labels={labels!r}: {exc}") from None
    raise JupyterFlowError(f"labels={labels!r}: expected a dict of label values or a selector like 'k=v,!k2'")


def select(*, experiment: str | None = None, labels: Any = None, phase: str | Iterable[str] | None = None,
           since: Any = None, store=None, oldest_first: bool = False) -> Runs:
    """The runs that match every filter given, newest first (``oldest_first``: creation order).

    ``experiment``: a sweep's name; ``labels``: ``{"k": "v"}`` or a selector ``"k=v,k2!=v,!k3"``;
    ``phase``: one phase or several; ``since``: created within (seconds, timedelta, "1h") or
    after (a datetime)."""
    from .api import _store
    from .filters import labels_match
    store = _store(store)
    selector = _selector(labels)
    after = _since(since)
    phases = {phase} if isinstance(phase, str) else (set(phase) if phase is not None else None)
    records, kept = [], []
    for values in store.run_rows(experiment=experiment, oldest_first=oldest_first):
        name, phase_, created, started, finished, params, labels_text = values
        if after is not None and created < after:
            continue
        rec = RunRow(name, phase_, created, started, finished, _parameters(params), _labels(labels_text))
        if selector and not labels_match(rec.labels, selector):
            continue
        p = _phase(store, rec)
        if phases is not None and p not in phases:
            continue
        records.append(rec)
        kept.append(p)
    return Runs(records, store, kept)
