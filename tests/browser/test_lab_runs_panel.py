"""The Workflows panel over 10,000 runs in a real JupyterLab and Chromium: a virtual list (only the
rows in view exist in the DOM), filtered by phase, label selector, name prefix and creation day on
the server, scrolled, and live; and a run's tab that asks before deleting, as the panel does.

Uses test_lab's lab (this checkout's extension build when it has one) with its store seeded by
``benchmarks.w11_panel.seed_store`` through the store's own writes."""
from __future__ import annotations

import datetime as dt
import os
import sqlite3
import time
import uuid

import pytest

from benchmarks.w11_panel import seed_store
from tests.browser.test_lab import browser, lab, open_panel, page, row, shot  # noqa: F401

pytestmark = [pytest.mark.xdist_group("jupyterlab-browser")]

N = 10_000
MAX_ROWS = 60      # the rows a 900 px window shows, plus the overscan: far below N


_lab: dict = {}


@pytest.fixture(scope="module")
def seeded(lab):
    _lab.update(lab)
    return seed_store(lab["home"], N)


def panel_state(page) -> dict:
    return page.evaluate("""() => {
        const panel = document.querySelector('#jupyter-flow-runs');
        const rows = [...panel.querySelectorAll('.jf-RunRow')].sort((a, b) => a.dataset.index - b.dataset.index);
        return {total: Number(panel.dataset.total), names: rows.map(r => r.dataset.name),
                phases: rows.map(r => r.dataset.phase), indexes: rows.map(r => Number(r.dataset.index)),
                loading: panel.querySelectorAll('.jf-RunRow-loading').length};
    }""")


def wait_total(page, total: int, timeout: float = 15_000) -> dict:
    page.wait_for_function(
        "t => { const p = document.querySelector('#jupyter-flow-runs'); return p && Number(p.dataset.total) === t"
        " && p.querySelectorAll('.jf-RunRow').length > 0 || (t === 0 && p && p.dataset.total === '0'); }",
        arg=total, timeout=timeout)
    page.wait_for_function("() => !document.querySelector('#jupyter-flow-runs .jf-RunRow-loading')", timeout=timeout)
    return panel_state(page)


def set_filter(page, cls: str, value: str) -> None:
    box = page.locator(f"#jupyter-flow-runs .jf-RunsPanel-{cls}")
    box.fill(value)
    box.dispatch_event("change")


def expected(seeded, pick) -> list[str]:
    """The seeded runs ``pick`` keeps, newest first, as the store holds them now (the tests of this
    module may run in any order, and one deletes a run)."""
    with sqlite3.connect(_lab["home"] / "runs.db") as conn:
        there = [n for (n,) in conn.execute("SELECT name FROM runs ORDER BY created_at DESC, rowid DESC")]
    seeded_names = set(seeded["names"])
    return [n for n in there if n in seeded_names and pick(n)]


def test_ten_thousand_runs_draw_only_the_rows_in_view(lab, page, seeded):
    newest = expected(seeded, lambda n: True)
    open_panel(page)
    state = wait_total(page, len(newest))
    assert 0 < len(state["names"]) <= MAX_ROWS, len(state["names"])
    assert state["names"] == newest[:len(state["names"])]
    shot(page, "w11-panel-10k")
    # scroll to the middle: the rows there, and still only a window of them in the DOM
    h = int(page.locator("#jupyter-flow-runs .jf-RunsPanel-list").get_attribute("data-row-height"))
    page.locator("#jupyter-flow-runs .jf-RunsPanel-list").evaluate("(el, y) => { el.scrollTop = y; }", 5000 * h)
    page.wait_for_function("() => [...document.querySelectorAll('#jupyter-flow-runs .jf-RunRow')]"
                           ".some(r => r.dataset.index === '5000')", timeout=15_000)
    state = panel_state(page)
    assert 0 < len(state["names"]) <= MAX_ROWS
    assert all(newest[i] == name for i, name in zip(state["indexes"], state["names"]))
    assert min(state["indexes"]) >= 4900 and max(state["indexes"]) <= 5100
    # and to the end
    page.locator("#jupyter-flow-runs .jf-RunsPanel-list").evaluate("el => { el.scrollTop = el.scrollHeight; }")
    page.wait_for_function(f"() => [...document.querySelectorAll('#jupyter-flow-runs .jf-RunRow')]"
                           f".some(r => r.dataset.index === '{len(newest) - 1}')", timeout=15_000)
    state = panel_state(page)
    assert state["names"][-1] == newest[-1] == "run-00000-vision"
    assert not page.errors, page.errors


def test_filters_by_phase_label_prefix_and_day(lab, page, seeded):
    everything = len(expected(seeded, lambda n: True))
    open_panel(page)
    wait_total(page, everything)
    page.select_option("#jupyter-flow-runs .jf-RunsPanel-filter", "Failed")
    want = expected(seeded, lambda n: seeded["phases"][n] == "Failed")
    state = wait_total(page, len(want))
    assert set(state["phases"]) == {"Failed"} and state["names"] == want[:len(state["names"])]
    # the phase menu counts each phase under the other filters
    options = page.locator("#jupyter-flow-runs .jf-RunsPanel-filter option").all_inner_texts()
    assert f"Failed ({len(want)})" in options and f"All phases ({everything})" in options
    page.select_option("#jupyter-flow-runs .jf-RunsPanel-filter", "")

    set_filter(page, "label", "team=nlp,batch!=3")
    want = expected(seeded, lambda n: n.endswith("-nlp") and int(n.split("-")[1]) % 7 != 3)
    state = wait_total(page, len(want))
    assert state["names"] == want[:len(state["names"])]
    shot(page, "w11-panel-label-filter")
    set_filter(page, "label", "")

    set_filter(page, "prefix", "run-0012")
    want = expected(seeded, lambda n: n.startswith("run-0012"))
    assert len(want) == 10
    state = wait_total(page, 10)
    assert state["names"] == want
    set_filter(page, "prefix", "no-such-run")
    page.wait_for_function("() => document.querySelector('#jupyter-flow-runs .jf-RunsPanel-empty')?.textContent"
                           " === 'No run matches the filter'", timeout=15_000)
    set_filter(page, "prefix", "")

    # created from a local day 10 days ago to one 5 days ago (both whole days, in the browser's time zone)
    tz = page.evaluate("() => Intl.DateTimeFormat().resolvedOptions().timeZone")
    from zoneinfo import ZoneInfo
    zone = ZoneInfo(tz)
    today = dt.datetime.now(zone).date()
    since, until = today - dt.timedelta(days=10), today - dt.timedelta(days=5)
    lo = dt.datetime.combine(since, dt.time(), zone).timestamp()
    hi = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), zone).timestamp()
    with sqlite3.connect(lab["home"] / "runs.db") as conn:
        want = [n for (n,) in conn.execute("SELECT name FROM runs WHERE created_at >= ? AND created_at < ?"
                                           " ORDER BY created_at DESC", (lo, hi))]
    set_filter(page, "since", since.isoformat())
    set_filter(page, "until", until.isoformat())
    state = wait_total(page, len(want))
    assert 0 < len(want) < N and state["names"] == want[:len(state["names"])]
    set_filter(page, "since", "")
    set_filter(page, "until", "")
    wait_total(page, everything)
    assert not page.errors, page.errors


def test_the_list_stays_live(lab, page, seeded):
    """A run another process creates appears at the top, and a row in view follows its phase."""
    from jupyter_flow.store.db import Store
    everything = len(expected(seeded, lambda n: True))
    open_panel(page)
    state = wait_total(page, everything)
    top = state["names"][0]
    store = Store(lab["home"])
    try:
        name = f"live-{uuid.uuid4().hex[:6]}"
        store.create_run(name, {"metadata": {"name": name}, "spec": {"entrypoint": "main"}}, uid=str(uuid.uuid4()))
        # owned by this (live) process: a Running run nobody owns would be reconciled to Error
        store.save(name, run_fields={"phase": "Running", "started_at": time.time(), "owner_pid": os.getpid(),
                                     "status": {"phase": "Running", "progress": "0/1"}})
        state = wait_total(page, everything + 1)
        assert state["names"][:2] == [name, top]
        page.wait_for_function(f"() => document.querySelector(\"#jupyter-flow-runs [data-name='{name}']\")"
                               "?.dataset.phase === 'Running'", timeout=15_000)
        store.save(name, run_fields={"phase": "Succeeded", "finished_at": time.time(),
                                     "status": {"phase": "Succeeded", "progress": "1/1"}})
        page.wait_for_function(f"() => document.querySelector(\"#jupyter-flow-runs [data-name='{name}']\")"
                               "?.dataset.phase === 'Succeeded'", timeout=15_000)
        assert row(page, name).locator(".jf-RunRow-progress").inner_text() == "1/1"
        store.delete_run(name)
        wait_total(page, everything)
    finally:
        store.close()
    assert not page.errors, page.errors


def test_the_run_tab_asks_before_deleting(lab, page, seeded):
    everything = len(expected(seeded, lambda n: True))
    name = expected(seeded, lambda n: seeded["phases"][n] == "Succeeded")[0]
    open_panel(page)
    wait_total(page, everything)
    row(page, name).locator(".jf-RunRow-name").click()
    view = page.locator(f".jf-RunView[id='jupyter-flow-run-{name}']")
    view.wait_for(state="visible", timeout=15_000)
    page.wait_for_function(f"() => document.querySelector(\"[id='jupyter-flow-run-{name}'] .jf-RunView-phase\")"
                           "?.textContent === 'Succeeded'", timeout=15_000)
    delete = view.locator(".jf-RunView-actions .jf-action-delete")
    assert delete.is_enabled()
    delete.click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=10_000)
    assert name in dialog.inner_text()
    shot(page, "w11-runview-delete-confirm")
    dialog.locator(".jp-mod-reject").click()
    dialog.wait_for(state="detached", timeout=10_000)
    with sqlite3.connect(lab["home"] / "runs.db") as conn:
        assert conn.execute("SELECT count(*) FROM runs WHERE name=?", (name,)).fetchone()[0] == 1
    assert view.is_visible()
    delete.click()
    page.locator(".jp-Dialog .jp-mod-accept").click()
    view.wait_for(state="detached", timeout=15_000)
    with sqlite3.connect(lab["home"] / "runs.db") as conn:
        assert conn.execute("SELECT count(*) FROM runs WHERE name=?", (name,)).fetchone()[0] == 0
    wait_total(page, everything - 1)
    assert not page.errors, page.errors
