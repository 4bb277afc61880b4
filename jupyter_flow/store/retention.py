"""Retention: what Argo's controller deletes, done over the local store, and a store-wide budget.

* ``spec.ttlStrategy`` (Argo's TTL controller, ``Workflow.GetTTL``): a finished run is deleted
  ``secondsAfterSuccess`` after it Succeeded, ``secondsAfterFailure`` after it Failed or Errored, else
  ``secondsAfterCompletion`` after it finished. A negative TTL counts as 0 (Argo adds it to the finish
  time, so it is already due); a value that is not a number deletes nothing.
* ``spec.podGC`` (``strategy`` OnPodCompletion / OnPodSuccess / OnWorkflowCompletion /
  OnWorkflowSuccess, ``deleteDelayDuration``, ``labelSelector``): locally a "pod" is what a Pod node
  leaves on disk, its sandbox roots ``runs/<run>/nodes/<id>`` (and ``<id>.pod``, its init containers' and
  sidecars' roots). Those are deleted; the node's row, its log (``logs/``) and its output artifacts
  (``artifacts/``) stay, as Argo keeps a deleted pod's node and its artifacts in the repository. A
  running run's sandboxes are never touched: pods are collected when the run has ended (the per-pod
  strategies then pick which pods), at the earliest sweep after ``deleteDelayDuration``.
* ``keep: {runs: N, days: D}`` in ``config.yaml``: at most N finished runs are kept (the ones that
  finished last) and none that finished more than D days ago.

A run that has not finished (Pending, Running) is never deleted and its sandboxes never collected.
Sweeps are cheap: partial indexes hold only the runs that declare a ``ttlStrategy``/``podGC``, runs
whose pods were collected are remembered (``podgc_done``), and the ``keep`` query reads no JSON.
They run when an engine ends a run, on ``jupyter-flow list`` and every minute in the servers.
"""
from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from typing import Any

from ..phases import FAILED_OR_ERROR, FULFILLED, SUCCEEDED
from ..phases import FINISHED as _FINISHED

FINISHED = tuple(sorted(_FINISHED))   # bound into SQL as parameters
POD_STRATEGIES = ("OnPodCompletion", "OnPodSuccess", "OnWorkflowCompletion", "OnWorkflowSuccess")
_MAX_SECONDS = 1e12   # ~31,700 years: a larger TTL or delay is "never" (and no float overflows)

SCHEMA = """
CREATE INDEX IF NOT EXISTS runs_ttl ON runs(finished_at) WHERE json_type(workflow, '$.spec.ttlStrategy') IS NOT NULL;
CREATE INDEX IF NOT EXISTS runs_podgc ON runs(finished_at) WHERE json_type(workflow, '$.spec.podGC') IS NOT NULL;
CREATE TABLE IF NOT EXISTS podgc_done (run TEXT PRIMARY KEY, at REAL NOT NULL) WITHOUT ROWID;
"""


@dataclass
class Swept:
    """What one sweep did: runs deleted (by TTL, by ``keep``) and pods whose sandboxes were removed."""
    ttl: list[str] = field(default_factory=list)
    kept_out: list[str] = field(default_factory=list)
    pods: dict[str, list[str]] = field(default_factory=dict)


def _seconds(value: Any) -> float | None:
    """A TTL as seconds: an int (or an integral string, as YAML may give), negative as 0, huge as
    ``_MAX_SECONDS``; None for anything else (bools, floats with a fraction, text, maps)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            return None
    if isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            return None if math.isnan(value) else (_MAX_SECONDS if value > 0 else 0.0)
        value = int(value)
    if not isinstance(value, int):
        return None
    return float(min(max(value, 0), _MAX_SECONDS))


_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_GO_DURATION = re.compile(r"([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+")
_GO_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def go_duration(text: str) -> float:
    """Go's ``time.ParseDuration`` (``deleteDelayDuration``: ``30s``, ``1h30m``, ``500ms``, ``0``) in
    seconds; ValueError for anything else."""
    text = text.strip()
    if text in ("0", "+0", "-0"):
        return 0.0
    m = _GO_DURATION.fullmatch(text)
    if m is None:
        raise ValueError(f"invalid duration {text!r}")
    total = sum(float(n) * _GO_UNITS[u] for n, u in _GO_PART.findall(text))
    return -total if m.group(1) == "-" else total


def ttl_seconds(ttl: Any, phase: str) -> float | None:
    """Argo's ``GetTTL``: the TTL that applies to a run that ended in ``phase``, None for none."""
    if not isinstance(ttl, dict) or phase not in FINISHED:
        return None
    if phase == SUCCEEDED and ttl.get("secondsAfterSuccess") is not None:
        return _seconds(ttl.get("secondsAfterSuccess"))
    if phase in FAILED_OR_ERROR and ttl.get("secondsAfterFailure") is not None:
        return _seconds(ttl.get("secondsAfterFailure"))
    if ttl.get("secondsAfterCompletion") is not None:
        return _seconds(ttl.get("secondsAfterCompletion"))
    return None


def ensure_schema(store) -> None:
    """The partial indexes and the ``podgc_done`` table (once per store object)."""
    if getattr(store, "_retention_schema", False):
        return
    with store._lock:
        store._conn.executescript(SCHEMA)
    store._retention_schema = True


def expire_ttl(store, now: float, *, skip: str | None = None) -> list[str]:
    """Delete every finished run whose ``ttlStrategy`` has run out (but ``skip``); their names."""
    import json
    ensure_schema(store)
    marks = ",".join("?" * len(FINISHED))
    rows = store._read("SELECT name, phase, finished_at, json_extract(workflow, '$.spec.ttlStrategy')"
                       " FROM runs INDEXED BY runs_ttl"
                       f" WHERE json_type(workflow, '$.spec.ttlStrategy') IS NOT NULL AND phase IN ({marks})",
                       FINISHED)
    gone = []
    for name, phase, finished_at, ttl in rows:
        if name == skip:
            continue
        try:
            seconds = ttl_seconds(json.loads(ttl) if ttl else None, phase)
        except ValueError:
            continue
        if seconds is None or finished_at is None or finished_at + seconds > now:
            continue
        if _delete_finished(store, name):
            gone.append(name)
    return gone


def _delete_finished(store, name: str) -> bool:
    """Delete ``name`` only if it is still finished when the delete's transaction runs (an engine may
    have taken it back since the sweep's query, as ``retry`` does) and no engine of this process holds it."""
    import sys
    controller = sys.modules.get("jupyter_flow.engine.controller")
    if controller is not None and name in controller.live:
        return False
    if not store.delete_run(name, if_phase=FINISHED):
        return False
    store._write(lambda c: c.execute("DELETE FROM podgc_done WHERE run=?", (name,)))
    return True


def keep_budget(store, now: float, runs: int | None, days: float | None, *, skip: str | None = None) -> list[str]:
    """Delete the finished runs beyond the newest ``runs`` and those finished over ``days`` ago (but ``skip``)."""
    marks = ",".join("?" * len(FINISHED))
    names: list[str] = []
    if runs is not None:
        names += [r[0] for r in store._read(
            f"SELECT name FROM runs WHERE phase IN ({marks}) ORDER BY coalesce(finished_at, created_at) DESC,"
            " rowid DESC LIMIT -1 OFFSET ?", (*FINISHED, min(int(runs), 1 << 62)))]   # SQLite's integers
    if days is not None:
        names += [r[0] for r in store._read(
            f"SELECT name FROM runs WHERE phase IN ({marks}) AND coalesce(finished_at, created_at) < ?",
            (*FINISHED, now - days * 86400.0))]
    names = [n for n in names if n != skip]
    gone = []
    for name in dict.fromkeys(names):
        if _delete_finished(store, name):
            gone.append(name)
    return gone


# -- podGC --------------------------------------------------------------------------------------

def _selector_matches(selector: Any, labels: dict[str, str]) -> bool:
    """A Kubernetes ``LabelSelector`` (``matchLabels``, ``matchExpressions`` In/NotIn/Exists/
    DoesNotExist) against ``labels``; an empty selector matches everything, a malformed one nothing."""
    if selector is None:
        return True
    if not isinstance(selector, dict):
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != str(value):
            return False
    for expr in selector.get("matchExpressions") or []:
        if not isinstance(expr, dict):
            return False
        key, op, values = expr.get("key"), expr.get("operator"), [str(v) for v in expr.get("values") or []]
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            return False
    return True


def _templates(workflow: dict) -> dict[str, dict]:
    spec = workflow.get("spec") if isinstance(workflow.get("spec"), dict) else {}
    return {t.get("name"): t for t in spec.get("templates") or [] if isinstance(t, dict)}


def _pod_labels(workflow: dict, node: dict, template: dict | None) -> dict[str, str]:
    """The labels Argo puts on a step's pod: the template's ``metadata.labels``, the workflow's
    ``podMetadata`` labels and ``workflows.argoproj.io/workflow``, ``.../completed``."""
    labels: dict[str, str] = {}
    spec = workflow.get("spec") if isinstance(workflow.get("spec"), dict) else {}
    for meta in (spec.get("podMetadata"), (template or {}).get("metadata")):
        if isinstance(meta, dict) and isinstance(meta.get("labels"), dict):
            labels.update({str(k): str(v) for k, v in meta["labels"].items()})
    labels["workflows.argoproj.io/workflow"] = str((workflow.get("metadata") or {}).get("name") or "")
    labels["workflows.argoproj.io/completed"] = "true"
    return labels


def pod_dirs(store, run: str, node: dict, template: dict | None) -> list:
    """Every directory the node's pod left under ``runs/<run>/nodes/`` (its root, a container set's
    ``<id>.pod``, its init containers' and sidecars' roots), as paths inside that folder."""
    from .paths import component
    root = store.run_dir(run) / "nodes"
    nid = str(node.get("id") or "")
    if not nid:
        return []
    names = [nid, nid + ".pod"]
    for key, fmt in (("initContainers", "{id}-init-{name}"), ("sidecars", "{id}-{name}")):
        for c in (template or {}).get(key) or []:
            if isinstance(c, dict) and isinstance(c.get("name"), str) and c["name"]:
                names.append(fmt.format(id=nid, name=c["name"]))
    return [root / component(n) for n in names]


def collect_pods(store, run: str, now: float) -> list[str] | None:
    """Apply ``spec.podGC`` to the ended run ``run``: the ids of the pods whose sandboxes were removed;
    None when nothing is due yet (a delay still running) so a later sweep comes back."""
    from .paths import remove_tree
    rec = store.get_run(run, with_nodes=False)
    if rec is None or rec.phase not in FINISHED:
        return None
    gc = (rec.workflow.get("spec") or {}).get("podGC")
    strategy = gc.get("strategy") if isinstance(gc, dict) else None
    if strategy not in POD_STRATEGIES:
        return []   # unset or unknown: Argo deletes no pod
    delay = 0.0
    if gc.get("deleteDelayDuration") not in (None, ""):
        try:
            delay = min(max(go_duration(str(gc["deleteDelayDuration"])), 0.0), _MAX_SECONDS)
        except ValueError:
            return []   # a delay that is not a duration: delete nothing (the lint says why)
    if (rec.finished_at or now) + delay > now:
        return None
    if strategy == "OnWorkflowSuccess" and rec.phase != "Succeeded":
        return []
    templates = _templates(rec.workflow)
    root = store.run_dir(run) / "nodes"
    if root.is_symlink() or root.parent.is_symlink() or not root.is_dir():
        return []   # a link in place of the run's folders: its pods are not there, and never follow it
    from .db import _loads_json
    done = []
    for node_id, text in store.iter_node_rows(run):
        try:
            node = _loads_json(text)
        except ValueError:
            continue
        if not isinstance(node, dict) or node.get("type") != "Pod":
            continue
        phase = node.get("phase")
        if strategy == "OnPodSuccess" and phase != "Succeeded":
            continue
        if phase not in FULFILLED:
            continue
        template = templates.get(node.get("templateName"))
        if not _selector_matches(gc.get("labelSelector"), _pod_labels(rec.workflow, node, template)):
            continue
        removed = False
        for path in pod_dirs(store, run, node, template):
            if path.exists() or path.is_symlink():
                remove_tree(root, path)
                removed = True
        if removed:
            done.append(node_id)
    return done


def collect_due_pods(store, now: float) -> dict[str, list[str]]:
    """``collect_pods`` over every ended run with a ``podGC`` not collected yet."""
    ensure_schema(store)
    marks = ",".join("?" * len(FINISHED))
    rows = store._read("SELECT name FROM runs INDEXED BY runs_podgc WHERE json_type(workflow, '$.spec.podGC') IS NOT NULL"
                       f" AND phase IN ({marks}) AND NOT EXISTS (SELECT 1 FROM podgc_done d WHERE d.run = runs.name"
                       " AND d.at >= coalesce(runs.finished_at, 0))", FINISHED)
    out: dict[str, list[str]] = {}
    for (name,) in rows:
        got = collect_pods(store, name, now)
        if got is None:
            continue   # not due yet
        store._write(lambda c, n=name: c.execute("INSERT OR REPLACE INTO podgc_done(run, at) VALUES (?, ?)",
                                                 (n, now)))
        if got:
            out[name] = got
    return out


def sweep(store, *, now: float | None = None, keep: tuple[int | None, float | None] | None = None,
          skip: str | None = None) -> Swept:
    """One pass of every rule (``keep`` defaults to ``config.yaml``'s; ``skip``: a run no rule deletes
    in this pass). Never raises for a bad workflow value: it deletes nothing on its account."""
    from .. import config
    now = time.time() if now is None else now
    out = Swept()
    out.pods = collect_due_pods(store, now)
    out.ttl = expire_ttl(store, now, skip=skip)
    runs, days = keep if keep is not None else config.keep()
    if runs is not None or days is not None:
        out.kept_out = keep_budget(store, now, runs, days, skip=skip)
    return out


def after_run(store, name: str) -> Swept | None:
    """What an engine does once its run ``name`` has ended: a sweep that collects the run's pods when
    due and leaves the run itself to the next sweep (its TTL, even 0, and ``keep``), so a
    ``submit --wait`` still reads the result it waited for. Errors are reported, never raised."""
    try:
        return sweep(store, skip=name)
    except Exception as exc:  # retention must never break a run's ending
        import sys
        print(f"jupyter-flow: retention sweep failed: {exc}", file=sys.stderr)
        return None


_last: dict[str, float] = {}


def sweep_now_and_then(store, every: float = 60.0) -> Swept | None:
    """``sweep`` at most once per ``every`` seconds per store in this process (a ``list`` or a
    server's periodic callback); errors reported, never raised."""
    key = str(store.path)
    now = time.time()
    if now - _last.get(key, 0.0) < every:
        return None
    _last[key] = now
    try:
        return sweep(store, now=now)
    except Exception as exc:
        import sys
        print(f"jupyter-flow: retention sweep failed: {exc}", file=sys.stderr)
        return None


def start_thread(store, every: float = 60.0):
    """Sweep ``store`` every ``every`` seconds on a daemon thread (the servers); returns the Event
    that stops it."""
    import threading
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every):
            try:
                sweep(store)
            except Exception as exc:
                import sys
                print(f"jupyter-flow: retention sweep failed: {exc}", file=sys.stderr)
    threading.Thread(target=loop, name="jupyter-flow-retention", daemon=True).start()
    return stop
