"""The live run widget: header (name, phase, duration, progress, buttons), DAG, node panel, search.

A thin view over ``feed.RunFeed`` (where the run's state comes from and how updates are
coalesced: at most ``interval`` seconds apart) and ``picture.groups.Picture`` (what is drawn: big
fan-outs and sub-DAGs as group nodes with their phase counts, opened by a click; a search reveals a
node wherever it is). A flush restyles only the drawn nodes whose look changed (a phase change
inside a group is that group's counts); structural changes (new nodes and edges) go out as one
batch, no more often than every ``structure_interval`` seconds.
"""
from __future__ import annotations

import html
import time
from typing import Any, Callable

import ipywidgets as W

from . import graph as G
from . import preview as P
from .feed import RunFeed

esc = html.escape

# The Jupyter server drops a kernel's iopub messages (comm messages included) once more than
# iopub_msg_rate_limit (1,000/s by default) arrive averaged over rate_limit_window (3 s). A
# dropped node update would leave a node drawn in a stale phase, so with a renderer that sends a
# message per node (ipycytoscape) node updates stay under 80% of that: what is over budget waits
# for a later flush (newest state wins) instead of being lost. DagRenderer sends one per flush.
MSG_WINDOW_S = 3.0
MSG_BUDGET = 2400

# How long a page has, from the widget's display, to report that it created the lab extension's DAG
# model before the graph is drawn as a picture (``svg.SvgRenderer``). Counted on the kernel's event
# loop: a check that runs more than FRONTEND_LATE_S late means the kernel was busy (a cell ran) and
# the page's answer may still be queued, so it waits another round instead of deciding.
FRONTEND_WAIT_S = 5.0
FRONTEND_LATE_S = 0.5


class RunWidget:
    """A live view of one ``Run``; ``.box`` is the ipywidgets container to display."""

    def __init__(self, run, *, renderer_factory: Callable[[], Any] | None = None, interval: float = 0.125,
                 structure_interval: float = 0.5, poll_interval: float = 0.5, tick_interval: float = 1.0):
        self.name = run.name
        self.structure_interval = structure_interval
        if renderer_factory is None:
            from .dagmodel import default_renderer
            renderer_factory = default_renderer()
        self.graph = renderer_factory()
        self.graph.on_click(self.select)
        if hasattr(self.graph, "on_search"):
            self.graph.on_search(self.search)
        self._lab_graph = None                # the DagRenderer a picture stands in for (see check_frontend)
        self._frontend_check = None
        if hasattr(self.graph, "on_ready"):
            self.graph.on_ready(self._frontend_ready)
        self.picture = G.Picture(run.name)
        self.selected: str | None = None
        self._last_struct = 0.0
        self._struct_deferred = False
        self._rebuild = False
        self._log_size = -1
        self._carry: set[str] = set()               # node updates over the message budget
        self._sent_log: list[tuple[float, int]] = []  # (time, node updates sent) in the window
        self.updates = 0

        self.header = W.HTML()
        self.error = W.HTML()
        self.btn_resume = W.Button(description="Resume", icon="play", button_style="info",
                                   layout=W.Layout(width="auto"))
        self.btn_stop = W.Button(description="Stop", icon="stop", button_style="warning",
                                 layout=W.Layout(width="auto"))
        self.btn_retry = W.Button(description="Retry", icon="redo", button_style="danger",
                                  layout=W.Layout(width="auto"))
        self.btn_resume.on_click(lambda _b: self._control("resume"))
        self.btn_stop.on_click(lambda _b: self._control("stop"))
        self.btn_retry.on_click(lambda _b: self._control("retry"))
        self.find = W.Text(placeholder="find a node (name or phase)", continuous_update=False,
                           layout=W.Layout(width="220px"))
        self.find.add_class("jf-run-find")
        self.find.observe(lambda ch: self.search(ch["new"]), "value")
        self.find_note = W.HTML()
        self._search_box_for(self.graph)
        self.legend = W.HTML(G.legend_html())
        self.panel = NodePanel(self)
        self.graph.widget.layout.flex = "1 1 auto"
        self.body = W.HBox([self.graph.widget, self.panel.box], layout=W.Layout(width="100%"))
        buttons = W.HBox([self.find, self.find_note, self.btn_resume, self.btn_stop, self.btn_retry],
                         layout=W.Layout(align_items="center"))
        self.box = W.VBox([W.HBox([self.header, buttons], layout=W.Layout(justify_content="space-between",
                                                                           align_items="center")),
                           self.error, self.body, self.legend],
                          layout=W.Layout(width="100%"))
        # stable hooks for styling and browser tests
        self.box.add_class("jf-run-widget")
        self.header.add_class("jf-run-header")
        self.graph.widget.add_class("jf-run-graph")
        self.panel.box.add_class("jf-node-panel")
        self.feed = RunFeed(run, self, interval=interval, poll_interval=poll_interval, tick_interval=tick_interval)
        self.feed.on_error = self._show_error
        self.feed.attach(run)

    # -- the feed's state, as the view shows it ---------------------------------------------------------
    @property
    def run(self):
        return self.feed.run

    @property
    def nodes(self) -> dict[str, dict]:
        return self.feed.nodes

    @property
    def info(self) -> dict[str, Any]:
        return self.feed.info

    @property
    def interval(self) -> float:
        return self.feed.interval

    @property
    def flushes(self) -> int:
        return self.feed.flushes

    @property
    def events(self) -> int:
        return self.feed.events

    @property
    def expanded(self) -> set[str]:
        """The groups opened by a click."""
        return set(self.picture.view.opened)

    def close(self) -> None:
        """Stop listening (the displayed widgets stay as they are)."""
        self.feed.close()

    def refresh(self) -> None:
        """Re-read the run (after a re-display, or a retry started elsewhere)."""
        self.feed.refresh()

    def suspended(self) -> bool:
        return self.feed.suspended()

    def _show_error(self, exc: BaseException) -> None:
        self.error.value = f'<span style="color:#c4323e">widget error: {esc(repr(exc))}</span>'

    # -- FeedView: called by the feed's worker, holding feed.lock ---------------------------------------
    def feed_flush(self, changed: set[str], *, rebuild: bool, final: bool) -> None:
        sent = self._sync_graph(changed, rebuild=rebuild, force=final)
        sent |= self._render_header()
        if self.selected in changed:
            self.panel.show(self.nodes.get(self.selected))
            sent = True
        if sent:
            self.updates += 1

    def feed_tick(self) -> None:
        self._render_header()
        self.panel.tail_log()

    def feed_backlog(self) -> float | None:
        due = None
        if self._carry:
            due = 0.0
        if self._struct_deferred:
            due = self._last_struct + self.structure_interval if due is None else due
        return due

    def feed_ticking(self) -> bool:
        node = self.nodes.get(self.selected or "")
        return bool(node) and node.get("phase") in ("Pending", "Running")

    # -- state -> the graph -------------------------------------------------------------------------------
    def _sync_graph(self, changed: set[str], *, rebuild: bool = False, force: bool = False) -> bool:
        pic = self.picture
        targets = None
        if not (rebuild or self._rebuild or self._struct_deferred or not pic.nodes):
            targets = pic.update({nid: self.nodes[nid] for nid in changed if nid in self.nodes})
        else:
            pic.set_nodes(self.nodes)
        if targets is not None:        # phases only: restyle what they touched
            return self._restyle(targets | self._carry) > 0
        els = pic.elements
        drawn = self.graph.node_ids()
        if rebuild or self._rebuild or drawn - set(els.nodes):
            self._rebuild = False
            self._redraw()
            return True
        sent = False
        drawn_edges = self.graph.edge_ids()
        new_nodes = [n for nid, n in els.nodes.items() if nid not in drawn]
        new_edges = [e for eid, e in els.edges.items() if eid not in drawn_edges]
        self._struct_deferred = False
        if new_nodes or new_edges:
            if force or time.monotonic() - self._last_struct >= self.structure_interval:
                self.graph.add(new_nodes, new_edges)
                self._last_struct = time.monotonic()
                sent = True
            else:   # batch: the worker comes back when the structure interval has passed
                self._struct_deferred = True
        return self._restyle((set(els.nodes) & drawn) | self._carry) > 0 or sent

    def _restyle(self, targets: set[str]) -> int:
        els = self.picture.elements
        self._carry = set()
        if getattr(self.graph, "batched", False):      # one message for the whole flush
            return self.graph.update_many(els.nodes[nid] for nid in targets if nid in els.nodes)
        budget = self._message_budget()
        count = 0
        for nid in targets:
            if count >= budget:
                self._carry.add(nid)
                continue
            gnode = els.nodes.get(nid)
            if gnode is not None and self.graph.update(gnode):
                count += 1
        if count:
            self._sent_log.append((time.monotonic(), count))
        return count

    def _message_budget(self) -> int:
        """Node updates this flush may send without the window exceeding MSG_BUDGET."""
        cutoff = time.monotonic() - MSG_WINDOW_S
        log = self._sent_log
        while log and log[0][0] < cutoff:
            log.pop(0)
        return MSG_BUDGET - sum(n for _, n in log)

    def _redraw(self) -> None:
        """Draw the picture whole (nodes went away, a group opened, a node was revealed)."""
        els = self.picture.elements
        self.graph.replace(els.nodes.values(), els.edges.values())
        self._last_struct = time.monotonic()
        self._struct_deferred = False
        self._carry = set()

    def _render_header(self) -> bool:
        from ..render import format_duration
        phase = self.info.get("phase") or "Pending"
        done, suspended = self.feed.tally.progress(), self.suspended()
        shown = "Suspended" if suspended else phase
        colour = G.PHASE_COLOURS.get(shown, "#8fa4b1")
        dur = self.feed.duration()
        message = self.info.get("message") or ""
        value = (f'<div style="font-size:13px"><b>{esc(self.name)}</b> '
                 f'<span style="background:{colour};color:#fff;border-radius:3px;padding:1px 6px">'
                 f'{esc(shown)}</span> '
                 f'<span title="duration">{esc(format_duration(dur, units=2)) if dur is not None else ""}</span> '
                 f'&middot; <span title="progress">{esc(done)}</span>'
                 + (f' &middot; <span style="color:#6d7f8b">{esc(message)}</span>' if message else "")
                 + "</div>")
        sent = False
        if self.header.value != value:
            self.header.value = value
            sent = True
        for btn, show in ((self.btn_resume, suspended),
                          (self.btn_stop, phase in ("Pending", "Running")),
                          (self.btn_retry, phase in ("Failed", "Error"))):
            display = None if show else "none"
            if btn.layout.display != display:
                btn.layout.display = display
                sent = True
        return sent

    # -- user actions -------------------------------------------------------------------------------------
    def select(self, node_id: str | None) -> None:
        """Show ``node_id`` in the side panel (what a click on a node does).

        A click on a group node opens it (``picture.groups``: a page of its members)."""
        with self.feed.lock:
            if self.picture.is_group(node_id):
                self.picture.open(node_id)
                self._redraw()
                return
            old, self.selected = self.selected, node_id
            self.picture.selected = node_id
            self.graph.update_many(self.picture.restyle(dict.fromkeys(i for i in (old, node_id) if i)))
            self._log_size = -1
            self.panel.show(self.nodes.get(node_id) if node_id else None)
        if self.feed.ticking():
            self.feed.wake()

    def search(self, query: str) -> str | None:
        """Find a node by name or phase, open the groups it is in, and focus it; returns its id."""
        query = (query or "").strip()
        if not query:
            return None
        with self.feed.lock:
            nid = self.picture.focus(query)
            if nid is None:
                self.find_note.value = '<span style="color:#6d7f8b;font-size:11px">no match</span>'
                return None
            self.find_note.value = ""
            self._redraw()
            focus = getattr(self.graph, "focus", None)
            if focus is not None:
                focus(nid)
        self.select(nid)
        return nid

    def _control(self, action: str) -> None:
        self.error.value = ""
        try:
            if action == "resume":
                self.run.resume()
            elif action == "stop":
                self.run.stop()
            elif action == "retry":
                new = self.run.retry()
                self.feed.attach(new)
                return
        except Exception as exc:
            self.error.value = f'<span style="color:#c4323e">{esc(str(exc))}</span>'
            return
        if self.feed.polling or self.feed.controller is not None:
            self.feed.wake()

    # -- the page's frontend: the lab extension's graph, or a picture -------------------------------------------
    def check_frontend(self) -> None:
        """After a display: unless a page reports the lab extension's DAG model within
        ``FRONTEND_WAIT_S`` (``DagRenderer.ready``), draw the graph as a picture.

        Why: VS Code, Colab and a JupyterLab running from another environment than the kernel
        have no jupyter-flow extension and would show "model not found" where the graph belongs.
        The kernel cannot ask the page what it has; a page with the extension says so when it
        creates the model. Runs on the kernel's event loop (so it never races the page's message
        while a cell runs); without a running loop (no kernel) nothing is checked.
        """
        import asyncio
        if self._frontend_check is not None or not getattr(self.graph, "awaits_frontend", False):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._arm_frontend_check(loop)

    def _arm_frontend_check(self, loop) -> None:
        due = loop.time() + FRONTEND_WAIT_S
        self._frontend_check = loop.call_later(FRONTEND_WAIT_S, self._frontend_due, loop, due)

    def _frontend_due(self, loop, due: float) -> None:
        self._frontend_check = None
        if self.feed.closed or not getattr(self.graph, "awaits_frontend", False):
            return
        if loop.time() - due > FRONTEND_LATE_S:   # the kernel was busy: the answer may be queued
            self._arm_frontend_check(loop)
            return
        from .svg import SvgRenderer
        self._lab_graph = self.graph
        self.use_renderer(SvgRenderer())

    def _frontend_ready(self) -> None:
        """A page created the DAG model: if a picture stands in for it, draw with the model again."""
        if self._lab_graph is not None:
            lab, self._lab_graph = self._lab_graph, None
            self._show(lab)          # its clicks are wired already

    def use_renderer(self, renderer) -> None:
        """Draw the graph with a new ``renderer`` from now on, in place of the current one."""
        renderer.on_click(self.select)
        if hasattr(renderer, "on_search"):
            renderer.on_search(self.search)
        self._show(renderer)

    def _search_box_for(self, renderer) -> None:
        """The page's graph has its own search box (``dagwidget.ts``); a picture or ipycytoscape
        gets this one."""
        self.find.layout.display = "none" if hasattr(renderer, "on_search") else None

    def _show(self, renderer) -> None:
        with self.feed.lock:
            self._search_box_for(renderer)
            self.graph = renderer
            renderer.widget.layout.flex = "1 1 auto"
            renderer.widget.add_class("jf-run-graph")
            self._sync_graph(set(self.nodes), rebuild=True)
            self.body.children = (renderer.widget, self.panel.box)

    # -- display ----------------------------------------------------------------------------------------------
    def _repr_mimebundle_(self, include=None, exclude=None):
        self.check_frontend()
        return self.box._repr_mimebundle_(include=include, exclude=exclude)


class NodePanel:
    """The side panel: a node's template, phase, times, inputs, outputs (with previews) and log."""

    def __init__(self, owner: RunWidget):
        self.owner = owner
        self.node: dict | None = None
        self.title = W.HTML()
        self.info = W.HTML()
        self.outputs = W.VBox()
        self.log_title = W.HTML()
        self.log = W.HTML()
        self.download = W.HTML()
        self.btn_download = W.Button(description="Full log", icon="download", layout=W.Layout(width="auto"))
        self.btn_download.on_click(lambda _b: self.prepare_download())
        self.btn_close = W.Button(description="", icon="times", layout=W.Layout(width="32px"),
                                  tooltip="close")
        self.btn_close.on_click(lambda _b: owner.select(None))
        self.btn_debug = W.Button(description="Debug in notebook", icon="bug", layout=W.Layout(width="auto"),
                                  tooltip="a new cell below that reproduces this step in the kernel")
        self.btn_debug.on_click(lambda _b: self.debug())
        self.debug_out = W.HTML()
        self.box = W.VBox([W.HBox([self.title, self.btn_close], layout=W.Layout(justify_content="space-between")),
                           self.info, W.HBox([self.btn_debug]), self.debug_out, self.outputs, self.log_title, self.log,
                           W.HBox([self.btn_download, self.download])],
                          layout=W.Layout(flex="0 0 40%", width="40%", padding="0 0 0 8px",
                                          overflow="auto", max_height="640px", display="none"))
        self._artifact_key: tuple | None = None
        self._debugged: dict | None = None

    def debug(self) -> None:
        """"Debug in notebook": the node's reproduction (``jupyter_flow.debug``) becomes a new cell
        below this output (the lab extension inserts it); without the extension, shown to copy."""
        from ..debugcell import debug
        from ..errors import JupyterFlowError
        node = self._debugged = self.node
        if node is None:
            return
        try:
            code = debug(self.owner.run, node["id"])
        except JupyterFlowError as exc:
            self.debug_out.value = f"<i>{esc(str(exc))}</i>"
            return
        insert = getattr(self.owner.graph, "insert_cell", None)
        if insert is not None and insert(code):
            self.debug_out.value = "<i>a cell that reproduces this step was inserted below</i>"
        else:
            self.debug_out.value = "<b>debug</b> (copy into a cell)" + P.pre(code)

    def show(self, node: dict | None) -> None:
        self.node = node
        if node is None:
            self.box.layout.display = "none"
            return
        self.box.layout.display = None
        if node.get("id") != (self._debugged or {}).get("id"):
            self.debug_out.value = ""
        self.btn_debug.layout.display = None if node.get("type") == "Pod" else "none"
        self.title.value = (f'<b>{esc(str(node.get("displayName") or node.get("name") or ""))}</b> '
                            f'<span style="color:#6d7f8b">{esc(str(node.get("type", "")))}</span>')
        rows = [("template", node.get("templateName") or ""), ("phase", G.display_phase(node)),
                ("message", node.get("message") or ""), ("started", node.get("startedAt") or ""),
                ("finished", node.get("finishedAt") or ""), ("id", node.get("id") or "")]
        if node.get("estimatedDuration") is not None:
            rows.insert(5, ("duration", f'{node["estimatedDuration"]}s'))
        html_parts = [P.table([r for r in rows if r[1] != ""])]
        inputs = node.get("inputs") or {}
        if inputs.get("parameters"):
            html_parts.append("<b>inputs</b>" + P.table(P.params_rows(inputs["parameters"])))
        if inputs.get("artifacts"):
            html_parts.append("<b>input artifacts</b>" + P.table(
                [(a.get("name", ""), a.get("path", "")) for a in inputs["artifacts"]]))
        outputs = node.get("outputs") or {}
        # the exit code is what the step gave back: under "outputs", with its output parameters
        out_rows = [("exit code", outputs["exitCode"])] if outputs.get("exitCode") not in (None, "") else []
        out_rows += P.params_rows(outputs.get("parameters"))
        if out_rows:
            html_parts.append("<b>outputs</b>" + P.table(out_rows))
        if outputs.get("result") not in (None, ""):
            result = str(outputs["result"])
            html_parts.append("<b>result</b>" + P.pre(result[:P.TEXT_PREVIEW] +
                                                      ("\n\u2026" if len(result) > P.TEXT_PREVIEW else "")))
        metric_rows = node_metric_rows(self.owner.run, node.get("id"))
        if metric_rows:   # the template's metrics.prometheus emissions of this node (escaped by P.table)
            html_parts.append("<b>metrics</b>" + P.table(metric_rows))
        self.info.value = "".join(html_parts)
        self._show_artifacts(node, outputs.get("artifacts") or [])
        self.log_title.value = "<b>log</b>" if node.get("type") == "Pod" else ""
        self.tail_log(force=True)

    def _show_artifacts(self, node: dict, arts: list) -> None:
        key = (node.get("id"), node.get("phase"), tuple((a.get("name"), str(a.get("local"))) for a in arts))
        if key == self._artifact_key:
            return
        self._artifact_key = key
        children: list = []
        store = self.owner.run.store
        for art in arts:
            name = str(art.get("name", ""))
            path = P.artifact_path(store, self.owner.name, art)
            head = W.HTML(f"<b>artifact {esc(name)}</b> <span style='color:#6d7f8b'>{esc(str(art.get('path', '')))}"
                          "</span>")
            children.append(head)
            if path is None:
                where = [k for k in art if k not in ("name", "path", "archive", "globalName", "mode")]
                children.append(W.HTML(f"<i>stored in {esc(', '.join(where) or 'nowhere')}</i>"))
                continue
            children.append(preview_widget(path, str(art.get("path") or "")))
        self.outputs.children = tuple(children)

    def tail_log(self, force: bool = False) -> None:
        node = self.node
        if node is None or node.get("type") != "Pod":
            if self.log.value:
                self.log.value = ""
            self.btn_download.layout.display = "none"
            return
        self.btn_download.layout.display = None
        path = self.owner.run.store.log_path(self.owner.name, node["id"])
        try:
            size = path.stat().st_size
        except OSError:
            size = 0
        if not force and size == self.owner._log_size:
            return
        self.owner._log_size = size
        text, _ = P.tail(path)
        value = P.pre(text or "(no output yet)" if node.get("phase") in ("Pending", "Running") else text or "(empty)",
                      max_height="300px")
        if self.log.value != value:
            self.log.value = value
        if force:
            self.download.value = ""

    def prepare_download(self) -> None:
        node = self.node
        if node is None:
            return
        path = self.owner.run.store.log_path(self.owner.name, node["id"])
        self.download.value = P.download_link(path, f"{self.owner.name}-{node.get('displayName', node['id'])}.log")


def node_metric_rows(run, node_id: str | None, limit: int = 50) -> list[tuple[str, str]]:
    """(``name{label="value",...}``, value) of the custom metrics ``node_id`` emitted, the first
    ``limit``; plain text, escaped where it is shown."""
    try:
        metrics = [m for m in run.metrics if node_id and m.get("node") == node_id]
    except Exception:   # a run deleted meanwhile: no metrics to show
        return []
    rows = []
    for m in metrics[:limit]:
        labels = ",".join(f'{k}="{v}"' for k, v in sorted((m.get("labels") or {}).items()))
        rows.append((f"{m.get('name')}{{{labels}}}" if labels else str(m.get("name")), f"{m.get('value'):g}"))
    if len(metrics) > limit:
        rows.append(("\u2026", f"{len(metrics) - limit} more"))
    return rows


def preview_widget(path, declared: str = ""):
    """A widget previewing one stored artifact. A raster image (checked by its magic bytes) is an
    ``Image``; everything else is inert HTML from ``preview.preview_html`` (sanitised, SVG only as an
    ``<img>`` source, notebooks as static outputs): never an ``Output`` widget, whose output area
    JupyterLab creates trusted, so an artifact's HTML or JavaScript output would run in the page."""
    if P.kind_of(path, declared) == "image" and path.stat().st_size <= P.MAX_IMAGE_BYTES:
        return W.Image(value=path.read_bytes(), format=P.image_format(path), layout=W.Layout(max_width="100%"))
    return W.HTML(P.preview_html(path, declared))
