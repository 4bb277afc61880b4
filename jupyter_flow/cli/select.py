"""Which runs ``list`` and ``delete`` pick: phases, --running/--completed, --prefix, --since,
--older, --resubmitted and a label selector, as argo's flags mean them."""
from __future__ import annotations

import sys
import time

from .args import labels_match
from .output import FINISHED

PHASES = ("Pending", "Running", "Succeeded", "Failed", "Error")


def wanted_phases(text: str | None, verb: str) -> set[str] | None:
    """``--status Failed,error`` -> {"Failed", "Error"}; None (after saying why) for an unknown phase."""
    wanted = [p.strip() for p in (text or "").split(",") if p.strip()]
    unknown = [p for p in wanted if p.capitalize() not in PHASES]
    if unknown:
        print(f"{verb} --status: unknown phase {', '.join(unknown)}; phases: {', '.join(PHASES)}", file=sys.stderr)
        return None
    return {p.capitalize() for p in wanted}


# what ``argo list`` prints of a run, picked out of its stored Workflow inside SQLite (one JSON parse
# per row there, none in Python): 10,000 runs list in a fraction of the time decoding them took
_LIST_COLS = ("name, namespace, phase, message, created_at, finished_at, status,"
              " json_extract(workflow, '$.metadata.creationTimestamp', '$.spec.priority', '$.spec.shutdown',"
              " '$.spec.suspend'), json_extract(workflow, '$.metadata.labels')")


class ListedRun:
    """One run as ``list`` shows it: its row and a few fields of its Workflow, never its nodes."""

    __slots__ = ("name", "namespace", "phase", "message", "created_at", "finished_at", "_status", "_picked",
                 "_labels", "parameters")

    def __init__(self, row: tuple):
        (self.name, self.namespace, self.phase, self.message, self.created_at, self.finished_at, self._status,
         self._picked, self._labels) = row
        self.parameters = None

    @property
    def labels(self) -> dict:
        if isinstance(self._labels, str):
            import json
            self._labels = json.loads(self._labels)
        return self._labels if isinstance(self._labels, dict) else {}

    def to_dict(self, nodes: dict | None = None) -> dict:
        """The Workflow skeleton ``render_list`` reads (``status.nodes`` only if given)."""
        from ..store.db import _loads_json
        created, priority, shutdown, suspend = _loads_json(self._picked)
        status = _loads_json(self._status or "{}")
        status["phase"] = self.phase
        if self.message:
            status["message"] = self.message
        if nodes is not None:
            status["nodes"] = nodes
        spec = {k: v for k, v in (("priority", priority), ("shutdown", shutdown), ("suspend", suspend))
                if v is not None}
        if self.parameters is not None:
            spec["arguments"] = {"parameters": self.parameters}
        meta = {"name": self.name, "namespace": self.namespace}
        if created is not None:
            meta["creationTimestamp"] = created
        return {"metadata": meta, "spec": spec, "status": status}


def select_records(a, wanted: set[str]) -> list[ListedRun]:
    """The stored runs that ``list``/``delete``'s filters pick (phases, --running/--completed,
    --prefix, --since, --older, -l, --resubmitted), newest first, as :class:`ListedRun` rows: one
    query, the phase/prefix/since filters inside SQLite; a run whose engine died is reconciled first
    (only the runs an engine may still own are checked)."""
    from .. import api
    from ..api import PREVIOUS_WORKFLOW
    from ..store import open_store, runquery
    store = open_store()
    for name, _pid, _backend in runquery.active_rows(store):
        rec = store.get_run(name, with_nodes=False)
        if rec is not None:
            api.reconcile_orphan(store, rec)
    now = time.time()
    since, older = getattr(a, "since", None), getattr(a, "older", None)
    phases = set(wanted or PHASES)
    if getattr(a, "running", False):
        phases -= set(FINISHED)
    if a.completed:
        phases &= set(FINISHED)
    flt = runquery.RunFilter(phases=tuple(sorted(phases)) if phases != set(PHASES) else (),
                             prefix=a.prefix or "", since=None if since is None else now - since)
    where, args = flt.where()
    if phases == set() and not flt.phases:
        return []
    rows = store._read(f"SELECT {_LIST_COLS} FROM runs{where} ORDER BY created_at DESC, rowid DESC", tuple(args))
    out = []
    for row in rows:
        run = ListedRun(row)
        if a.prefix and not run.name.startswith(a.prefix):   # SQLite compares bytes; a name is text
            continue
        if older is not None and (run.finished_at is None or run.finished_at > now - older):
            continue
        if ((a.selector and not labels_match(run.labels, a.selector))
                or (a.resubmitted and PREVIOUS_WORKFLOW not in run.labels)):
            continue
        out.append(run)
    return out


def select_runs(a, wanted: set[str]) -> list:
    """``select_records`` as ``api.Run`` handles."""
    from .. import api
    return [api.Run(rec.name) for rec in select_records(a, wanted)]
