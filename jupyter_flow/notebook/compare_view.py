"""How a Comparison shows itself in a notebook: escaped HTML tables and diffs, Vega-Lite plots.

Every string in a Comparison came from a run (names, parameter values, outputs, artifact text):
it goes through ``html.escape`` (``preview.table``/``inert.pre``). Images are the ``data:`` URIs
``comparison.artifacts`` built from verified raster bytes, put in ``src`` through ``inert.img``'s
shape (no user text in an attribute). In a kernel with ipywidgets the view is a ``Tab`` of
``HTML`` widgets plus an ``Output`` holding the plots as ``application/vnd.vegalite.v5+json``.
"""
from __future__ import annotations

import html
import json
import re
from typing import TYPE_CHECKING, Any

from .inert import pre
from .preview import table

if TYPE_CHECKING:  # pragma: no cover
    from ..comparison import Comparison

esc = html.escape
_DATA_URI = re.compile(r"^data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=]*$")
MAX_ROWS = 200


def _v(value: Any) -> str:
    if value is None:
        return "\u2014"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1e6 else repr(value)
    return value if isinstance(value, str) else json.dumps(value)


def _secs(value: Any) -> str:
    return "\u2014" if value is None else f"{value:.1f}s"


def params_html(c: "Comparison") -> str:
    rows = c.differing_params
    if not rows:
        return "<i>every parameter is the same</i>"
    return table([[p["name"], *map(_v, p["values"])] for p in rows[:MAX_ROWS]], header=["parameter", *c.names])


def nodes_html(c: "Comparison") -> str:
    rows = c.differing_nodes
    if not rows:
        return "<i>no node differs</i>"
    body = []
    for n in rows[:MAX_ROWS]:
        cells = [f"{p or 'missing'} {_secs(d)}" for p, d in zip(n["phases"], n["durations"])]
        body.append([n["path"], ", ".join(n["differs"]), *cells])
        for o in n["outputs"]:
            if o["differs"]:
                body.append(["", o["name"], *map(_v, o["values"])])
    return table(body, header=["node", "differs in", *c.names])


def _img(uri: str | None) -> str:
    if not uri or not _DATA_URI.match(uri):
        return "<i>not shown</i>"
    return f'<img src="{uri}" alt="" style="max-width:240px;height:auto">'


def artifacts_html(c: "Comparison") -> str:
    parts = []
    for n in c.nodes:
        for a in n["artifacts"]:
            if not a["differs"]:
                continue
            parts.append(f"<h4 style='margin:6px 0 2px'>{esc(n['path'])} \u2192 {esc(a['name'])} "
                         f"<small>({esc(a['kind'])})</small></h4>")
            if a["images"] is not None:
                cells = "".join(f"<td style='vertical-align:top;padding:2px'><div style='font-size:11px'>"
                                f"{esc(name)}</div>{_img(uri)}</td>" for name, uri in zip(c.names, a["images"]))
                parts.append(f"<table><tr>{cells}</tr></table>")
                continue
            for name, d in zip(c.names, a["diffs"]):
                if d is None:
                    continue
                parts.append(f"<div style='font-size:11px'>{esc(c.names[0])} \u2192 {esc(name)}</div>")
                if d["kind"] == "csv":
                    parts.append(csv_html(d))
                elif "diff" in d:
                    parts.append(pre(d["diff"], max_height="320px"))
                else:
                    parts.append(f"<i>{esc(d.get('note', ''))}</i>")
    return "".join(parts) or "<i>no artifact differs</i>"


def csv_html(d: dict) -> str:
    head = (f"rows {d['rows'][0]} \u2192 {d['rows'][1]}"
            + (f"; columns added: {', '.join(d['columns_added'])}" if d["columns_added"] else "")
            + (f"; columns removed: {', '.join(d['columns_removed'])}" if d["columns_removed"] else "")
            + ("; (cut)" if d["truncated"] else ""))
    rows = [[c["row"], c["column"], c["a"], c["b"], "" if c["delta"] is None else _v(c["delta"])]
            for c in d["changes"]]
    return f"<div style='font-size:11px'>{esc(head)}</div>" + (
        table(rows, header=["row", "column", "was", "is", "\u0394"]) if rows else "")


def metrics_html(c: "Comparison") -> str:
    if not c.metrics:
        return "<i>no metrics recorded</i>"
    rows = []
    for m in c.metrics[:MAX_ROWS]:
        cells = []
        for value, labels in zip(m["values"], m["labels"]):
            text = ",".join(f"{k}={v}" for k, v in sorted((labels or {}).items()))
            cells.append(_v(value) + (f" {{{text}}}" if text else ""))
        rows.append([m["name"], m["node"] or "(workflow)", *cells])
    return table(rows, header=["metric", "node", *c.names])


def to_html(c: "Comparison") -> str:
    sections = [("Parameters that differ", params_html(c)), ("Nodes that differ", nodes_html(c)),
                ("Artifacts that differ", artifacts_html(c)), ("Metrics", metrics_html(c))]
    runs = table([[r["name"], r["phase"], _secs(r["duration"])] for r in c.runs], header=["run", "phase", "duration"])
    body = "".join(f"<h3 style='margin:8px 0 4px'>{esc(t)}</h3>{h}" for t, h in sections)
    return f'<div class="jf-compare">{runs}{body}</div>'


def mimebundle(c: "Comparison", include=None, exclude=None) -> dict:
    bundle = {"text/plain": repr(c), "text/html": to_html(c)}
    from .display import widgets_available
    if widgets_available():
        try:
            w = widget(c)
            bundle["application/vnd.jupyter.widget-view+json"] = {"version_major": 2, "version_minor": 0,
                                                                  "model_id": w.model_id}
        except Exception:   # a broken widget stack must not hide the comparison
            pass
    if include:
        bundle = {k: v for k, v in bundle.items() if k in include}
    if exclude:
        bundle = {k: v for k, v in bundle.items() if k not in exclude}
    return bundle


def widget(c: "Comparison"):
    """Tabs: parameters, nodes, artifacts, metrics (escaped ``HTML``) and plots (an ``Output``
    holding Vega-Lite display data, which JupyterLab renders with its vega extension)."""
    import ipywidgets as W
    from IPython.display import display

    from ..comparison.plots import VegaLite
    tabs = [("Parameters", params_html(c)), ("Nodes", nodes_html(c)), ("Artifacts", artifacts_html(c)),
            ("Metrics", metrics_html(c))]
    children = [W.HTML(value=h) for _, h in tabs]
    plots = W.Output()
    with plots:
        for spec in c.plots().values():
            display(VegaLite(spec))
    children.append(plots)
    tab = W.Tab(children=children)
    for i, (title, _) in enumerate([*tabs, ("Plots", "")]):
        tab.set_title(i, title)
    tab.add_class("jf-compare-widget")
    return tab
