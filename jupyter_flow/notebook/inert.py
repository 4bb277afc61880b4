"""Inert HTML for artifact contents: sanitised HTML, images as ``data:`` URIs, notebooks as static HTML.

An artifact is whatever a step wrote, so it is hostile. The widget's previews are ``ipywidgets.HTML``
values, which the page inserts with ``innerHTML`` (no sanitiser: an ``<img onerror>`` or ``<svg onload>``
runs with the page's cookies and could drive the Jupyter server). So everything here produces HTML that
cannot run script or fetch anything:

* HTML goes through ``nh3`` (the Ammonia sanitiser) with a small allow-list: text markup, lists, tables
  and links (``http``/``https``/``mailto`` only, opened in a new tab); no ``img``, ``style``, ``class``,
  ``id``, forms, frames, SVG or MathML, so nothing loads and nothing can restyle or clobber the page.
* Raster images become ``<img src="data:image/...;base64,...">`` after their magic bytes are checked;
  SVG is *only* ever an ``<img>`` source (``data:image/svg+xml``), which browsers never script and
  never let load sub-resources.
* A notebook shows its code cells' outputs: streams and tracebacks as text, each rich output by its
  safest renderable type; ``application/javascript`` and every other type is dropped with a note.
  Nothing goes to an ``Output`` widget (whose output area JupyterLab marks trusted).
"""
from __future__ import annotations

import base64
import binascii
import html
import json
import re
from pathlib import Path
from typing import Any, Mapping

from ..filekinds import RASTER, raster_format  # noqa: F401  (kept here by name)

esc = html.escape

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_HTML_CHARS = 1_000_000        # the text of one sanitised HTML / markdown fragment
MAX_NOTEBOOK_BYTES = 32 * 1024 * 1024
MAX_OUTPUTS = 50
MAX_NOTEBOOK_HTML = 8_000_000     # characters of one notebook's preview (its images are base64 in it)


TAGS = {"a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt", "em",
        "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "ins", "kbd", "li", "ol", "p", "pre", "q", "s", "samp",
        "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul"}
ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"colspan", "rowspan"},
              "th": {"colspan", "rowspan"}}
# removed with their content (the rest of a disallowed tag is dropped, its text kept)
DROP_WITH_CONTENT = {"script", "style", "template", "noscript", "iframe", "object", "embed", "svg", "math",
                     "textarea", "select", "title", "head"}
SAFE_HREF = ("http://", "https://", "mailto:")

# a notebook output's types, safest renderer first; anything else (javascript, widget views, vnd.*) is dropped
MIME_ORDER = ("image/png", "image/jpeg", "image/gif", "image/svg+xml", "text/html", "text/markdown",
              "text/latex", "application/json", "text/plain")

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _href(tag: str, attr: str, value: str) -> str | None:
    if attr == "href":
        return value if value.strip().lower().startswith(SAFE_HREF) and value == value.strip() else None
    return value


def clean_html(fragment: str) -> str:
    """``fragment`` with everything but inert text markup removed (see the module docstring)."""
    import nh3
    return nh3.clean(fragment[:MAX_HTML_CHARS], tags=TAGS, clean_content_tags=DROP_WITH_CONTENT,
                     attributes=ATTRIBUTES, attribute_filter=_href, url_schemes={"http", "https", "mailto"},
                     link_rel="noopener noreferrer nofollow", strip_comments=True,
                     set_tag_attribute_values={"a": {"target": "_blank"}})


def markdown_html(text: str) -> str:
    """Markdown rendered with mistune (when installed) and then sanitised; else shown as text."""
    try:
        import mistune
    except ImportError:
        mistune = None
    render = getattr(mistune, "html", None)     # mistune >= 2 (nbconvert's); older ones differ
    if not callable(render):
        return pre(text)
    return clean_html(str(render(text[:MAX_HTML_CHARS])))


def pre(text: str, *, max_height: str = "260px") -> str:
    return (f'<pre style="white-space:pre-wrap;word-break:break-all;max-height:{max_height};overflow:auto;'
            f'margin:2px 0;padding:4px;background:#f6f8fa;font-size:11px">{esc(text)}</pre>')


def img(data: bytes, mime: str) -> str:
    """An ``<img>`` whose source is ``data`` as a base64 ``data:`` URI (no user text in the attribute)."""
    if len(data) > MAX_IMAGE_BYTES:
        return f"<i>image of {len(data)} bytes</i>"
    return (f'<img src="data:{mime};base64,{base64.b64encode(data).decode()}" alt="" '
            'style="max-width:100%;height:auto">')


def svg_img(data: bytes) -> str:
    """SVG as an image source only: browsers run no script and load nothing for an ``<img>``."""
    return img(data, "image/svg+xml")


def _b64(value: Any) -> bytes | None:
    text = "".join(value) if isinstance(value, list) else value
    if not isinstance(text, str) or len(text) > MAX_IMAGE_BYTES * 4 // 3 + 4096:
        return None
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return value if isinstance(value, str) else json.dumps(value, indent=1, default=str)


def mime_html(data: Mapping[str, Any]) -> str:
    """One output's mime bundle as inert HTML: the first type of ``MIME_ORDER`` that renders."""
    for mime in MIME_ORDER:
        if mime not in data:
            continue
        value = data[mime]
        if mime.startswith("image/") and mime != "image/svg+xml":
            raw = _b64(value)
            fmt = raster_format(raw or b"")
            if fmt is None or f"image/{fmt}" != mime:
                continue        # not the image it claims to be
            return img(raw, mime)
        if mime == "image/svg+xml":
            return svg_img(_text(value).encode("utf-8", errors="replace"))
        if mime == "text/html":
            return f'<div class="jf-preview-html">{clean_html(_text(value))}</div>'
        if mime == "text/markdown":
            return f'<div class="jf-preview-md">{markdown_html(_text(value))}</div>'
        return pre(_text(value))
    dropped = ", ".join(sorted(str(k) for k in data))
    return f"<i>output not previewed ({esc(dropped)})</i>" if dropped else ""


def output_html(out: Mapping[str, Any]) -> str:
    kind = out.get("output_type")
    if kind == "stream":
        return pre(_text(out.get("text", "")))
    if kind in ("display_data", "execute_result"):
        data = out.get("data")
        return mime_html(data) if isinstance(data, Mapping) else ""
    if kind == "error":
        tb = out.get("traceback")
        text = "\n".join(str(t) for t in tb) if isinstance(tb, list) and tb else \
            f"{out.get('ename', '')}: {out.get('evalue', '')}"
        return pre(ANSI.sub("", text))
    return ""


def notebook_html(path: Path, max_outputs: int = MAX_OUTPUTS) -> str:
    """The outputs of an executed notebook's code cells, as one inert HTML string."""
    try:
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            return f"<i>notebook of {path.stat().st_size} bytes: not previewed</i>"
        nb = json.loads(path.read_text(errors="replace"))
    except (OSError, ValueError):
        return "<i>not a readable notebook</i>"
    parts: list[str] = []
    total = 0
    more = "<div style='font-size:11px'>\u2026 more outputs</div>"
    cells = nb.get("cells") if isinstance(nb, dict) else None
    for cell in cells if isinstance(cells, list) else []:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        outputs = cell.get("outputs")
        for out in outputs if isinstance(outputs, list) else []:
            if len(parts) >= max_outputs:
                return "".join(parts) + more
            piece = output_html(out) if isinstance(out, dict) else ""
            total += len(piece)
            if total > MAX_NOTEBOOK_HTML:
                return "".join(parts) + more
            if piece:
                parts.append(piece)
    return "".join(parts) or "<i>no outputs</i>"
