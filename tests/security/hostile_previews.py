"""Hostile artifacts for the preview tests: every preview kind, each trying to run script or fetch.

Every payload ``js(tag)`` marks ``window.__pwned``, fetches ``BEACON/tag`` (a local HTTP server the
browser test starts) and writes ``pwned-<tag>.txt`` through the Jupyter Contents API with the page's
XSRF cookie, the attack of issue 16. Resource loads (``<img src=BEACON/..>``, CSS ``url()``, SVG
``<image>``) name the beacon too, so a preview that merely *fetches* something is caught as well.
Each artifact also carries visible text ``visible-<kind>`` so a test can tell it was shown.
"""
from __future__ import annotations

import base64
import json

# 1x1 PNG
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


def js(tag: str, beacon: str) -> str:
    """Script (single quotes only: it sits in double-quoted attributes) that leaves three traces."""
    return ("window.__pwned=(window.__pwned||[]).concat(['%s']);"
            "fetch('%s/%s',{mode:'no-cors'});"
            "fetch('/api/contents/pwned-%s.txt',{method:'PUT',credentials:'same-origin',"
            "headers:{'X-XSRFToken':(document.cookie.match(/_xsrf=([^;]+)/)||[])[1]||''},"
            "body:JSON.stringify({type:'file',format:'text',content:'pwned'})})") % (tag, beacon, tag, tag)


def html_payload(tag: str, beacon: str) -> str:
    j = lambda t: js(f"{tag}-{t}", beacon)  # noqa: E731
    return (f'<b>visible-{tag}</b>'
            f'<img src=x onerror="{j("onerror")}">'
            f'<script>{j("script")}</script>'
            f'<a href="javascript:{j("href")}">link-{tag}</a>'
            f'<iframe srcdoc="<script>parent.{j("iframe")}</script>"></iframe>'
            f'<svg onload="{j("svg-onload")}"><circle r="1"/></svg>'
            f'<img src="{beacon}/{tag}-img">'
            f'<link rel="stylesheet" href="{beacon}/{tag}-link">'
            f'<style>@import url("{beacon}/{tag}-import");</style>'
            f'<div style="background:url({beacon}/{tag}-bg)">styled-{tag}</div>'
            f'<details open ontoggle="{j("ontoggle")}"><summary>s</summary></details>'
            f'<object data="{beacon}/{tag}-object"></object><embed src="{beacon}/{tag}-embed">'
            f'<form action="{beacon}/{tag}-form"><button formaction="javascript:{j("form")}">b</button></form>'
            f'<meta http-equiv="refresh" content="0;url=javascript:{j("meta")}">'
            f'<base href="{beacon}/">')


def svg_payload(tag: str, beacon: str) -> str:
    j = lambda t: js(f"{tag}-{t}", beacon)  # noqa: E731
    return (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'width="120" height="30" onload="{j("onload")}">'
            f'<script>{j("script")}</script>'
            f'<image href="{beacon}/{tag}-image" width="10" height="10"/>'
            f'<foreignObject width="10" height="10"><img xmlns="http://www.w3.org/1999/xhtml" src="x" '
            f'onerror="{j("foreign")}"/></foreignObject>'
            f'<a xlink:href="javascript:{j("href")}"><text x="2" y="20">visible-{tag}</text></a></svg>')


def markdown_payload(tag: str, beacon: str) -> str:
    j = lambda t: js(f"{tag}-{t}", beacon)  # noqa: E731
    return (f"# visible-{tag}\n\n**bold-{tag}** <img src=x onerror=\"{j('onerror')}\">\n\n"
            f"<script>{j('script')}</script>\n\n![picture]({beacon}/{tag}-img)\n\n"
            f"[click-{tag}](javascript:{j('href')})\n")


def notebook(tag: str, beacon: str) -> dict:
    j = lambda t: js(f"{tag}-{t}", beacon)  # noqa: E731
    fake_png = base64.b64encode(f'<script>{j("fakepng")}</script>'.encode()).decode()
    outputs = [
        {"output_type": "stream", "name": "stdout", "text": [f'visible-{tag}-stream <img src=x onerror="{j("stream")}">\n']},
        {"output_type": "display_data", "metadata": {}, "data": {"application/javascript": j("js")}},
        {"output_type": "display_data", "metadata": {},
         "data": {"application/javascript": j("js2"), "text/plain": f"visible-{tag}-js-fallback"}},
        {"output_type": "display_data", "metadata": {}, "data": {"text/javascript": j("textjs")}},
        {"output_type": "display_data", "metadata": {}, "data": {"text/html": html_payload(f"{tag}-html", beacon)}},
        {"output_type": "display_data", "metadata": {}, "data": {"image/svg+xml": svg_payload(f"{tag}-svg", beacon)}},
        {"output_type": "display_data", "metadata": {}, "data": {"text/markdown": markdown_payload(f"{tag}-md", beacon)}},
        {"output_type": "display_data", "metadata": {},
         "data": {"image/png": fake_png, "text/plain": f"visible-{tag}-fakepng"}},
        {"output_type": "execute_result", "execution_count": 3, "metadata": {},
         "data": {"image/png": base64.b64encode(PNG).decode(), "text/plain": "<Figure>"}},
        {"output_type": "display_data", "metadata": {},
         "data": {"application/vnd.jupyter.widget-view+json": {"model_id": "x", "version_major": 2, "version_minor": 0},
                  "text/html": f'<i>visible-{tag}-widget</i><img src=x onerror="{j("widget")}">'}},
        {"output_type": "error", "ename": "ValueError", "evalue": "<b>x</b>",
         "traceback": [f'\x1b[31mValueError\x1b[0m: visible-{tag}-error <img src=x onerror="{j("error")}">']},
    ]
    return {"cells": [{"cell_type": "code", "source": "x", "metadata": {}, "execution_count": 1, "outputs": outputs},
                      {"cell_type": "markdown", "source": f'<img src=x onerror="{j("mdcell")}">', "metadata": {}}],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def artifacts(beacon: str) -> dict[str, bytes]:
    """Path inside the step -> contents, one per preview kind."""
    return {
        "/tmp/report.ipynb": json.dumps(notebook("nb", beacon)).encode(),
        "/tmp/report.json": json.dumps(notebook("sniffed", beacon)).encode(),   # a notebook by its first bytes
        "/tmp/page.html": html_payload("html", beacon).encode(),
        "/tmp/pic.svg": svg_payload("svg", beacon).encode(),
        "/tmp/notes.md": markdown_payload("md", beacon).encode(),
        "/tmp/fake.png": f'<html>visible-fakepng<script>{js("fakepng", beacon)}</script></html>'.encode(),
        "/tmp/pixel.png": PNG,
    }


def workflow(beacon: str, name: str = "hostile-") -> str:
    """A one-step workflow whose step writes ``artifacts(beacon)`` and declares each as an output."""
    files = {path: base64.b64encode(data).decode() for path, data in artifacts(beacon).items()}
    arts = "\n".join(f"      - {{name: {path.rsplit('/', 1)[1].replace('.', '-')}, path: {path}}}" for path in files)
    return f"""apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {{generateName: {name}}}
spec:
  entrypoint: main
  templates:
  - name: main
    outputs:
      artifacts:
{arts}
    script:
      image: python:3.11
      command: [python]
      source: |
        import base64, json
        for path, data in json.loads(base64.b64decode("{base64.b64encode(json.dumps(files).encode()).decode()}")).items():
            open(path, "wb").write(base64.b64decode(data))
"""
