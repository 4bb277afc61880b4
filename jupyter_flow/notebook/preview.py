"""Previews of node outputs and logs, as escaped HTML or plain data (no widgets here).

Everything that comes from a run (names, messages, parameter values, results, file contents,
log lines) is user text: it goes through ``html.escape`` before it reaches an HTML string.
Artifacts that are richer than text (HTML, Markdown, SVG, notebooks) become inert HTML in
``inert`` (sanitised, images as ``data:`` URIs, no script types); ``preview_html`` picks the kind.
"""
from __future__ import annotations

import base64
import csv
import html
import io
import json
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..filekinds import MARKUP_TYPES, kind_of, raster_format  # noqa: F401  (kept here by name)
from . import inert
from .inert import pre  # noqa: F401  (pre: the widget's escaped text block)

TEXT_PREVIEW = 4096          # characters of a text artifact / result shown inline
CSV_ROWS = 20
LOG_TAIL_LINES = 200
LOG_TAIL_BYTES = 64 * 1024
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_MARKUP_BYTES = 1024 * 1024
MAX_DOWNLOAD_BYTES = 32 * 1024 * 1024

esc = html.escape


def table(rows: Iterable[Iterable[Any]], header: Iterable[Any] | None = None) -> str:
    head = ""
    if header is not None:
        head = "<tr>" + "".join(f'<th style="text-align:left;padding:1px 6px">{esc(str(h))}</th>'
                                for h in header) + "</tr>"
    body = "".join("<tr>" + "".join(f'<td style="padding:1px 6px;vertical-align:top">{esc(str(c))}</td>'
                                    for c in row) + "</tr>" for row in rows)
    return f'<table style="font-size:11px;border-collapse:collapse">{head}{body}</table>'


def tail(path: Path, *, lines: int = LOG_TAIL_LINES, max_bytes: int = LOG_TAIL_BYTES) -> tuple[str, int]:
    """The last ``lines`` lines of a log file (reading at most ``max_bytes``) and its size."""
    try:
        size = path.stat().st_size
    except OSError:
        return "", 0
    with open(path, "rb") as f:
        if size > max_bytes:
            f.seek(size - max_bytes)
        data = f.read(max_bytes)
    text = data.decode("utf-8", errors="replace")
    parts = text.splitlines()
    if size > max_bytes and parts:
        parts = parts[1:]          # the first line is probably cut
    cut = len(parts) > lines or size > max_bytes
    parts = parts[-lines:]
    return ("\u2026 (earlier lines in the full log)\n" if cut else "") + "\n".join(parts), size


def download_link(path: Path, filename: str, label: str = "download full log") -> str:
    """An anchor with a data: URI (base64, so no user text can break out of the attribute)."""
    try:
        size = path.stat().st_size
    except OSError:
        return ""
    if size > MAX_DOWNLOAD_BYTES:
        return f"<span>log is {size} bytes: read it with <code>jupyter-flow logs</code></span>"
    data = base64.b64encode(path.read_bytes()).decode()
    return (f'<a download="{esc(filename, quote=True)}" href="data:text/plain;charset=utf-8;base64,{data}" '
            f'style="font-size:11px">{esc(label)} ({size} bytes)</a>')


def artifact_path(store, run: str, art: Mapping[str, Any]) -> Path | None:
    key = ((art.get("local") or {}).get("key")) if isinstance(art, Mapping) else None
    if not key:
        return None
    root = store.artifact_dir(run).resolve()
    path = (root / key).resolve()
    if root not in path.parents and path != root:
        return None    # a key must stay inside the run's artifact directory
    return path if path.exists() else None


def image_format(path: Path, declared: str = "") -> str:
    """The raster format of an 'image' artifact, from its magic bytes (not its name)."""
    with open(path, "rb") as f:
        return raster_format(f.read(16)) or "png"


def csv_html(path: Path, rows: int = CSV_ROWS, declared: str = "") -> str:
    with open(path, "rb") as f:
        text = f.read(200_000).decode("utf-8", errors="replace")
    dialect = "excel-tab" if (Path(declared).suffix or path.suffix).lower() == ".tsv" else "excel"
    reader = csv.reader(io.StringIO(text), dialect=dialect)
    data = []
    for i, row in enumerate(reader):
        if i > rows:
            break
        data.append(row)
    if not data:
        return "<i>empty</i>"
    more = len(data) > rows
    body = data[1:rows + 1] if data else []
    return table(body, header=data[0]) + ("<div style='font-size:11px'>\u2026</div>" if more else "")


def text_html(path: Path, limit: int = TEXT_PREVIEW) -> str:
    with open(path, "rb") as f:
        raw = f.read(limit + 1)
    text = raw[:limit].decode("utf-8", errors="replace")
    return pre(text + ("\n\u2026" if len(raw) > limit else ""))


def dir_html(path: Path, limit: int = 50) -> str:
    entries = sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file())
    shown = entries[:limit]
    return pre("\n".join(shown) + (f"\n\u2026 {len(entries) - limit} more" if len(entries) > limit else ""))


def preview_html(path: Path, declared: str = "") -> str:
    """Inert HTML previewing one stored artifact, whatever its kind (see ``inert``)."""
    kind = kind_of(path, declared)
    size = path.stat().st_size if kind != "dir" else 0
    if kind == "image":
        if size > MAX_IMAGE_BYTES:
            return f"<i>image of {size} bytes</i>"
        return inert.img(path.read_bytes(), f"image/{image_format(path)}")
    if kind == "notebook":
        return _box(inert.notebook_html(path))
    if kind in ("svg", "html", "markdown"):
        if kind == "svg":
            return inert.svg_img(path.read_bytes()) if size <= MAX_MARKUP_BYTES else f"<i>SVG of {size} bytes</i>"
        if size > MAX_MARKUP_BYTES:
            return text_html(path)        # too big to sanitise for a preview: its start, as text
        text = path.read_bytes().decode("utf-8", errors="replace")
        return _box(inert.clean_html(text) if kind == "html" else inert.markdown_html(text))
    if kind == "csv":
        return csv_html(path, declared=declared)
    if kind == "dir":
        return dir_html(path)
    if kind == "binary":
        return f"<i>binary, {size} bytes</i>"
    return text_html(path)


def _box(inner: str) -> str:
    return (f'<div class="jf-preview" style="max-height:400px;overflow:auto;border:1px solid #dde3e8;'
            f'padding:2px 4px">{inner}</div>')


def params_rows(params: Iterable[Mapping[str, Any]] | None) -> list[tuple[str, str]]:
    rows = []
    for p in params or []:
        value = p.get("value", p.get("default", ""))
        value = value if isinstance(value, str) else json.dumps(value)
        if len(value) > 500:
            value = value[:500] + "\u2026"
        rows.append((str(p.get("name", "")), value))
    return rows
