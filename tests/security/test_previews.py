"""Artifact previews are inert HTML: no script, no event handler, no URL the browser would fetch.

Each preview kind (notebook, HTML, SVG, Markdown, raster and fake images) gets the hostile payloads of
``hostile_previews`` and the produced HTML is parsed: every tag must be on the allow-list, no ``on*``
attribute, ``src`` only ``data:image/...;base64``, ``href`` only absolute http(s)/mailto, no CSS
``url()``. The widget is checked end to end too: a real run whose artifacts are hostile, its node
panel's widget tree holding no ``Output`` widget and no markup that could run.
(tests/security/test_previews_browser.py renders the same run in JupyterLab in Chromium.)
"""
from __future__ import annotations

import base64
import re
from html.parser import HTMLParser

import pytest

from tests.security import hostile_previews as H

BEACON = "http://127.0.0.1:9/beacon"

# tags an inert preview may hold: our own wrappers plus the sanitiser's allow-list
OK_TAGS = {"a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt", "em",
           "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "ins", "kbd", "li", "ol", "p", "pre", "q", "s", "samp",
           "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
           "img"}
OK_ATTRS = {"href", "title", "colspan", "rowspan", "src", "alt", "style", "class", "target", "rel"}
DATA_IMAGE = re.compile(r"data:image/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/]*={0,2}")


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def assert_inert(markup: str) -> list[tuple[str, dict]]:
    """Fail unless ``markup`` can neither run script nor make the browser fetch anything."""
    parser = _Tags()
    parser.feed(markup)
    parser.close()
    for tag, attrs in parser.tags:
        assert tag in OK_TAGS, f"<{tag}> in a preview: {markup[:300]}"
        for name, value in attrs.items():
            value = value or ""
            assert not name.startswith("on"), f"event handler {name}= on <{tag}>"
            assert name in OK_ATTRS, f"attribute {name}= on <{tag}>"
            if name == "src":
                assert tag == "img" and DATA_IMAGE.fullmatch(value), f"<{tag} src={value[:80]}>"
            if name == "href":
                assert tag == "a" and value.startswith(("http://", "https://", "mailto:")), f"href={value[:80]}"
                assert not value.startswith(BEACON), "a link to the beacon kept"
            if name == "style":
                assert "url(" not in value and "@import" not in value and "expression" not in value, value
            assert "javascript:" not in value.lower(), f"{name}={value[:80]}"
    assert BEACON not in "".join(str(a) for _, attrs in parser.tags for a in attrs.values())
    return parser.tags


@pytest.fixture
def hostile(tmp_path):
    """The hostile artifacts as stored files (named like the store names them: no suffix)."""
    out = {}
    for declared, data in H.artifacts(BEACON).items():
        path = tmp_path / declared.rsplit("/", 1)[1].replace(".", "-")
        path.write_bytes(data)
        out[declared] = path
    return out


def preview(hostile, declared: str) -> str:
    from jupyter_flow.notebook import preview as P
    return P.preview_html(hostile[declared], declared)


@pytest.mark.parametrize("declared", sorted(H.artifacts(BEACON)))
def test_every_preview_kind_is_inert(hostile, declared):
    assert_inert(preview(hostile, declared))


def test_html_artifact_keeps_its_text_and_loses_script_handlers_and_loads(hostile):
    out = preview(hostile, "/tmp/page.html")
    assert "<b>visible-html</b>" in out and "styled-html" in out and "link-html" in out
    for bad in ("<script", "onerror", "<iframe", "<svg", "<style", "<link", "<object", "<embed", "<form", "<meta",
                "<base", "ontoggle", "__pwned"):
        assert bad not in out, bad


def test_svg_is_only_an_image_source(hostile):
    out = preview(hostile, "/tmp/pic.svg")
    tags = assert_inert(out)
    assert [t for t, _ in tags] == ["img"], out[:200]
    src = tags[0][1]["src"]
    assert src.startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(src.split(",", 1)[1]) == hostile["/tmp/pic.svg"].read_bytes()   # shown as drawn
    assert "<svg" not in out and "<script" not in out


def test_markdown_is_rendered_and_sanitised(hostile):
    out = preview(hostile, "/tmp/notes.md")
    assert "visible-md</h1>" in out and "<strong>bold-md</strong>" in out and "click-md" in out
    assert "onerror" not in out and "<script" not in out and "javascript:" not in out


def test_markdown_without_mistune_is_text(hostile, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "mistune", None)
    out = preview(hostile, "/tmp/notes.md")
    assert_inert(out)
    assert "&lt;img src=x onerror=" in out and "<strong>" not in out


def test_a_fake_image_is_text_and_a_real_one_an_image(hostile):
    from jupyter_flow.notebook import preview as P
    assert P.kind_of(hostile["/tmp/fake.png"], "/tmp/fake.png") == "text"
    out = preview(hostile, "/tmp/fake.png")
    assert "&lt;script&gt;" in out and "<script" not in out
    assert P.kind_of(hostile["/tmp/pixel.png"], "/tmp/pixel.png") == "image"
    tags = assert_inert(preview(hostile, "/tmp/pixel.png"))
    assert tags[0][1]["src"] == "data:image/png;base64," + base64.b64encode(H.PNG).decode()


@pytest.mark.parametrize("declared,tag", [("/tmp/report.ipynb", "nb"), ("/tmp/report.json", "sniffed")])
def test_notebook_outputs_are_static_sanitised_html(hostile, declared, tag):
    from jupyter_flow.notebook import preview as P
    assert P.kind_of(hostile[declared], declared) == "notebook"
    out = preview(hostile, declared)
    tags = assert_inert(out)
    # script types are dropped (a fallback text/plain is shown instead when there is one)
    assert "output not previewed (application/javascript)" in out
    assert "output not previewed (text/javascript)" in out
    assert f"visible-{tag}-js-fallback" in out
    # text and markup survive as inert HTML; streams and tracebacks as escaped text without ANSI codes
    assert f"<b>visible-{tag}-html</b>" in out and f"<strong>bold-{tag}-md</strong>" in out
    assert f"visible-{tag}-stream &lt;img src=x onerror=" in out
    assert f"ValueError: visible-{tag}-error &lt;img" in out and "\x1b[" not in out
    assert f"<i>visible-{tag}-widget</i>" in out                        # the widget view itself is dropped
    # the fake PNG falls back to its text; the real PNG and the SVG are <img> data URIs
    assert f"visible-{tag}-fakepng" in out
    srcs = [a["src"] for t, a in tags if t == "img"]
    assert "data:image/png;base64," + base64.b64encode(H.PNG).decode() in srcs
    assert sum(s.startswith("data:image/svg+xml;base64,") for s in srcs) == 1 and len(srcs) == 2
    assert "mdcell" not in out                                      # markdown cells are not previewed
    for bad in ("<script", "<svg", "<iframe", "<style", "<link"):   # as markup (escaped text has &lt;)
        assert bad not in out, bad


def test_sanitiser_allow_list():
    from jupyter_flow.notebook.inert import clean_html
    out = clean_html('<a href="https://example.org/x">ok</a><a href="/api/contents/x">rel</a>'
                     '<a href=" javascript:alert(1)">sp</a><a href="JaVaScRiPt:alert(1)">js</a>'
                     '<div id="jp-main-dock-panel" class="jp-Dialog" style="position:fixed">x</div>'
                     '<table><tr><td colspan="2" onclick="x">c</td></tr></table>')
    assert_inert(out)
    assert out.count("href=") == 1 and 'href="https://example.org/x"' in out
    assert 'target="_blank"' in out and "noopener" in out
    assert "id=" not in out and "class=" not in out and "style=" not in out   # no page restyling or clobbering
    assert '<td colspan="2">c</td>' in out


def test_preview_budgets(tmp_path):
    from jupyter_flow.notebook import inert
    from jupyter_flow.notebook import preview as P
    big = tmp_path / "big"
    big.write_bytes(b"<p><img src=x onerror=alert(1)>" + b"x" * P.MAX_MARKUP_BYTES)
    out = P.preview_html(big, "/tmp/big.html")          # too big to sanitise: its start as escaped text
    assert_inert(out)
    assert "&lt;img src=x onerror=alert(1)&gt;" in out and len(out) < P.TEXT_PREVIEW + 1000
    assert P.preview_html(big, "/tmp/big.svg") == f"<i>SVG of {big.stat().st_size} bytes</i>"
    many = {"cells": [{"cell_type": "code", "outputs": [
        {"output_type": "stream", "name": "stdout", "text": f"line {i}\n"} for i in range(500)]}]}
    nb = tmp_path / "nb"
    nb.write_text(__import__("json").dumps(many))
    out = P.preview_html(nb, "/tmp/nb.ipynb")
    assert out.count("<pre") == inert.MAX_OUTPUTS and "more outputs" in out
    # images count against one notebook's budget: it stops, with a note, before growing past it
    img = {"output_type": "display_data", "data": {"image/png": base64.b64encode(H.PNG + b"\0" * 2_500_000).decode()}}
    nb.write_text(__import__("json").dumps({"cells": [{"cell_type": "code", "outputs": [img] * 5}]}))
    out = P.preview_html(nb, "/tmp/nb.ipynb")
    assert out.count("<img") == 2 and "more outputs" in out and len(out) < inert.MAX_NOTEBOOK_HTML


def test_node_panel_of_a_hostile_run_holds_no_output_widget_and_no_live_markup(store):
    pytest.importorskip("ipywidgets")
    import ipywidgets as W

    import jupyter_flow
    from jupyter_flow.notebook.widget import RunWidget
    run = jupyter_flow.submit(H.workflow(BEACON), wait=True, store=store)
    assert run.phase == "Succeeded", run.to_dict()["status"]
    w = RunWidget(run)
    w.select(run.name)
    found: list = []
    stack, seen = [w.box], set()
    while stack:
        x = stack.pop()
        if id(x) in seen or not isinstance(x, W.Widget):
            continue
        seen.add(id(x))
        found.append(x)
        for key in getattr(x, "keys", []):
            value = getattr(x, key, None)
            if isinstance(value, W.Widget):
                stack.append(value)
            elif isinstance(value, (list, tuple)):
                stack.extend(v for v in value if isinstance(v, W.Widget))
    assert not [x for x in found if isinstance(x, W.Output)], "an Output widget renders mime bundles trusted"
    html = "".join(x.value for x in found if isinstance(x, (W.HTML, W.HTMLMath)))
    assert "visible-nb-html" in html and "visible-sniffed-html" in html and "visible-md" in html
    assert "visible-fakepng" in html and "data:image/svg+xml;base64," in html
    assert_inert(html)
    images = [x for x in found if isinstance(x, W.Image)]
    assert [(i.format, i.value) for i in images] == [("png", H.PNG)]   # only the real raster image
