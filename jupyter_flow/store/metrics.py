"""Reading recorded custom metrics: a run's emissions (``Run.metrics``, ``get -o json``) and the
Prometheus text exposition of all runs' metrics (``/jupyter-flow/metrics``).

The exposition aggregates the store's emissions as Argo's controller registry does
(workflow/metrics/metrics_custom.go): one series per metric name and label set; a gauge keeps its
last value (``operation: Add``/``Sub`` change it, ``Set`` replaces it), a realtime gauge is read
when scraped, a counter sums its emissions, a histogram counts them into the buckets of the
metric's first declaration. A name keeps the type and help of its first emission (Argo refuses a
later declaration that changes them, so those rows are left out). Names are exposed with Argo's
``argo_workflows_`` prefix and, as Argo's exporter does (UnderscoreEscapingWithoutSuffixes), no
``_total`` suffix on counters. No run/namespace labels are added: Argo adds none.
"""
from __future__ import annotations

import json
import math
import re
import time
from typing import Any

PREFIX = "argo_workflows_"
_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_LIVE_PHASES = ("Pending", "Running")


def _live_value(value: float, since: float | None, run_phase: str | None, run_finished: float | None) -> float:
    """A realtime gauge's value now: time since it started while its run is live, else frozen at
    the run's end (Argo marks a finished workflow's realtime metrics completed)."""
    if since is None:
        return value
    if run_phase in _LIVE_PHASES:
        return max(0.0, time.time() - since)
    return max(0.0, (run_finished if run_finished is not None else since) - since)


def _runs_state(store, runs: set[str]) -> dict[str, tuple[str, float | None]]:
    out = {}
    for name in runs:
        rec = store.get_run(name, with_nodes=False)
        if rec is not None:
            out[name] = (rec.phase, rec.finished_at)
    return out


def run_metrics(store, run: str) -> list[dict[str, Any]]:
    """Every emission of ``run`` in order: ``{name, labels, value, node, type, help, time}``
    (``node`` is the node id, None for a workflow-level metric; a histogram's value is the
    observed value; a realtime gauge's value is read now)."""
    rows = store.metric_rows(run)
    state = _runs_state(store, {run}) if any(r[9] is not None for r in rows) else {}
    phase, finished = state.get(run, (None, None))
    out = []
    for (_seq, _run, node, name, help_, kind, labels, value, ts, since, source, buckets, op) in rows:
        entry: dict[str, Any] = {"name": name, "labels": json.loads(labels), "value": value, "node": node,
                                 "type": kind, "help": help_, "time": ts}
        if source is not None:
            entry["value"] = _live_value(value, since, phase, finished)
            entry["realtime"] = True
        if op and op != "Set":
            entry["operation"] = op
        out.append(entry)
    return out


def _fmt(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def _esc_label(v: str) -> str:
    return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")


def _esc_help(v: str) -> str:
    return v.replace("\\", "\\\\").replace("\n", "\\n")


def _labels(labels: dict, extra: tuple[tuple[str, str], ...] = ()) -> str:
    taken = {k for k, _ in extra}   # a user label named like the histogram's "le" would repeat it
    items = sorted((k, str(v)) for k, v in labels.items() if _NAME.match(str(k)) and k not in taken) + list(extra)
    if not items:
        return ""
    return "{" + ",".join(f'{k}="{_esc_label(v)}"' for k, v in items) + "}"


def aggregate(store) -> dict[str, dict]:
    """name -> {type, help, buckets, series: {labels JSON: state}} over every stored run."""
    rows = store.metric_rows()
    state = _runs_state(store, {r[1] for r in rows if r[9] is not None})
    fams: dict[str, dict] = {}
    for (_seq, run, _node, name, help_, kind, labels, value, _ts, since, source, buckets, op) in rows:
        if not isinstance(name, str) or not _NAME.match(name):
            continue
        fam = fams.get(name)
        if fam is None:
            fam = fams[name] = {"type": kind, "help": help_, "series": {},
                                "buckets": json.loads(buckets) if buckets else []}
        elif fam["type"] != kind or fam["help"] != help_:
            continue   # Argo: "found existing ... for custom metric" / "help ... cannot be changed"
        series = fam["series"]
        if kind == "gauge":
            if source is not None:
                phase, finished = state.get(run, (None, None))
                series[labels] = _live_value(value, since, phase, finished)
            elif op == "Add":
                series[labels] = series.get(labels, 0.0) + value
            elif op == "Sub":
                series[labels] = series.get(labels, 0.0) - value
            else:
                series[labels] = value
        elif kind == "counter":
            series[labels] = series.get(labels, 0.0) + value
        elif kind == "histogram":
            h = series.setdefault(labels, {"counts": [0] * len(fam["buckets"]), "sum": 0.0, "count": 0})
            for i, bound in enumerate(fam["buckets"]):
                if value <= bound:
                    h["counts"][i] += 1
            h["sum"] += value
            h["count"] += 1
    return fams


def exposition(store) -> str:
    """Prometheus text exposition format 0.0.4 of every stored run's custom metrics."""
    lines: list[str] = []
    for name, fam in sorted(aggregate(store).items()):
        full = PREFIX + name
        lines.append(f"# HELP {full} {_esc_help(fam['help'])}")
        lines.append(f"# TYPE {full} {fam['type']}")
        for labels_json, st in fam["series"].items():
            labels = json.loads(labels_json)
            if fam["type"] != "histogram":
                lines.append(f"{full}{_labels(labels)} {_fmt(st)}")
                continue
            for bound, count in zip(fam["buckets"], st["counts"]):
                lines.append(f"{full}_bucket{_labels(labels, (('le', _fmt(bound)),))} {count}")
            lines.append(f"{full}_bucket{_labels(labels, (('le', '+Inf'),))} {st['count']}")
            lines.append(f"{full}_sum{_labels(labels)} {_fmt(st['sum'])}")
            lines.append(f"{full}_count{_labels(labels)} {st['count']}")
    return "\n".join(lines) + ("\n" if lines else "")
