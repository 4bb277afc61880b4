"""Every example notebook runs top to bottom in a real kernel; the parameterised one under papermill."""
from __future__ import annotations

import pytest

from .conftest import EXAMPLES, execute, text_of, widget_models

pytest.importorskip("nbclient")

NOTEBOOKS = sorted(p.name for p in EXAMPLES.glob("*.ipynb"))
UNDER_PAPERMILL = {"papermill-parameters.ipynb"}     # executed by test_papermill_parameters_reach_the_workflow


def test_there_are_examples():
    assert {"notebook-quickstart.ipynb", "papermill-parameters.ipynb", "hera-scripts.ipynb",
            "notebook-steps.ipynb", "ml-experiment.ipynb"} <= set(NOTEBOOKS)


@pytest.mark.parametrize("name", sorted(set(NOTEBOOKS) - UNDER_PAPERMILL))
def test_example_notebook_runs(name, kernel_env):
    import nbformat
    nb = execute(nbformat.read(EXAMPLES / name, as_version=4), cwd=EXAMPLES, timeout=180)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    if name == "notebook-steps.ipynb":
        # the executed notebook (the step's artifact) is rendered inside the widget, as inert HTML
        # (an HTML widget with the sanitised outputs; never an Output widget, which the page trusts)
        models = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
        assert not [m for m in models.values() if m["model_name"] == "OutputModel"]
        html = [m["state"].get("value", "") for m in models.values() if m["model_name"] == "HTMLModel"]
        assert any("squares: [0, 1, 4, 9, 16, 25]" in h for h in html), html
        assert any(">55<" in h for h in html)
    if name == "ml-experiment.ipynb":
        check_ml_experiment(nb)


def check_ml_experiment(nb) -> None:
    """The sweep made 4 runs whose gauges reached the table; best and worst were compared."""
    import jupyter_flow
    frame = jupyter_flow.runs().to_frame()        # the kernel's store: this test's home
    assert len(frame) == 4 and set(frame["phase"]) == {"Succeeded"}
    grid = {(str(d), str(lr)) for d, lr in zip(frame["param.depth"], frame["param.lr"])}
    assert grid == {("1", "0.05"), ("1", "0.5"), ("4", "0.05"), ("4", "0.5")}
    acc = frame["metric.accuracy"].astype(float)
    assert acc.between(0.5, 1.0).all() and frame["metric.f1"].astype(float).between(0.5, 1.0).all()
    assert acc.nunique() > 1                       # the grid points really trained different models
    best, worst = frame.loc[acc.idxmax(), "name"], frame.loc[acc.idxmin(), "name"]
    printed = "".join(text_of(c) for c in nb.cells)
    assert f"best:  {best} " in printed and f"worst: {worst} " in printed
    # the experiment widget's table lists the 4 runs; the Compare widget (a Tab) was drawn for best vs worst
    models = widget_models(nb)
    tables = [m["state"]["value"] for m in models.values()
              if "jf-experiment-table" in m["state"].get("_dom_classes", [])]
    assert tables and all(run in tables[0] for run in frame["name"])
    tabs = [m for m in models.values() if m["model_name"] == "TabModel"
            and "jf-compare-widget" in m["state"].get("_dom_classes", [])]
    assert len(tabs) == 1
    shown = [o["data"]["text/plain"] for c in nb.cells for o in c.get("outputs", [])
             if o.get("output_type") == "execute_result"]
    assert any(s.startswith("<Comparison of 2 runs") for s in shown), shown
    html = "".join(m["state"].get("value", "") for m in models.values() if m["model_name"] == "HTMLModel")
    assert best in html and worst in html and "accuracy" in html and "report" in html


def test_papermill_parameters_reach_the_workflow(kernel_env, tmp_path):
    papermill = pytest.importorskip("papermill")
    import nbformat
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(str(EXAMPLES / "papermill-parameters.ipynb"), str(out),
                               parameters={"who": "papermill", "count": 3}, kernel_name="python3",
                               cwd=str(EXAMPLES), progress_bar=False)
    nb = nbformat.read(out, as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and "who = \"papermill\"" in injected[0].source
    printed = "".join(text_of(c) for c in nb.cells)
    assert "Succeeded" in printed
    for i in range(3):
        assert f"hello papermill #{i}" in printed
    assert "hello papermill #3" not in printed
    # the run is displayed as the widget, with the text tree beside it for non-widget readers
    shown = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "execute_result"]
    assert any("application/vnd.jupyter.widget-view+json" in o["data"] and o["data"]["text/plain"].startswith("Name:")
               for o in shown)
