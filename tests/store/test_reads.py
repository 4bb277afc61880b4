"""The store's read side at scale: a node by name without the run, nodes a page at a time, the
few node fields a list of runs reads; rows decoded with orjson but whatever ``json`` wrote."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks.bigread import fill_big  # noqa: E402


def corrupt_other_nodes(store, run: str, keep: set[str]) -> None:
    """Every node row of ``run`` but ``keep`` made undecodable: a read that decodes one fails."""
    store._write(lambda c: c.execute("UPDATE nodes SET data='{not json' WHERE run=? AND id NOT IN (%s)"
                                     % ",".join("?" * len(keep)), (run, *keep)))


def test_match_nodes_finds_one_node_without_decoding_the_others(store):
    rows = fill_big(store, "big", 300)
    pod = rows[150]
    for selector in (pod["id"], pod["name"], pod["displayName"]):
        assert store.match_nodes("big", selector) == [pod]
    assert store.match_nodes("big", "nope") == []
    corrupt_other_nodes(store, "big", {pod["id"]})
    assert store.match_nodes("big", pod["id"]) == [pod]   # by id: a primary-key read
    with pytest.raises(ValueError):
        store.get_nodes("big")   # the old way (every node) does read them


def test_match_nodes_returns_two_for_a_shared_display_name(store):
    fill_big(store, "big", 5)
    rows = [json.loads(r[0]) for r in store._read("SELECT data FROM nodes WHERE run='big' AND id IN"
                                                  " ('big-1', 'big-2')")]
    for n in rows:
        n["displayName"] = "same"
    store.save("big", nodes=rows)
    assert sorted(n["id"] for n in store.match_nodes("big", "same")) == ["big-1", "big-2"]
    assert len(store.match_nodes("big", "same", limit=1)) == 1


def test_iter_node_rows_pages_every_node_in_id_order(store):
    rows = fill_big(store, "big", 1300)
    fill_big(store, "other", 7)
    got = list(store.iter_node_rows("big", page=100))
    assert [i for i, _ in got] == sorted(r["id"] for r in rows)
    assert {i: json.loads(t) for i, t in got} == {r["id"]: r for r in rows}
    assert list(store.iter_node_rows("missing")) == []


def test_nodes_digest_reads_pods_and_running_suspends_only(store):
    fill_big(store, "a", 3)
    store.create_run("b", {"metadata": {"name": "b"}}, uid="u")
    store.save("b", nodes=[{"id": "b", "type": "Steps", "phase": "Running"},
                           {"id": "b-1", "type": "Suspend", "phase": "Running"},
                           {"id": "b-2", "type": "Suspend", "phase": "Succeeded"},
                           {"id": "b-3", "type": "Pod", "phase": "Succeeded", "taskResultSynced": False,
                            "daemoned": True}])
    digest = store.list_nodes_digest(["a", "b"])
    assert sorted(digest["a"]) == ["a-0", "a-1", "a-2"]
    assert digest["b"] == {"b-1": {"id": "b-1", "type": "Suspend", "phase": "Running"},
                           "b-3": {"id": "b-3", "type": "Pod", "phase": "Succeeded", "taskResultSynced": False,
                                   "daemoned": True}}
    assert store.list_nodes_digest(["b"], pods=False) == {"b": {"b-1": digest["b"]["b-1"]}}


def test_rows_json_wrote_but_orjson_refuses_still_decode(store):
    """NaN and a lone surrogate: ``json.dumps`` writes them, orjson refuses them; the read falls back."""
    store.create_run("odd", {"metadata": {"name": "odd"}}, uid="u")
    node = {"id": "odd", "type": "Pod", "phase": "Succeeded", "message": "\ud800 half", "v": float("nan")}
    store.save("odd", nodes=[node])
    got = store.get_nodes("odd")["odd"]
    assert got["message"] == "\ud800 half" and got["v"] != got["v"]
    assert store.match_nodes("odd", "odd")[0]["message"] == "\ud800 half"


def test_a_full_name_match_wins_over_display_names(store):
    fill_big(store, "big", 5)
    rows = [json.loads(r[0]) for r in store._read("SELECT data FROM nodes WHERE run='big' AND id IN"
                                                  " ('big-1', 'big-2', 'big-3')")]
    rows[0]["name"] = "x"           # big-1: full name x
    rows[1]["displayName"] = "x"    # big-2, big-3: display name x
    rows[2]["displayName"] = "x"
    store.save("big", nodes=rows)
    assert [n["id"] for n in store.match_nodes("big", "x")] == ["big-1"]
