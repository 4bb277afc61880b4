"""The Workflows panel's Compare: tick two runs, press Compare, and the Compare tab shows the
parameter that differs (run data as text, never HTML) and a Vega-Lite plot drawn by JupyterLab's
own renderer. Uses test_lab's lab (this checkout's extension build) and Chromium."""
from __future__ import annotations

import pytest

from tests.browser.test_lab import browser, cli_submit, lab, open_panel, page, row, shot  # noqa: F401
DOC = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: cmp-
spec:
  entrypoint: main
  arguments:
    parameters: [{name: who, value: nobody}]
  templates:
  - name: main
    inputs:
      parameters: [{name: who}]
    outputs:
      artifacts: [{name: note, path: /tmp/note.txt}]
    container:
      image: busybox
      command: [sh, -c]
      args:
      - |
        printf 'same\\n%s\\n' "$WHO" > /tmp/note.txt
      env: [{name: WHO, value: "{{inputs.parameters.who}}"}]
"""

pytestmark = [pytest.mark.xdist_group("jupyterlab-browser")]

HOSTILE = "<img src=x onerror=window.__jfxss=1>"


def test_compare_two_runs_from_the_panel(lab, page):
    a = cli_submit(lab, DOC, "cmp-a.yaml")
    b = cli_submit(lab, DOC.replace("value: nobody", f'value: "{HOSTILE}"'), "cmp-b.yaml")
    open_panel(page)
    for name in (a, b):
        row(page, name).wait_for(timeout=15_000)
    compare = page.locator("#jupyter-flow-runs .jf-RunsPanel-compare")
    assert compare.is_disabled()
    row(page, a).locator(".jf-RunRow-check").check()
    assert compare.is_disabled()                  # one run is not a comparison
    row(page, b).locator(".jf-RunRow-check").check()
    page.wait_for_timeout(1700)                   # a panel refresh keeps the ticks
    assert row(page, a).locator(".jf-RunRow-check").is_checked()
    compare.click()
    view = page.locator(".jf-CompareView")
    view.wait_for(state="visible", timeout=15_000)
    params = view.locator(".jf-CompareView-params table")
    params.wait_for(timeout=15_000)
    cells = params.locator("tr").nth(1).locator("td").all_inner_texts()
    names = [n for n in (a, b)]
    header = params.locator("th").all_inner_texts()
    assert header == ["parameter", *names]
    assert cells == ["who", "nobody", HOSTILE]    # the hostile value is text on the page
    # the durations plot, drawn by the vega5 renderer (a canvas or an SVG inside .vega-embed)
    plot = view.locator(".jf-plot-durations")
    plot.locator(".vega-embed canvas, .vega-embed svg").first.wait_for(timeout=20_000)
    assert "artifacts" in view.locator(".jf-CompareView-nodes table").inner_text()
    # the artifact's text diff, hostile line included, is text in a <pre>
    diff = view.locator("pre.jf-CompareView-diff").inner_text()
    assert " same" in diff and "-nobody" in diff and f"+{HOSTILE}" in diff, diff
    assert page.evaluate("() => window.__jfxss") is None
    assert page.locator("img[src='x']").count() == 0
    shot(page, "compare-two-runs")
    assert not page.errors, page.errors
