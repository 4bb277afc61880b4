"""How a ``Run`` shows itself: the live widget in a kernel with ipywidgets, else the ``get`` tree.

``Run._repr_mimebundle_`` delegates here. The widget bundle also carries ``text/plain`` (the
``argo get``-style tree), so nbconvert, papermill output and plain-text frontends still show the
run. ``JUPYTER_FLOW_WIDGET=0`` forces text everywhere.
"""
from __future__ import annotations

import importlib.util
import os
import threading
from typing import Any

from ..phases import FINISHED

_widgets: dict[tuple[str, str], Any] = {}   # (store home, run name) -> RunWidget, so a re-display shares it
_lock = threading.Lock()
MAX_CACHED = 64


GRAPH_CHOICES = {"": "auto", "auto": "auto", "dag": "dag", "lab": "dag", "svg": "svg",
                 "ipycytoscape": "ipycytoscape", "cytoscape": "ipycytoscape"}


def graph_choice() -> str:
    """``JUPYTER_FLOW_GRAPH``: ``auto`` (default: the lab extension's DAG model, a picture where the
    page lacks the extension), ``dag`` (the model, never the picture), ``svg`` (always the picture)
    or ``ipycytoscape``. An unknown value is ``auto``."""
    return GRAPH_CHOICES.get(os.environ.get("JUPYTER_FLOW_GRAPH", "").strip().lower(), "auto")


def use_ipycytoscape() -> bool:
    """``JUPYTER_FLOW_GRAPH=ipycytoscape``: draw with ipycytoscape (a widget model per node and edge)."""
    return graph_choice() == "ipycytoscape"


def widgets_available() -> bool:
    """True in a Jupyter kernel (not terminal IPython) where ipywidgets (and, if chosen with
    ``JUPYTER_FLOW_GRAPH=ipycytoscape``, ipycytoscape) import."""
    if os.environ.get("JUPYTER_FLOW_WIDGET", "").lower() in ("0", "false", "no", "off"):
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    ip = get_ipython()
    if ip is None or getattr(ip, "kernel", None) is None:
        return False
    needed = ["ipywidgets", "ipycytoscape"] if use_ipycytoscape() else ["ipywidgets"]
    return all(importlib.util.find_spec(m) is not None for m in needed)


def text(run) -> str:
    from ..render import render_get
    return render_get(run.to_dict())


def widget_for(run, *, fresh: bool = False):
    """The (shared) live widget of ``run``."""
    from .widget import RunWidget
    key = (str(run.store.home), run.name)
    with _lock:
        w = _widgets.get(key)
        if w is not None and not fresh:
            ctl = run.controller
            if ctl is not None and ctl is not w.feed.controller and not ctl.done.is_set():
                w.feed.attach(run)
            else:
                w.refresh()
            return w
        if w is not None:
            w.close()
        w = _widgets[key] = RunWidget(run)
        if len(_widgets) > MAX_CACHED:
            # forget the oldest finished runs (their displayed views keep their last state)
            for old_key in [k for k, v in _widgets.items() if v.info.get("phase") in FINISHED][:len(_widgets) - MAX_CACHED]:
                _widgets.pop(old_key).close()
        return w


PLAIN_MAX_NODES = 2000   # past this, the widget's text/plain is a line, not the whole get tree


def mimebundle(run, include=None, exclude=None) -> dict:
    """What ``Run._repr_mimebundle_`` returns."""
    if not widgets_available():
        return {"text/plain": text(run)}
    try:
        w = widget_for(run)
    except Exception as exc:   # a broken widget stack must not hide the run
        return {"text/plain": text(run) + f"\n(widget unavailable: {exc})"}
    w.check_frontend()
    if len(w.nodes) > PLAIN_MAX_NODES:
        # the tree of a 100,000-node run is 100,000 lines in the saved notebook and seconds of
        # rendering on every display: the picture is the widget; the tree is `jupyter-flow get`
        plain = (f"{run.name}  {w.info.get('phase') or 'Pending'}  {len(w.nodes):,} nodes "
                 f"(jupyter-flow get {run.name} prints the tree)")
    else:
        plain = text(run)
    bundle = {"text/plain": plain,
              "application/vnd.jupyter.widget-view+json": {"version_major": 2, "version_minor": 0,
                                                           "model_id": w.box.model_id}}
    if include:
        bundle = {k: v for k, v in bundle.items() if k in include}
    if exclude:
        bundle = {k: v for k, v in bundle.items() if k not in exclude}
    return bundle


def experiment_mimebundle(experiment, include=None, exclude=None) -> dict:
    """What ``Experiment._repr_mimebundle_`` returns: its live widget in a kernel with ipywidgets."""
    plain = repr(experiment)
    if not widgets_available():
        return {"text/plain": plain}
    from .experiment_widget import widget_for as experiment_widget_for
    w = experiment_widget_for(experiment)
    return {"text/plain": plain,
            "application/vnd.jupyter.widget-view+json": {"version_major": 2, "version_minor": 0,
                                                         "model_id": w.box.model_id}}
