"""Pages of run summaries, filtered inside SQLite: what a list of 10,000 runs shows without loading them.

The lab's runs panel draws only the rows in view, so it asks for one page at a time (``offset``,
``limit``) with the total that matches; every filter (phases, a Kubernetes label selector, a name
prefix, a creation-time window) is a ``WHERE`` clause over the ``runs`` row, and a page reads only
the columns a summary needs plus three values SQLite picks out of the stored Workflow
(``creationTimestamp``, ``spec.entrypoint``, ``metadata.labels``). No run's nodes and no Workflow
document is decoded in Python; newest first through the ``runs_created`` index.

Label requirements are ``(key, op, values)`` as :func:`jupyter_flow.argoserver.shape.parse_label_selector`
returns them (``=``, ``!=``, ``in``, ``notin``, ``exists``, ``!``), with Kubernetes' meaning: ``!=`` and
``notin`` also pick runs without the label. Keys reach SQL only as bound JSON paths of a key that
already matched the label-key syntax, never as SQL text.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

SUMMARY_COLS = ("name, namespace, uid, phase, message, created_at, started_at, finished_at, status,"
                " json_extract(workflow, '$.metadata.creationTimestamp'), json_extract(workflow, '$.spec.entrypoint'),"
                " json_extract(workflow, '$.metadata.labels')")
_KEY = re.compile(r"[A-Za-z0-9][-A-Za-z0-9_./]{0,316}", re.ASCII)
Requirement = tuple[str, str, tuple[str, ...]]


@dataclass(frozen=True)
class RunFilter:
    """Which runs a list shows. Empty fields filter nothing."""
    phases: tuple[str, ...] = ()
    labels: tuple[Requirement, ...] = ()
    prefix: str = ""
    since: float | None = None      # created_at >= since (epoch seconds)
    until: float | None = None      # created_at < until

    def where(self, *, phases: bool = True) -> tuple[str, list[Any]]:
        """``(" WHERE ...", args)`` (empty when nothing filters); ``phases=False`` leaves the phase
        filter out (the per-phase counts of a filter are counted over the other conditions)."""
        parts: list[str] = []
        args: list[Any] = []
        if phases and self.phases:
            parts.append(f"phase IN ({','.join('?' * len(self.phases))})")
            args.extend(self.phases)
        for key, op, values in self.labels:
            if not _KEY.fullmatch(key):
                raise ValueError(f"invalid label key {key!r}")
            path = f'$.metadata.labels."{key}"'
            value = "json_extract(workflow, ?)"
            if op == "=":
                parts.append(f"{value} = ?")
                args.extend((path, values[0]))
            elif op == "!=":
                parts.append(f"coalesce({value} != ?, 1)")
                args.extend((path, values[0]))
            elif op in ("in", "notin"):
                marks = ",".join("?" * len(values))
                parts.append(f"{value} IN ({marks})" if op == "in" else f"coalesce({value} NOT IN ({marks}), 1)")
                args.extend((path, *values))
            elif op in ("exists", "!"):
                parts.append(f"json_type(workflow, ?) IS {'NOT ' if op == 'exists' else ''}NULL")
                args.append(path)
            else:
                raise ValueError(f"unknown label operator {op!r}")
        if self.prefix:
            # a range of the primary key (names are compared as UTF-8 bytes; U+10FFFF is the top)
            parts.append("name >= ? AND name < ?")
            args.extend((self.prefix, self.prefix + "\U0010ffff"))
        if self.since is not None:
            parts.append("created_at >= ?")
            args.append(float(self.since))
        if self.until is not None:
            parts.append("created_at < ?")
            args.append(float(self.until))
        return (" WHERE " + _all(parts) if parts else ""), args


def _all(parts: list[str]) -> str:
    """``parts`` joined with AND as a balanced tree: SQLite refuses an expression deeper than 1,000
    and a flat chain of AND is one level per term, so a 4 KiB selector of 2,000 ``k`` terms failed
    (a 500) where Kubernetes answers; balanced, 2,000 terms nest 11 deep. Order is kept."""
    if len(parts) <= 8:
        return " AND ".join(parts)
    mid = len(parts) // 2
    return f"({_all(parts[:mid])}) AND ({_all(parts[mid:])})"


def count(store, flt: RunFilter) -> int:
    where, args = flt.where()
    return int(store._read(f"SELECT count(*) FROM runs{where}", tuple(args))[0][0])


def phase_counts(store, flt: RunFilter) -> dict[str, int]:
    """``{phase: runs}`` of the runs the filter's other conditions pick (for "Failed (12)")."""
    where, args = flt.where(phases=False)
    return {p: int(n) for p, n in store._read(f"SELECT phase, count(*) FROM runs{where} GROUP BY phase", tuple(args))}


def page(store, flt: RunFilter, offset: int = 0, limit: int | None = None) -> list[dict]:
    """Rows ``offset`` .. ``offset + limit`` of the filtered runs, newest first, as dicts of the
    summary columns (``status`` and ``labels`` decoded; ``status`` never holds nodes)."""
    where, args = flt.where()
    sql = f"SELECT {SUMMARY_COLS} FROM runs{where} ORDER BY created_at DESC, rowid DESC"
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        args.extend((int(limit), int(offset)))
    elif offset:
        sql += " LIMIT -1 OFFSET ?"
        args.append(int(offset))
    out = []
    for (name, namespace, uid, phase, message, created_at, started_at, finished_at, status, created, entrypoint,
         labels) in store._read(sql, tuple(args)):
        out.append({"name": name, "namespace": namespace, "uid": uid, "phase": phase, "message": message,
                    "created_at": created_at, "started_at": started_at, "finished_at": finished_at,
                    "status": json.loads(status or "{}"), "creationTimestamp": created, "entrypoint": entrypoint,
                    "labels": json.loads(labels) if labels else {}})
    return out


def active_rows(store) -> list[tuple[str, int | None, str]]:
    """``(name, owner_pid, backend)`` of the runs an engine may still own (Running, or Pending with
    an owner): the only rows orphan reconciliation can change, checked before a filtered page is read."""
    return store._read("SELECT name, owner_pid, backend FROM runs"
                       " WHERE phase='Running' OR (phase='Pending' AND owner_pid IS NOT NULL)")


def suspend_waiting(store, names: list[str]) -> set[str]:
    """Which of ``names`` have a Suspend node Running (Argo UI's ``isWorkflowSuspended``: the run
    can be resumed). Only Running node rows are looked at (their ``phase`` column), so a run's
    finished nodes are never decoded; ask for Running runs only."""
    if not names:
        return set()
    marks = ",".join("?" * len(names))
    return {r[0] for r in store._read(
        f"SELECT DISTINCT run FROM nodes WHERE run IN ({marks}) AND phase='Running'"
        " AND json_extract(data, '$.type')='Suspend'", tuple(names))}
