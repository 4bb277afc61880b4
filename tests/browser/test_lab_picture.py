"""The lab's run view draws the server's grouped picture (``GET runs/NAME/graph``, the widget's one
source): a loop is one group node with its phase counts, a click opens it, the search box finds a
node by name (opening its group) and shows it in the panel. Real JupyterLab, real Chromium."""
from __future__ import annotations

from .test_lab import browser, cli_submit, graph_nodes, lab, open_run, page, shot  # noqa: F401

LOOP = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: loop-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: work
        template: say
        arguments: {parameters: [{name: n, value: "{{item}}"}]}
        withSequence: {count: "60"}
  - name: say
    inputs: {parameters: [{name: n}]}
    container: {image: busybox, command: [echo], args: ["{{inputs.parameters.n}}"]}
"""

PHASE = "['Pending','Running','Suspended','Succeeded','Failed','Error','Skipped','Omitted'].find(p => n.hasClass(p))"


def _cy_nodes(page, name):
    return page.evaluate(f"""() => {{
        const el = document.querySelector('#jupyter-flow-run-{name} .jf-RunView-graph');
        const cy = el && el._cyreg && el._cyreg.cy;
        if (!cy) return [];
        const box = el.getBoundingClientRect();
        return cy.nodes().map(n => ({{id: n.id(), label: n.data('label'), classes: n.classes().join(' '),
            n: n.data('n'), phase: {PHASE}, selected: n.selected(),
            x: box.left + n.renderedPosition().x, y: box.top + n.renderedPosition().y}}));
    }}""")


def test_a_loop_is_a_group_that_opens_on_click_and_search_finds_a_member(lab, page):
    name = cli_submit(lab, LOOP, "loop.yaml")
    view = open_run(page, name)
    nodes = graph_nodes(page, name)
    groups = [n for n in _cy_nodes(page, name) if "Group" in n["classes"].split()]
    assert len(groups) == 1 and len(_cy_nodes(page, name)) == 3, nodes
    group = groups[0]
    assert group["label"] == "work \u00d760" and group["n"] == 60 and group["phase"] == "Succeeded"
    # the pie: the group's one phase fills it, in the kernel's palette (one stylesheet)
    assert page.evaluate(f"""() => document.querySelector('#jupyter-flow-run-{name} .jf-RunView-graph')
        ._cyreg.cy.getElementById({group['id']!r}).style('pie-1-background-color')""") == "rgb(24,190,148)"
    shot(page, "20-lab-loop-group")

    # search: the member is drawn beside its group, focused, selected, and shown in the panel
    find = view.locator(".jf-RunView-graph .jf-find")
    find.fill("work(42:42)")
    find.press("Enter")
    page.wait_for_function(f"() => document.querySelector('#jupyter-flow-run-{name} .jf-RunView-graph')"
                           "?.dataset.found", timeout=15_000)
    found = page.evaluate(f"() => document.querySelector('#jupyter-flow-run-{name} .jf-RunView-graph').dataset.found")
    panel = view.locator(".jf-NodePanel-table")
    panel.wait_for(timeout=10_000)
    page.wait_for_function(f"() => document.querySelector('#jupyter-flow-run-{name} .jf-NodePanel-table')"
                           "?.textContent.includes('work(42:42)')", timeout=10_000)
    drawn = {n["id"]: n for n in _cy_nodes(page, name)}
    assert found in drawn and "found" in drawn[found]["classes"] and drawn[found]["selected"]
    assert drawn[group["id"]]["n"] == 59
    page.wait_for_timeout(1500)          # a later poll keeps the found node drawn (reveal=)
    assert found in {n["id"] for n in _cy_nodes(page, name)}
    shot(page, "21-lab-search-found")

    # a click on the group draws its members
    g = next(n for n in _cy_nodes(page, name) if n["id"] == group["id"])
    page.mouse.click(g["x"], g["y"])
    page.wait_for_function(f"""() => {{
        const el = document.querySelector('#jupyter-flow-run-{name} .jf-RunView-graph');
        return el._cyreg.cy.nodes().length === 62; }}""", timeout=15_000)
    labels = {n["label"] for n in _cy_nodes(page, name)}
    assert {f"work({i}:{i})" for i in range(60)} <= labels
    shot(page, "22-lab-group-opened")
    assert not page.errors, page.errors
