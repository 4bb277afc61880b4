"""What kind of file an artifact is, from its first bytes and its declared name: a raster image
(by magic bytes, whatever its suffix), SVG, HTML, markdown, CSV, a notebook, text or binary.

Pure and small, below every surface: the notebook's previews (``notebook/preview.py``, the HTML
sanitiser ``notebook/inert.py``) and ``compare``'s artifact diffs (``comparison/artifacts.py``)
ask the same question. A ``.png`` holding HTML is text here, shown escaped.
"""
from __future__ import annotations

from pathlib import Path

RASTER = {"png": b"\x89PNG\r\n\x1a\n", "jpeg": b"\xff\xd8\xff", "gif": b"GIF8"}
MARKUP_TYPES = {".svg": "svg", ".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown"}


def raster_format(data: bytes) -> str | None:
    """'png' | 'jpeg' | 'gif' | 'webp' when ``data`` starts like one, else None."""
    for fmt, magic in RASTER.items():
        if data.startswith(magic):
            return fmt
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def kind_of(path: Path, declared: str = "") -> str:
    """'image' | 'svg' | 'html' | 'markdown' | 'csv' | 'notebook' | 'text' | 'binary' | 'dir'.

    ``declared`` is the artifact's path inside the step (the stored file is named after the
    artifact, so its suffix is the better hint). 'image' means a raster image whose first bytes
    are that image's (a ``.png`` holding HTML is text, shown escaped).
    """
    if path.is_dir():
        return "dir"
    suffix = (Path(declared).suffix or path.suffix).lower()
    if suffix in MARKUP_TYPES:
        return MARKUP_TYPES[suffix]
    with open(path, "rb") as f:
        head = f.read(2048)
    if raster_format(head):
        return "image"
    if suffix in (".csv", ".tsv"):
        return "csv"
    if suffix == ".ipynb":
        return "notebook"
    if head.lstrip().startswith(b"{") and b'"cells"' in head:
        return "notebook"
    if b"\0" in head:
        return "binary"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        try:
            head[:-4].decode("utf-8")
        except UnicodeDecodeError:
            return "binary"
    return "text"
