"""examples/ml-experiment.ipynb in JupyterLab (headless Chromium): Run All Cells draws the sweep's
experiment widget (its table lists the 4 runs, all Succeeded, with their accuracy) and the
comparison of the best run with the worst (the Compare tabs, the differing parameter, and the
Vega-Lite plots drawn by JupyterLab's renderer). Uses test_lab's lab (this checkout's extension)."""
from __future__ import annotations

import re
import shutil

import pytest

from tests.browser.test_lab import ROOT, browser, lab, page, shot  # noqa: F401

pytestmark = [pytest.mark.xdist_group("jupyterlab-browser")]

TABLE_ROWS = """() => [...document.querySelectorAll('table.jf-experiment-table tbody tr')]
    .map(tr => [...tr.querySelectorAll('td')].map(td => td.innerText.trim()))"""


def test_ml_experiment_notebook_runs_in_lab(lab, page):
    pytest.importorskip("sklearn")
    shutil.copy(ROOT / "examples" / "ml-experiment.ipynb", lab["root"] / "ml-experiment.ipynb")
    page.goto(f"{lab['url']}/lab/tree/ml-experiment.ipynb?token={lab['token']}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    page.wait_for_function("() => document.body.innerText.includes('Python 3 (ipykernel) | Idle')",
                           timeout=60_000)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()

    # the experiment widget: its header counts the runs, its table has a row per grid point
    page.wait_for_function("() => /4\\/4 runs/.test((document.querySelector('.jf-experiment-widget') || {})"
                           ".innerText || '')", timeout=120_000)
    # the comparison is the notebook's last output: every cell before it has run
    compare = page.locator(".jf-compare-widget")
    compare.wait_for(state="visible", timeout=120_000)
    rows = page.evaluate(TABLE_ROWS)
    assert len(rows) == 4, rows
    text = page.locator(".jf-experiment-widget").inner_text()
    assert text.count("Succeeded") >= 4, text
    accuracies = [float(m) for m in re.findall(r"\b0\.\d{4}\b", page.locator("table.jf-experiment-table").inner_text())]
    assert len(accuracies) >= 4 and all(0.5 < a <= 1.0 for a in accuracies), accuracies

    # the Compare tabs; the parameters that differ between best and worst, then the plots
    titles = compare.locator(".lm-TabBar-tabLabel, .p-TabBar-tabLabel").all_inner_texts()
    assert titles == ["Parameters", "Nodes", "Artifacts", "Metrics", "Plots"], titles
    params = compare.locator(".widget-html-content table").first.inner_text()
    assert "lr" in params, params
    compare.locator(".lm-TabBar-tab", has_text="Metrics").click()
    metrics = compare.locator(".widget-html-content table:visible", has_text="accuracy")
    metrics.wait_for(state="visible", timeout=15_000)
    assert "f1" in metrics.inner_text()
    compare.locator(".lm-TabBar-tab", has_text="Plots").click()
    compare.locator(".vega-embed canvas, .vega-embed svg").first.wait_for(state="visible", timeout=30_000)
    shot(page, "ml-experiment")
    # no cell failed (an exception's output in Lab carries IPython's "Traceback (most recent call last)")
    assert page.locator(".jp-OutputArea-output", has_text="Traceback").count() == 0
    assert not page.errors, page.errors
