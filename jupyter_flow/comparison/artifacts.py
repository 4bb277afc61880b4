"""Artifact differences between runs, each against the baseline (the first run), within budgets.

An artifact is whatever a step wrote: hostile. Nothing here makes HTML; every string is data the
views escape. Reading is bounded: at most ``READ_BYTES`` of a file are read to diff it,
``HASH_BYTES`` to decide whether two files are the same, and a whole Comparison holds at most
``TOTAL_BYTES`` of diffs and images. A stored path must resolve inside its run's artifact
directory (a link planted by a step to ``~/.ssh`` is refused, not read).

Two artifacts are the same when their sizes and the hashes of their first ``HASH_BYTES`` are;
a Comparison hashes at most ``HASH_TOTAL`` bytes in all (past it, ``size:unread``: same size is
taken as the same).

* text: ``difflib.unified_diff`` (at most ``DIFF_LINES`` lines, each cut to ``LINE_CHARS``);
* image: raster only, by magic bytes (PNG, JPEG, GIF, WebP), as ``data:`` URIs side by side;
  SVG and anything else that is not verified raster is compared by hash only, never shown;
* CSV/TSV: table deltas: columns added/removed, rows added/removed, changed cells (with the
  numeric delta when both read as numbers), at most ``CSV_ROWS`` rows x ``CSV_COLS`` columns.
"""
from __future__ import annotations

import base64
import csv
import difflib
import hashlib
import io
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

from ..filekinds import kind_of, raster_format

READ_BYTES = 256 * 1024
HASH_BYTES = 16 * 1024 * 1024
IMAGE_BYTES = 1024 * 1024
TOTAL_BYTES = 8 * 1024 * 1024
HASH_TOTAL = 512 * 1024 * 1024    # bytes hashed for one Comparison (50 runs of big artifacts stay bounded)
DIR_FILES = 10_000
DIFF_LINES = 400
LINE_CHARS = 500
CSV_ROWS = 1000
CSV_COLS = 50
CSV_CHANGES = 50


def _stored(run, store, art: Mapping[str, Any]) -> Path | None:
    key = (art.get("local") or {}).get("key") if isinstance(art, Mapping) else None
    if not isinstance(key, str) or not key:
        return None
    root = store.artifact_dir(run.name).resolve()
    try:
        path = (root / key).resolve()
    except (OSError, RuntimeError):
        return None
    if root not in path.parents:
        return None
    return path if path.exists() else None


def _file_digest(path: Path, budget: dict) -> str:
    """``size:sha256`` of the file's first ``HASH_BYTES``, charged to the comparison's hash budget;
    past the budget only the size is known (``size:unread``)."""
    size = path.stat().st_size
    limit = min(HASH_BYTES, size + 1)
    if budget.get("hashed", 0) + limit > HASH_TOTAL:
        return f"{size}:unread"
    budget["hashed"] = budget.get("hashed", 0) + limit
    h = hashlib.sha256()
    with open(path, "rb") as f:
        left = HASH_BYTES
        while left > 0:
            chunk = f.read(min(left, 1 << 20))
            if not chunk:
                break
            h.update(chunk)
            left -= len(chunk)
    return f"{size}:{h.hexdigest()}"


def _digest(path: Path, budget: dict) -> str:
    """What decides whether two artifacts are the same: a file's size and hash, a directory's
    names and its files' digests (links are named, never followed; at most ``DIR_FILES``)."""
    if not path.is_dir():
        return _file_digest(path, budget)
    h = hashlib.sha256()
    count = 0
    for top, dirs, files in os.walk(path, followlinks=False):
        dirs.sort()
        for name in sorted(files) + [d for d in dirs if os.path.islink(os.path.join(top, d))]:
            count += 1
            if count > DIR_FILES:
                return "dir:" + h.hexdigest() + ":cut"
            p = Path(top, name)
            h.update(p.relative_to(path).as_posix().encode("utf-8", "surrogateescape") + b"\0")
            if p.is_file() and not p.is_symlink():
                h.update(_file_digest(p, budget).encode())
    return "dir:" + h.hexdigest()


def _read(path: Path, limit: int = READ_BYTES) -> tuple[bytes, bool]:
    with open(path, "rb") as f:
        data = f.read(limit + 1)
    return data[:limit], len(data) > limit


def text_diff(a: Path, b: Path, name_a: str, name_b: str) -> dict:
    """A bounded unified diff of two text files."""
    ra, cut_a = _read(a)
    rb, cut_b = _read(b)
    la = ra.decode("utf-8", "replace").splitlines()
    lb = rb.decode("utf-8", "replace").splitlines()
    lines = []
    for i, line in enumerate(difflib.unified_diff(la, lb, name_a, name_b, lineterm="")):
        if i >= DIFF_LINES:
            lines.append(f"\u2026 (diff cut at {DIFF_LINES} lines)")
            break
        lines.append(line if len(line) <= LINE_CHARS else line[:LINE_CHARS] + "\u2026")
    if cut_a or cut_b:
        lines.append(f"\u2026 (only the first {READ_BYTES} bytes of each file compared)")
    return {"kind": "text", "diff": "\n".join(lines)}


def image(path: Path) -> str | None:
    """A verified raster image as a ``data:`` URI (None: too big, or not the raster it claims)."""
    if path.stat().st_size > IMAGE_BYTES:
        return None
    data = path.read_bytes()
    fmt = raster_format(data[:16])
    if fmt is None:
        return None
    return f"data:image/{fmt};base64,{base64.b64encode(data).decode('ascii')}"


def _table(path: Path, tsv: bool) -> tuple[list[list[str]], bool]:
    raw, cut = _read(path)
    reader = csv.reader(io.StringIO(raw.decode("utf-8", "replace")), dialect="excel-tab" if tsv else "excel")
    rows = []
    try:
        for i, row in enumerate(reader):
            if i > CSV_ROWS:
                cut = True
                break
            rows.append([c[:LINE_CHARS] for c in row[:CSV_COLS]])
    except csv.Error:
        cut = True
    return rows, cut


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if value == value and abs(value) != float("inf") else None


def csv_delta(a: Path, b: Path, tsv: bool = False) -> dict:
    """Table deltas of two CSV files: columns and rows added/removed, changed cells (by row index
    and column name), each change with ``delta = b - a`` when both cells are numbers."""
    ta, cut_a = _table(a, tsv)
    tb, cut_b = _table(b, tsv)
    ha, hb = (ta[0] if ta else []), (tb[0] if tb else [])
    cols = [c for c in ha if c in hb]
    changes = []
    more = False
    for r in range(1, min(len(ta), len(tb))):
        ra, rb = ta[r], tb[r]
        for c in cols:
            ia, ib = ha.index(c), hb.index(c)
            va = ra[ia] if ia < len(ra) else ""
            vb = rb[ib] if ib < len(rb) else ""
            if va != vb:
                if len(changes) >= CSV_CHANGES:
                    more = True
                    break
                na, nb = _number(va), _number(vb)
                changes.append({"row": r, "column": c, "a": va, "b": vb,
                                "delta": None if na is None or nb is None else nb - na})
        if more:
            break
    return {"kind": "csv", "columns_added": [c for c in hb if c not in ha],
            "columns_removed": [c for c in ha if c not in hb],
            "rows": [max(len(ta) - 1, 0), max(len(tb) - 1, 0)], "changes": changes,
            "truncated": bool(more or cut_a or cut_b)}


def diff_node_artifacts(runs: Sequence, store, found: Sequence[Mapping[str, Any] | None],
                        budget: dict) -> list[dict]:
    """One entry per artifact name of a matched node: ``{name, kind, digests, differs, diffs}``;
    ``diffs[i]`` compares run ``i`` with the baseline (None for the baseline, a run without the
    artifact, or one identical to it)."""
    names: list[str] = []
    arts: list[dict[str, Mapping]] = []
    for node in found:
        here = {}
        for art in ((node or {}).get("outputs") or {}).get("artifacts") or []:
            if isinstance(art, Mapping) and isinstance(art.get("name"), str):
                here[art["name"]] = art
                if art["name"] not in names:
                    names.append(art["name"])
        arts.append(here)
    out = []
    for name in names:
        paths = [_stored(run, store, a[name]) if name in a else None for run, a in zip(runs, arts)]
        digests = [_digest(p, budget) if p is not None else None for p in paths]
        base = paths[0]
        declared = str(arts[0].get(name, {}).get("path") or "") if base is not None else ""
        kind = kind_of(base, declared) if base is not None else "missing"
        entry: dict[str, Any] = {"name": name, "kind": kind, "digests": digests,
                                 "differs": len(set(digests)) > 1, "diffs": [None] * len(runs), "images": None}
        if entry["differs"] and base is not None:
            _fill(entry, runs, paths, digests, kind, declared, budget)
        out.append(entry)
    return out


def _fill(entry: dict, runs, paths, digests, kind: str, declared: str, budget: dict) -> None:
    base = paths[0]
    if kind == "image":
        images = []
        for p in paths:
            uri = image(p) if p is not None and p.is_file() else None
            if uri is not None and budget["bytes"] + len(uri) > TOTAL_BYTES:
                uri = None
            budget["bytes"] += len(uri or "")
            images.append(uri)
        entry["images"] = images
        return
    for i in range(1, len(paths)):
        p = paths[i]
        if p is None or digests[i] == digests[0] or budget["bytes"] > TOTAL_BYTES:
            continue
        if kind == "csv" and p.is_file():
            tsv = Path(declared).suffix.lower() == ".tsv"
            diff = csv_delta(base, p, tsv)
            budget["bytes"] += sum(len(c["a"]) + len(c["b"]) + 40 for c in diff["changes"])
        elif kind in ("text", "html", "markdown") and p.is_file():
            diff = text_diff(base, p, f"{runs[0].name}/{entry['name']}", f"{runs[i].name}/{entry['name']}")
            budget["bytes"] += len(diff["diff"])
        else:
            diff = {"kind": kind, "note": "differs (contents not shown for this kind)"}
        entry["diffs"][i] = diff
