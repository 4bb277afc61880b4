"""The live widget of a sweep: progress, a table of its runs, and the DAG of the run picked.

A progress bar and a header (experiment, phase, finished/all), an HTML table with one row a run
(its parameters, phase, duration and metrics; every string escaped: names, values and messages
come from workflows and steps and are hostile), a list of the runs to click (ipywidgets' HTML
has no click events of its own, so the rows are clicked in that list, in the same order), and
below it the picked run's own live widget (``display.widget_for``: the DAG, its node panel).

Updates come from a worker thread that reads the experiment's runs from the store (one indexed
query) at most every ``interval`` seconds while the sweep runs, woken early by the in-process
scheduler each time a run starts or ends; it stops when every run has ended, after drawing the
final state. A sweep scheduled by another process is followed the same way.
"""
from __future__ import annotations

import html
import threading
import time
from typing import Any

import ipywidgets as W

from ..phases import FINISHED

MAX_ROWS = 500          # rows drawn in the table; the frame (``to_frame``) has all of them
COLORS = {"Succeeded": "#18be94", "Failed": "#e96d76", "Error": "#e96d76", "Running": "#0dadea",
          "Pending": "#8d99a6"}
_widgets: dict[tuple[str, str], "ExperimentWidget"] = {}
_lock = threading.Lock()


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{seconds:.1f}s"
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s"


def table_html(rows: list[dict], *, limit: int = MAX_ROWS) -> str:
    """The runs table: name, phase, duration, then the param.* and metric.* columns."""
    extra: dict[str, None] = {}
    for row in rows:
        for k in row:
            if k.startswith(("param.", "metric.")):
                extra.setdefault(k, None)
    cols = list(extra)
    head = "".join(f"<th style='text-align:left;padding:2px 8px'>{esc(c)}</th>"
                   for c in ["#", "run", "phase", "duration", *cols])
    body = []
    for i, row in enumerate(rows[:limit]):
        phase = str(row.get("phase") or "")
        color = COLORS.get(phase, "#8d99a6")
        cells = [str(i + 1), esc(row.get("name")),
                 f"<span style='color:{color}'>&#9679;</span> {esc(phase)}", esc(_duration(row.get("duration")))]
        cells += [esc(row.get(c)) for c in cols]
        body.append("<tr>" + "".join(f"<td style='padding:2px 8px'>{c}</td>" for c in cells) + "</tr>")
    more = (f"<div style='color:#8d99a6'>&#8230; {len(rows) - limit:,} more runs (the experiment's "
            f"<code>to_frame()</code> has all of them)</div>" if len(rows) > limit else "")
    return ("<div style='max-height:320px;overflow:auto'><table class='jf-experiment-table' "
            "style='border-collapse:collapse;font-size:12px'>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>{more}")


class ExperimentWidget:
    """A live view of one ``Experiment``; ``.box`` is the ipywidgets container to display."""

    def __init__(self, experiment, *, interval: float = 0.5, min_gap: float = 0.2):
        self.experiment = experiment
        self.interval = interval
        self.min_gap = min_gap
        self.header = W.HTML()
        self.bar = W.IntProgress(min=0, max=1, value=0, layout=W.Layout(width="100%"))
        self.table = W.HTML()
        self.picker = W.Select(options=[], rows=6, description="open run", layout=W.Layout(width="100%"))
        self.btn_stop = W.Button(description="Stop", icon="stop", button_style="warning",
                                 layout=W.Layout(width="auto"))
        self.detail = W.VBox([])
        self.box = W.VBox([W.HBox([self.header, self.btn_stop], layout=W.Layout(
            justify_content="space-between", align_items="center")), self.bar, self.table, self.picker,
            self.detail], layout=W.Layout(width="100%"))
        self.box.add_class("jf-experiment-widget")
        self.table.add_class("jf-experiment-table")
        self.picker.observe(self._picked, names="value")
        self.btn_stop.on_click(lambda _b: self.stop())
        self.opened: str | None = None
        self.refreshes = 0
        self._signature: tuple = ()
        self._wake = threading.Event()
        self._closed = False
        self._wlock = threading.RLock()
        self._worker: threading.Thread | None = None
        sched = getattr(experiment, "_scheduler", None)
        if sched is not None:
            sched.listeners.append(lambda _name, _what: self._wake.set())
        self.refresh()
        self._start()

    # -- updates -------------------------------------------------------------------------------
    def _start(self) -> None:
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._work, name="jupyter-flow-experiment-widget", daemon=True)
            self._worker.start()

    def _work(self) -> None:
        while not self._closed:
            self._wake.wait(self.interval)
            self._wake.clear()
            time.sleep(self.min_gap)   # a burst of ends is drawn once
            try:
                finished = self.refresh()
            except Exception as exc:   # the store went away (deleted runs): say so, stop following
                self.header.value = f"<b>{esc(self.experiment.name)}</b>: {esc(exc)}"
                return
            if finished:
                return

    def refresh(self) -> bool:
        """Read the runs and redraw what changed; True once every run has ended."""
        with self._wlock:
            runs = self.experiment.runs
            rows = runs.rows()
            phases = [r["phase"] for r in rows]
            done = sum(p in FINISHED for p in phases)
            total = len(rows)
            phase = self.experiment.phase
            self.bar.max = max(total, 1)
            self.bar.value = done
            self.bar.bar_style = ("success" if phase == "Succeeded" else "danger" if phase in ("Failed", "Error")
                                  else "info")
            counts = {p: phases.count(p) for p in ("Running", "Succeeded", "Failed", "Error") if p in phases}
            self.header.value = (f"<b>{esc(self.experiment.name)}</b> &nbsp; "
                                 f"<span style='color:{COLORS.get(phase, '#8d99a6')}'>{esc(phase)}</span> &nbsp; "
                                 f"{done}/{total} runs" + "".join(f" &middot; {n} {esc(p)}" for p, n in counts.items()))
            signature = tuple((r["name"], r["phase"], round(r["duration"] or 0, 1)) for r in rows)
            if signature != self._signature:
                self._signature = signature
                self.table.value = table_html(rows)
                options = [(self._label(i, r), r["name"]) for i, r in enumerate(rows[:MAX_ROWS])]
                if [o[1] for o in options] != [o[1] for o in self.picker.options] or \
                        [o[0] for o in options] != [o[0] for o in self.picker.options]:
                    self.picker.unobserve(self._picked, names="value")
                    try:
                        self.picker.options = options
                        self.picker.value = self.opened if self.opened in runs.names[:MAX_ROWS] else None
                    finally:
                        self.picker.observe(self._picked, names="value")
            self.btn_stop.disabled = phase in FINISHED
            self.refreshes += 1
            return phase in FINISHED

    @staticmethod
    def _label(i: int, row: dict) -> str:
        params = " ".join(f"{k[6:]}={row[k]}" for k in row if k.startswith("param."))
        return f"{i + 1}. {row['name']}  {row['phase']}  {params}"[:200]

    # -- clicks --------------------------------------------------------------------------------
    def _picked(self, change: dict) -> None:
        if change.get("new"):
            self.open(change["new"])

    def open(self, run_name: str) -> None:
        """Show ``run_name``'s live widget (its DAG) below the table."""
        from ..api import Run
        from .display import widget_for
        if run_name not in self.experiment.runs.names:
            raise KeyError(f"{run_name!r} is not a run of experiment {self.experiment.name!r}")
        run = Run(run_name, store=self.experiment._store)
        w = widget_for(run)
        w.check_frontend()
        self.opened = run_name
        self.detail.children = (w.box,)

    def stop(self) -> None:
        self.experiment.stop()
        self._wake.set()
        self._start()

    def close(self) -> None:
        self._closed = True
        self._wake.set()
        self.box.close()


def widget_for(experiment) -> ExperimentWidget:
    """The (shared) live widget of ``experiment``: a re-display shows the same one."""
    key = (str(experiment._store.home), experiment.name)
    with _lock:
        w = _widgets.get(key)
        if w is not None and not w._closed:
            if getattr(experiment, "_scheduler", None) is not None and w.experiment._scheduler is None:
                w.experiment = experiment
            w._wake.set()
            w._start()
            return w
        w = _widgets[key] = ExperimentWidget(experiment)
        return w
