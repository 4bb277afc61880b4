"""Compare runs: ``jupyter_flow.compare(*runs_or_names) -> Comparison`` (this package: ``comparison``).

A Comparison is plain data built from the stored runs (no HTML here): the parameters that
differ, the nodes whose phase, duration, outputs or artifacts differ, and the metrics side by
side. Node ids differ per run, so nodes are matched by their *path*: the display names from the
root down the ``boundaryID`` chain (``main/train``); a path two nodes of one run share gets
``#2``, ``#3`` in the order the nodes started. Artifact diffs (``artifacts.py``) and Vega-Lite
plots (``plots.py``) are computed against the first run, the baseline, within size budgets.

Everything in a Comparison came from a run, so it is hostile text: the views escape it
(``notebook/compare_view.py``, the lab's Compare tab sets ``textContent`` only).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from .. import timestamps
from ..errors import JupyterFlowError

if TYPE_CHECKING:  # pragma: no cover
    import pandas

    from ..api import Run

MAX_RUNS = 50
# a node's duration "differs" when its runs' durations are more than DURATION_ABS apart and at least
# DURATION_REL of the shorter: Argo's timestamps are whole seconds, so two identical sub-second steps
# read 0 s and 1 s when one crosses a second; that jitter is not a difference worth showing
DURATION_ABS = 1.0
DURATION_REL = 0.5
MAX_VALUE_CHARS = 2000   # of one parameter / output value kept in a Comparison


def _duration(node: Mapping[str, Any]) -> float | None:
    """Seconds from start to finish; None until both are known."""
    return timestamps.duration(node.get("startedAt"), node.get("finishedAt"))


def _clip(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
        return value[:MAX_VALUE_CHARS] + "\u2026"
    return value


_LOOP_CHILD = re.compile(r"^(.*)\((\d+):.*\)$", re.S)


def _segment(name: str) -> str:
    """A display name as a path segment: a loop child ``train(0:lr=0.1)`` (Argo's ``name(index:item)``)
    is ``train(0)``, so the first item of two runs matches even when the items differ."""
    m = _LOOP_CHILD.match(name)
    return f"{m.group(1)}({m.group(2)})" if m else name


def node_paths(nodes: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """node id -> its path of display names from the root (``boundaryID`` chain), unique per run."""
    paths: dict[str, str] = {}

    def path_of(nid: str) -> str:
        chain, seen = [], set()
        cur = nid
        while cur in nodes and cur not in seen and cur not in paths:
            seen.add(cur)
            n = nodes[cur]
            cur = n.get("boundaryID") or ""
            if not cur:     # the root is named after the run: its template (the entrypoint) matches
                chain.append(str(n.get("templateName") or "(root)"))
                break
            chain.append(_segment(str(n.get("displayName") or n.get("name") or cur)))
            if cur == nid or cur not in nodes:
                cur = ""
                break
        prefix = paths.get(cur, "") if cur else ""
        return "/".join(([prefix] if prefix else []) + chain[::-1])

    order = sorted(nodes, key=lambda i: (str(nodes[i].get("startedAt") or ""), i))
    raw = {nid: path_of(nid) for nid in order}
    count: dict[str, int] = {}
    for nid in order:
        p = raw[nid]
        count[p] = count.get(p, 0) + 1
        paths[nid] = p if count[p] == 1 else f"{p}#{count[p]}"
    return paths


@dataclass
class Comparison:
    """Runs side by side (see the module docstring); ``to_dict()`` is what the REST API sends."""

    runs: list[dict]                 # {name, phase, startedAt, finishedAt, duration}
    params: list[dict]               # {name, values, differs}
    nodes: list[dict]                # {path, type, phases, durations, outputs, artifacts, differs}
    metrics: list[dict]              # {name, node (path), values, labels (per run), differs}
    _handles: list = field(default_factory=list, repr=False)

    @property
    def names(self) -> list[str]:
        return [r["name"] for r in self.runs]

    @property
    def differing_params(self) -> list[dict]:
        return [p for p in self.params if p["differs"]]

    @property
    def differing_nodes(self) -> list[dict]:
        return [n for n in self.nodes if n["differs"]]

    def to_dict(self, *, plots: bool = True) -> dict:
        out = {"runs": self.runs, "params": self.params, "nodes": self.nodes, "metrics": self.metrics}
        if plots:
            out["plots"] = self.plots()
        return out

    def plots(self, metric: str | None = None) -> dict[str, Any]:
        """Vega-Lite v5 specs (plain dicts): ``scatter`` (metric against each differing numeric
        parameter), ``parallel`` (parallel coordinates over the parameters and the metric),
        ``durations`` (duration per node and run); a plot with nothing to show is left out."""
        from .plots import all_plots
        return all_plots(self, metric)

    def plot(self, kind: str = "durations", metric: str | None = None) -> "VegaLite":
        """One plot as a displayable object (``application/vnd.vegalite.v5+json``)."""
        specs = self.plots(metric)
        if kind not in specs:
            raise JupyterFlowError(f"no {kind!r} plot for these runs (have: {', '.join(sorted(specs)) or 'none'})")
        from .plots import VegaLite
        return VegaLite(specs[kind])

    def to_frame(self) -> "pandas.DataFrame":
        """One row per run: ``param.<name>``, ``metric.<name>``, ``duration.<node path>``
        (pandas: the ``experiments`` extra)."""
        try:
            import pandas
        except ImportError:   # pragma: no cover - the extra is missing
            raise JupyterFlowError("Comparison.to_frame() needs pandas: pip install 'jupyter-flow[experiments]'")
        rows = []
        for i, r in enumerate(self.runs):
            row: dict[str, Any] = {"name": r["name"], "phase": r["phase"], "duration": r["duration"]}
            row.update({f"param.{p['name']}": p["values"][i] for p in self.params})
            row.update({f"metric.{m['name']}": m["values"][i] for m in self.metrics})
            row.update({f"duration.{n['path']}": n["durations"][i] for n in self.nodes})
            rows.append(row)
        return pandas.DataFrame(rows)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        """The notebook's tables and plots (``jupyter_flow.views``), else the text ``repr``."""
        from .. import views
        return views.mimebundle("comparison", self, lambda: repr(self), include=include, exclude=exclude)

    def widget(self):
        """An ipywidgets view: tabs of parameters, nodes, artifact diffs, metrics and plots."""
        from .. import views
        view = views.hook("comparison-widget")
        if view is None:
            raise JupyterFlowError("Comparison.widget needs the notebook views (import jupyter_flow.notebook)")
        return view(self)

    def __repr__(self) -> str:
        return (f"<Comparison of {len(self.runs)} runs: {len(self.differing_params)} parameters and "
                f"{len(self.differing_nodes)} nodes differ>")


def _resolve(items: Sequence[Any], store) -> list["Run"]:
    from .. import api
    if len(items) == 1 and not isinstance(items[0], (str, api.Run)):
        one = items[0]
        one = getattr(one, "runs", one)     # an Experiment: its runs
        if isinstance(one, Iterable):
            items = list(one)               # compare(runs) with a Runs / Experiment.runs / list
    if len(items) < 2:
        raise JupyterFlowError(f"compare needs at least 2 runs, got {len(items)}")
    if len(items) > MAX_RUNS:
        raise JupyterFlowError(f"compare takes at most {MAX_RUNS} runs, got {len(items)}")
    runs, seen = [], set()
    for item in items:
        run = item if isinstance(item, api.Run) else api.get(item, store=store) if isinstance(item, str) else None
        if run is None:
            raise JupyterFlowError(f"compare takes runs or run names, not {type(item).__name__}")
        if run.name in seen:
            raise JupyterFlowError(f"run {run.name!r} given twice")
        seen.add(run.name)
        runs.append(run)
    return runs


def _params(wf: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for p in (((wf.get("spec") or {}).get("arguments") or {}).get("parameters") or []):
        if isinstance(p, dict) and isinstance(p.get("name"), str):
            out[p["name"]] = _clip(p.get("value", p.get("default")))
    return out


def _outputs(node: Mapping[str, Any]) -> dict[str, Any]:
    outs = node.get("outputs") or {}
    values = {f"parameter.{p.get('name')}": _clip(p.get("value")) for p in outs.get("parameters") or []
              if isinstance(p, dict)}
    if "result" in outs:
        values["result"] = _clip(outs.get("result"))
    if "exitCode" in outs:
        values["exitCode"] = outs.get("exitCode")
    return values


def _finite(value: Any) -> Any:
    """NaN and infinities as Prometheus writes them: JSON (the REST API) has no such numbers."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return "NaN" if value != value else ("+Inf" if value > 0 else "-Inf")
    return value


def _durations_differ(values: list[float | None]) -> bool:
    known = [v for v in values if v is not None]
    if len(known) < 2:
        return False
    lo, hi = min(known), max(known)
    return hi - lo > DURATION_ABS and hi - lo >= DURATION_REL * max(lo, 1e-9)


def compare(*runs_or_names: Any, store=None, artifacts: bool = True) -> Comparison:
    """Compare 2 to ``MAX_RUNS`` runs (``Run`` objects, names, one iterable of them, or a sweep's
    ``Experiment``); the first
    is the baseline the artifact diffs are made against. ``artifacts=False`` skips reading them."""
    from .. import api
    store = api._store(store)
    runs = _resolve(runs_or_names, store)
    wfs = [r.to_dict() for r in runs]
    k = len(runs)
    summary = []
    for wf in wfs:
        st = wf.get("status") or {}
        summary.append({"name": (wf.get("metadata") or {}).get("name"), "phase": st.get("phase"),
                        "startedAt": st.get("startedAt"), "finishedAt": st.get("finishedAt"),
                        "duration": _duration(st)})

    per_run = [_params(wf) for wf in wfs]
    pnames = sorted({n for p in per_run for n in p})
    params = []
    for n in pnames:
        values = [p.get(n) for p in per_run]
        params.append({"name": n, "values": values, "differs": len({repr(v) for v in values}) > 1})

    by_path: dict[str, list[dict | None]] = {}
    order: list[str] = []
    run_paths: list[dict[str, str]] = []
    for i, wf in enumerate(wfs):
        nodes = (wf.get("status") or {}).get("nodes") or {}
        run_paths.append(node_paths(nodes))
        for nid, path in run_paths[-1].items():
            if path not in by_path:
                by_path[path] = [None] * k
                order.append(path)
            by_path[path][i] = dict(nodes[nid], id=nid)
    node_rows = []
    for path in order:
        found = by_path[path]
        first = next(n for n in found if n is not None)
        phases = [n.get("phase") if n else None for n in found]
        durations = [_duration(n) if n else None for n in found]
        outs = [_outputs(n) if n else {} for n in found]
        out_rows = []
        for key in sorted({key for o in outs for key in o}):
            values = [o.get(key) for o in outs]
            out_rows.append({"name": key, "values": values, "differs": len({repr(v) for v in values}) > 1})
        differs = []
        if any(n is None for n in found):
            differs.append("missing")
        if len(set(phases)) > 1:
            differs.append("phase")
        if _durations_differ(durations):
            differs.append("duration")
        if any(o["differs"] for o in out_rows):
            differs.append("outputs")
        node_rows.append({"path": path, "type": first.get("type"), "ids": [n["id"] if n else None for n in found],
                          "phases": phases, "durations": durations, "outputs": out_rows, "artifacts": [],
                          "differs": differs})
    if artifacts:
        from .artifacts import diff_node_artifacts
        budget = {"bytes": 0}
        for row in node_rows:
            row["artifacts"] = diff_node_artifacts(runs, store, by_path[row["path"]], budget)
            if any(a["differs"] for a in row["artifacts"]):
                row["differs"].append("artifacts")

    # one row per metric name and node path (node ids differ per run); labels do not split a row
    # (a label such as {{status}} or a parameter differs per run): each run's last emission counts,
    # as in Runs.to_frame()'s metric.<name> columns
    metrics: dict[tuple[str, str], dict[str, list]] = {}
    for i, r in enumerate(runs):
        for m in getattr(r, "metrics", None) or []:
            if not (isinstance(m, Mapping) and isinstance(m.get("name"), str) and m["name"]):
                continue
            node = m.get("node")
            where = run_paths[i].get(node, str(node)) if node else ""
            row = metrics.setdefault((m["name"], where), {"values": [None] * k, "labels": [None] * k})
            row["values"][i] = _finite(m.get("value"))
            labels = m.get("labels")
            row["labels"][i] = dict(labels) if isinstance(labels, Mapping) else {}
    metric_rows = [{"name": name, "node": node, "values": row["values"], "labels": row["labels"],
                    "differs": len({repr(v) for v in row["values"]}) > 1}
                   for (name, node), row in sorted(metrics.items())]
    return Comparison(summary, params, node_rows, metric_rows, runs)
