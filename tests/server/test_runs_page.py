"""``GET runs`` over a big store: pages, totals and filters (phase, label selector, name prefix,
creation window) answered from the ``runs`` rows; the lab's panel draws 10,000 runs from these."""
from __future__ import annotations

import calendar
import json
import sqlite3
import time

import pytest

from benchmarks.w11_panel import BIG, seed_store
from jupyter_flow.server.manager import FlowManager, ManagerError

N = 400
NOW = time.time()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    home = tmp_path_factory.mktemp("flow-home-runs-page")
    info = seed_store(home, N, big_nodes=3000, now=NOW)
    return home, info


@pytest.fixture
def mgr(seeded):
    return FlowManager(seeded[0])


def team(name: str) -> str:
    return "infra" if name == BIG else name.rsplit("-", 1)[1]


def batch(name: str) -> int:
    return 0 if name == BIG else int(name.split("-")[1]) % 7


def newest_first(info, pick=lambda name: True):
    """The expected order: the big run was created last (now), then run-N-1 ... run-0."""
    return [n for n in reversed(info["names"]) if pick(n)]


def test_pages_cover_every_run_once_newest_first_with_the_total(mgr, seeded):
    _, info = seeded
    seen = []
    for offset in range(0, N + 1, 64):
        page = mgr.runs_page(offset=offset, limit=64)
        assert page["total"] == N + 1 and page["offset"] == offset and page["limit"] == 64
        seen += [r["name"] for r in page["runs"]]
    assert seen == newest_first(info)
    assert mgr.runs_page(offset=N + 50, limit=10)["runs"] == []
    counts = mgr.runs_page(limit=1)["counts"]
    assert sum(counts.values()) == N + 1 and counts["Failed"] == N // 10


def test_phase_filter_is_one_or_several_phases_and_counts_the_others(mgr, seeded):
    _, info = seeded
    page = mgr.runs_page(phase="Failed,Error", limit=1000)
    want = newest_first(info, lambda n: info["phases"][n] in ("Failed", "Error"))
    assert [r["name"] for r in page["runs"]] == want and page["total"] == len(want)
    # per-phase counts ignore the phase filter itself (the dropdown shows every phase's count)
    assert page["counts"]["Succeeded"] == sum(1 for p in info["phases"].values() if p == "Succeeded")
    with pytest.raises(ManagerError) as e:
        mgr.runs_page(phase="Failed,Bogus")
    assert e.value.status == 400 and "Bogus" in e.value.message


@pytest.mark.parametrize("selector, pick", [
    ("team=nlp", lambda n: team(n) == "nlp"),
    ("team==nlp", lambda n: team(n) == "nlp"),
    ("team!=nlp", lambda n: team(n) != "nlp"),
    ("team in (ops, infra)", lambda n: team(n) in ("ops", "infra")),
    ("team notin (ops,infra),batch=3", lambda n: team(n) not in ("ops", "infra") and batch(n) == 3),
    ("batch", lambda n: True),
    ("!batch", lambda n: False),
    ("owner!=x", lambda n: True),     # != picks runs without the label too (Kubernetes)
])
def test_label_selector_as_argo_list_l(mgr, seeded, selector, pick):
    _, info = seeded
    page = mgr.runs_page(label=selector, limit=1000)
    want = newest_first(info, pick)
    assert [r["name"] for r in page["runs"]] == want and page["total"] == len(want)


@pytest.mark.parametrize("selector", ["team=", "=x", "team in nlp", 'te"am=x', "a') OR 1=1 --", "team=a b"])
def test_bad_label_selectors_are_400_not_sql(mgr, selector):
    if selector == "team=":   # an empty value is a valid requirement: runs whose label is ""
        assert mgr.runs_page(label=selector)["total"] == 0
        return
    with pytest.raises(ManagerError) as e:
        mgr.runs_page(label=selector)
    assert e.value.status == 400 and e.value.message.startswith("label:")


def test_name_prefix_and_creation_window(mgr, seeded, zone):
    _, info = seeded
    page = mgr.runs_page(prefix="run-001", limit=1000)
    assert [r["name"] for r in page["runs"]] == newest_first(info, lambda n: n.startswith("run-001"))
    assert mgr.runs_page(prefix="run-%", limit=5)["total"] == 0      # no LIKE wildcards
    assert mgr.runs_page(prefix="zzz")["runs"] == []
    # the seed spreads runs evenly over 30 days: the last 3 days hold about a tenth of them
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(NOW - 3 * 86400))
    recent = mgr.runs_page(since=since, limit=1000)
    assert N // 10 - 2 <= recent["total"] <= N // 10 + 2
    assert [r["name"] for r in recent["runs"]] == newest_first(info)[:recent["total"]]
    older = mgr.runs_page(until=since, limit=1000)
    assert older["total"] + recent["total"] == N + 1
    offset = time.strftime("%Y-%m-%dT%H:%M:%S+02:00", time.gmtime(NOW - 3 * 86400 + 7200))
    assert mgr.runs_page(since=offset)["total"] == recent["total"]
    naive = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(NOW - 3 * 86400))   # no offset: UTC, in any zone
    assert mgr.runs_page(since=naive)["total"] == recent["total"]
    day = time.strftime("%Y-%m-%d", time.gmtime(NOW - 3 * 86400))             # a date: its UTC midnight
    midnight = calendar.timegm(time.strptime(day, "%Y-%m-%d"))
    created = [NOW - 30 * 86400 + 30 * 86400 * (i + 1) / (N + 1) for i in range(N)] + [NOW - 11]   # as seeded
    assert mgr.runs_page(since=day, limit=1000)["total"] == sum(1 for c in created if c >= midnight)
    for bad in ("yesterday", "2026-13-01", "1e9"):
        with pytest.raises(ManagerError) as e:
            mgr.runs_page(since=bad)
        assert e.value.status == 400 and "since" in e.value.message


def test_a_summary_never_reads_the_runs_nodes(mgr, seeded):
    """The big run's node rows are made undecodable: any read of them (Python or SQLite's JSON
    functions) would fail; its summary still lists, with the stored progress."""
    home, _ = seeded
    with sqlite3.connect(home / "runs.db") as conn:
        saved = conn.execute("SELECT id, data FROM nodes WHERE run=?", (BIG,)).fetchall()
        conn.execute("UPDATE nodes SET data='{not json' WHERE run=?", (BIG,))
    try:
        t0 = time.perf_counter()
        page = mgr.runs_page(prefix=BIG, limit=1)
        elapsed = time.perf_counter() - t0
        row = page["runs"][0]
        assert row["name"] == BIG and row["progress"] == "3000/3000" and row["labels"]["team"] == "infra"
        assert elapsed < 1.0
    finally:
        with sqlite3.connect(home / "runs.db") as conn:
            conn.executemany("UPDATE nodes SET data=? WHERE run=? AND id=?", [(d, BIG, i) for i, d in saved])


def test_a_dead_engines_run_is_error_before_the_phase_filter(mgr, seeded):
    home, info = seeded
    name = next(n for n in newest_first(info) if info["phases"][n] == "Running")
    with sqlite3.connect(home / "runs.db") as conn:
        conn.execute("UPDATE runs SET owner_pid=? WHERE name=?", (2 ** 22 + 12345, name))   # no such process
    running = [r["name"] for r in mgr.runs_page(phase="Running", limit=1000)["runs"]]
    assert name not in running
    errored = {r["name"]: r for r in mgr.runs_page(phase="Error", limit=1000)["runs"]}
    assert errored[name]["message"] == "engine exited"
    info["phases"][name] = "Error"




async def test_rest_pages_and_filters(jp_fetch, flow_home):
    seed_store(flow_home, 30, now=NOW)
    from tornado.httpclient import HTTPClientError

    async def get(params):
        try:
            r = await jp_fetch("jupyter-flow", "api", "runs", params=params)
        except HTTPClientError as exc:
            return exc.code, json.loads(exc.response.body)
        return r.code, json.loads(r.body)

    code, data = await get({"offset": 10, "limit": 5})
    assert code == 200 and data["total"] == 30 and [r["name"] for r in data["runs"]] == [
        f"run-{i:05d}-{t}" for i, t in zip(range(19, 14, -1), ["infra", "ops", "nlp", "vision", "infra"])]
    code, data = await get([("phase", "Failed"), ("phase", "Error"), ("label", "team=nlp"), ("limit", 100)])
    assert code == 200 and data["runs"] and all(r["phase"] in ("Failed", "Error") and r["labels"]["team"] == "nlp"
                                                for r in data["runs"])
    for bad in ({"limit": 0}, {"limit": 1001}, {"offset": -1}, {"limit": "x"}, {"label": "a b=c"},
                {"since": "tomorrow"}):
        code, data = await get(bad)
        assert code == 400, (bad, data)
