"""Vega-Lite v5 specs of a Comparison, as plain dicts (JupyterLab renders
``application/vnd.vegalite.v5+json`` natively; no Altair needed at run time).

The data are inline values: run names, parameter values and node paths are data, never
expressions (no ``calculate``/``filter`` strings built from user text), and the parallel
coordinates are normalised here, so no field name comes from a run either (a parameter called
``a.b`` or ``x[0]`` would be a nested field access in Vega).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from . import Comparison

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
MIME = "application/vnd.vegalite.v5+json"
MAX_NODES = 60       # bars of the duration plot (the slowest paths)


def _num(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if value == value else None
    try:
        v = float(str(value))
    except (TypeError, ValueError):
        return None
    return v if v == v and abs(v) != float("inf") else None


def _metric(c: "Comparison", metric: str | None) -> dict | None:
    rows = [m for m in c.metrics if any(_num(v) is not None for v in m["values"])]
    if metric is not None:
        rows = [m for m in rows if m["name"] == metric]
    return rows[0] if rows else None


def _label(m: dict) -> str:
    """A metric's name, with the node path that emitted it (none: a workflow-level metric)."""
    return m["name"] + (f" @ {m['node']}" if m.get("node") else "")


def scatter(c: "Comparison", m: dict) -> dict | None:
    """The metric against each differing parameter, one panel per parameter."""
    values = []
    for p in c.differing_params:
        for i, run in enumerate(c.names):
            y = _num(m["values"][i])
            x = _num(p["values"][i])
            if y is not None and x is not None:
                values.append({"run": run, "parameter": p["name"], "value": x, "metric": y})
    if not values:
        return None
    return {"$schema": SCHEMA, "title": f"{_label(m)} against parameters",
            "data": {"values": values},
            "facet": {"column": {"field": "parameter", "type": "nominal", "title": None}},
            "spec": {"width": 180, "height": 160, "mark": {"type": "point", "filled": True, "size": 60},
                     "encoding": {"x": {"field": "value", "type": "quantitative", "title": "value",
                                        "scale": {"zero": False}},
                                  "y": {"field": "metric", "type": "quantitative", "title": _label(m),
                                        "scale": {"zero": False}},
                                  "tooltip": [{"field": "run", "type": "nominal"},
                                              {"field": "value", "type": "quantitative"},
                                              {"field": "metric", "type": "quantitative"}]}},
            "resolve": {"scale": {"x": "independent"}}}


def parallel(c: "Comparison", m: dict | None) -> dict | None:
    """Parallel coordinates over the differing numeric parameters (and the metric), each axis
    scaled to 0..1 between its smallest and largest value."""
    axes = []
    for p in c.differing_params:
        nums = [_num(v) for v in p["values"]]
        if all(v is not None for v in nums):
            axes.append((p["name"], nums))
    if m is not None:
        nums = [_num(v) for v in m["values"]]
        if all(v is not None for v in nums):
            axes.append((_label(m), nums))
    if len(axes) < 2:
        return None
    values = []
    for order, (axis, nums) in enumerate(axes):
        lo, hi = min(nums), max(nums)
        for i, run in enumerate(c.names):
            norm = 0.5 if hi == lo else (nums[i] - lo) / (hi - lo)
            values.append({"run": run, "axis": axis, "order": order, "value": nums[i], "norm": norm})
    return {"$schema": SCHEMA, "title": "parameters" + (f" and {_label(m)}" if m else ""),
            "width": max(200, 120 * len(axes)), "height": 220, "data": {"values": values},
            "mark": {"type": "line", "point": True},
            "encoding": {"x": {"field": "axis", "type": "nominal", "sort": [a for a, _ in axes], "title": None},
                         "y": {"field": "norm", "type": "quantitative", "title": "min \u2192 max",
                               "axis": {"labels": False}},
                         "color": {"field": "run", "type": "nominal"},
                         "detail": {"field": "run", "type": "nominal"},
                         "order": {"field": "order", "type": "quantitative"},
                         "tooltip": [{"field": "run", "type": "nominal"}, {"field": "axis", "type": "nominal"},
                                     {"field": "value", "type": "quantitative"}]}}


def durations(c: "Comparison") -> dict | None:
    """Seconds per node (Pod nodes, the slowest ``MAX_NODES`` paths) and run, grouped bars."""
    rows = [n for n in c.nodes if n["type"] == "Pod" and any(d is not None for d in n["durations"])]
    rows.sort(key=lambda n: -max(d or 0 for d in n["durations"]))
    values = [{"run": run, "node": n["path"], "seconds": n["durations"][i]}
              for n in rows[:MAX_NODES] for i, run in enumerate(c.names) if n["durations"][i] is not None]
    if not values:
        return None
    return {"$schema": SCHEMA, "title": "duration per node", "width": 360, "data": {"values": values},
            "mark": "bar",
            "encoding": {"y": {"field": "node", "type": "nominal", "title": None, "sort": None},
                         "yOffset": {"field": "run", "type": "nominal"},
                         "x": {"field": "seconds", "type": "quantitative", "title": "seconds"},
                         "color": {"field": "run", "type": "nominal"},
                         "tooltip": [{"field": "run", "type": "nominal"}, {"field": "node", "type": "nominal"},
                                     {"field": "seconds", "type": "quantitative"}]}}


def all_plots(c: "Comparison", metric: str | None = None) -> dict[str, dict]:
    m = _metric(c, metric)
    specs = {"scatter": scatter(c, m) if m else None, "parallel": parallel(c, m), "durations": durations(c)}
    return {k: v for k, v in specs.items() if v is not None}


class VegaLite:
    """A spec that Jupyter displays as a Vega-Lite chart (text/plain says what it is elsewhere)."""

    def __init__(self, spec: dict):
        self.spec = spec

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {MIME: self.spec, "text/plain": f"<Vega-Lite chart: {self.spec.get('title', '')}>"}
