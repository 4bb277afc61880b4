"""The run's DAG as one widget model, drawn by the jupyter-flow lab extension (``dagwidget.ts``).

Why not ipycytoscape (``graph.CytoscapeRenderer``, still available): it opens a widget model
per node and per edge. A 1,000-node DAG was 2,550 ``comm_open`` messages, each relayed by the
Jupyter server and handled one by one in the page (~1 ms apiece): 4.2 s to first paint. Every
phase change was its own message too, which is why the widget had to ration node updates
under the server's iopub rate limit. Here the whole graph is one model:

- structure (nodes with kernel-computed positions and classes, edges, the stylesheet) is the
  ``graph`` trait: one message per structural change, however many elements;
- phase changes are one custom ``patch`` message per flush for any number of nodes; the page's
  model merges them into its state (a second view, or saved widget state, shows the current
  phases), and the kernel keeps the same picture here, so the next ``graph`` it sends is whole;
- a click in the page comes back as ``{"event": "click", "id": ...}`` (on a group node: the
  kernel opens it and sends the new structure);
- the page's search box sends ``{"event": "search", "query": ...}``; the kernel finds the node
  (``picture.groups.Picture.focus``: name or phase), opens the groups it is in and answers
  ``{"type": "focus", "id": ...}`` after the new structure.

- the page's model says ``{"event": "ready"}`` when it is created: the kernel's proof that this
  frontend has the lab extension.

It needs the lab extension in the page (``pip install jupyter-flow`` installs it for JupyterLab
and Notebook 7). Frontends without it (VS Code, Colab, a JupyterLab running from another
environment) cannot create the model; when no ``ready`` comes, ``RunWidget`` draws the graph as a
picture instead (``svg.SvgRenderer``) and goes back to this model if the page answers late.
``JUPYTER_FLOW_GRAPH`` chooses a renderer outright: ``dag`` (this one, never the picture), ``svg``,
``ipycytoscape``.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

import ipywidgets as W
import traitlets as T

from ..picture.wire import graph_json, node_json
from . import graph as G
from .laidout import LaidOutRenderer

MODULE = "jupyter-flow"
MODULE_VERSION = "^0.1.0"


class DagWidget(W.DOMWidget):
    """The widget model the lab extension's ``DagView`` draws (see the module docstring)."""

    _model_name = T.Unicode("DagModel").tag(sync=True)
    _view_name = T.Unicode("DagView").tag(sync=True)
    _model_module = T.Unicode(MODULE).tag(sync=True)
    _view_module = T.Unicode(MODULE).tag(sync=True)
    _model_module_version = T.Unicode(MODULE_VERSION).tag(sync=True)
    _view_module_version = T.Unicode(MODULE_VERSION).tag(sync=True)
    graph = T.Dict().tag(sync=True)
    cy_style = T.List().tag(sync=True)        # cytoscape stylesheet (`style` is ipywidgets' own)
    min_zoom = T.Float(0.05).tag(sync=True)     # room for fit() to show a 1,000-node DAG whole
    max_zoom = T.Float(3.0).tag(sync=True)
    # a fit never zooms in past this: a starting run's one or two nodes keep a readable size
    # instead of filling the whole area (labextension/src/fitzoom.ts)
    fit_max_zoom = T.Float(1.25).tag(sync=True)


def _node_data(n: G.GNode) -> dict:
    return node_json(n)                     # tip as text: shown as a title attribute, not as HTML


class DagRenderer(LaidOutRenderer):
    """``RunWidget``'s renderer over ``DagWidget``: same methods as ``CytoscapeRenderer`` plus
    ``update_many`` (a flush's node changes in one message, so no per-node message budget)."""

    def __init__(self, *, fallback: bool = True) -> None:
        super().__init__()
        self.fallback = fallback               # may RunWidget draw a picture if the page never answers?
        self.ready = False                     # the page created the model: the lab extension is there
        self._ready: list[Callable[[], None]] = []
        self._search: list[Callable[[str], Any]] = []
        self.widget = DagWidget(cy_style=G.stylesheet())
        self.widget.layout.width = "auto"
        self.widget.layout.min_width = "0"
        self._rev = 0
        self.widget.on_msg(self._message)

    # -- structure: the whole graph in one message ------------------------------------------------
    def _relayout(self) -> None:
        self._rev += 1
        self.widget.graph = {"rev": self._rev, **graph_json(self._gnodes, self._gedges.values(), self._positions)}
        self.messages += 1

    # -- status: one patch message for any number of nodes ------------------------------------------
    def update_many(self, nodes: Iterable[G.GNode]) -> int:
        """Bring drawn nodes up to date in one message; returns how many changed."""
        patch: dict[str, dict[str, Any]] = {}
        for old, node in self._changed(nodes):
            change: dict[str, Any] = {}
            if old.classes != node.classes:
                change["classes"] = node.classes
            if (old.label, old.tip) != (node.label, node.tip):     # all a node's data derives from
                change["data"] = _node_data(node)                  # (id, label and tip: node_data)
            if change:
                patch[node.id] = change
        if patch:
            self.widget.send({"type": "patch", "nodes": patch})
            self.messages += 1
        return len(patch)

    def _node_data(self, n: G.GNode) -> dict:
        return _node_data(n)

    # -- the page: ready and clicks ---------------------------------------------------------------------
    def on_ready(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` when a page reports that it created the model (every time one does)."""
        self._ready.append(fn)

    def on_search(self, fn: Callable[[str], Any]) -> None:
        """Call ``fn(query)`` when the page's search box asks for a node by name or phase."""
        self._search.append(fn)

    def focus(self, node_id: str) -> None:
        """Ask the page to centre ``node_id`` (after a search revealed it)."""
        self.widget.send({"type": "focus", "id": node_id})
        self.messages += 1

    def insert_cell(self, code: str) -> bool:
        """Ask the page to insert ``code`` as a new code cell below the cell that shows this graph
        (the lab extension does it, not run); False when no page reported the model."""
        if not self.ready:
            return False
        self.widget.send({"type": "insert-cell", "code": code})
        self.messages += 1
        return True

    @property
    def awaits_frontend(self) -> bool:
        """Whether a picture should replace this graph if no page reports the model soon."""
        return self.fallback and not self.ready

    def _message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        if content.get("event") == "ready":
            self.ready = True
            for fn in list(self._ready):
                fn()
        elif content.get("event") == "click":
            self._picked(content.get("id"))
        elif content.get("event") == "search" and isinstance(content.get("query"), str):
            for fn in list(self._search):
                fn(content["query"][:200])


def default_renderer() -> Callable[[], Any]:
    """The renderer a ``RunWidget`` draws with: ``DagRenderer`` (a picture if the page turns out not
    to have the lab extension) unless ``JUPYTER_FLOW_GRAPH`` chooses: ``dag`` (never the picture),
    ``svg`` or ``ipycytoscape``."""
    from .display import graph_choice
    choice = graph_choice()
    if choice == "ipycytoscape":
        return G.CytoscapeRenderer
    if choice == "svg":
        from .svg import SvgRenderer
        return SvgRenderer
    if choice == "dag":
        return lambda: DagRenderer(fallback=False)
    return DagRenderer
