"""The content step cache and edit-and-continue (engine/stepcache.py), with real runs whose steps
count their executions in a file outside the run (a hit must start no process)."""
from __future__ import annotations

import copy
import shutil
import tempfile
from pathlib import Path

import pytest

from jupyter_flow.engine import stepcache
from tests.engine.workflows import by_name, logs, run, wf


@pytest.fixture
def marks():
    """Where steps count their runs: outside /tmp (a step's /tmp is its own when it is sandboxed)."""
    path = Path(tempfile.mkdtemp(dir="/var/tmp", prefix="jf-marks-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _script(name, source, **extra):
    return {"name": name, "script": {"image": "python:3.12", "command": ["sh"], "source": source}, **extra}


def _doc(marks, *, lr="0.1", train_extra="", gate=False):
    """prep -> train(lr) -> report; prep makes an artifact train reads; each counts its runs."""
    return wf([
        {"name": "main", "dag": {"tasks": [
            {"name": "prep", "template": "prep"},
            {"name": "train", "template": "train", "depends": "prep",
             "arguments": {"parameters": [{"name": "lr", "value": lr}],
                           "artifacts": [{"name": "data", "from": "{{tasks.prep.outputs.artifacts.data}}"}]}},
            {"name": "report", "template": "report", "depends": "train",
             "arguments": {"parameters": [{"name": "m", "value": "{{tasks.train.outputs.result}}"}]}}]}},
        _script("prep", f"echo run >> {marks}/prep\necho rows > /work/data.txt\necho prepared",
                outputs={"artifacts": [{"name": "data", "path": "/work/data.txt"}]}),
        _script("train", f"echo run >> {marks}/train\n"
                         + (f"test -e {marks}/ok || exit 3\n" if gate else "")
                         + f"{train_extra}echo \"model lr={{{{inputs.parameters.lr}}}} $(cat /in/data.txt)\"",
                inputs={"parameters": [{"name": "lr"}], "artifacts": [{"name": "data", "path": "/in/data.txt"}]}),
        _script("report", f"echo run >> {marks}/report\necho 'report: {{{{inputs.parameters.m}}}}'",
                inputs={"parameters": [{"name": "m"}]}),
    ])


def _count(marks, step):
    p = marks / step
    return len(p.read_text().splitlines()) if p.exists() else 0


def _counts(marks):
    return {s: _count(marks, s) for s in ("prep", "train", "report")}


def test_unchanged_rerun_starts_no_process(marks):
    first = run(_doc(marks), cache=True)
    assert first.phase == "Succeeded" and _counts(marks) == {"prep": 1, "train": 1, "report": 1}
    again = run(_doc(marks), cache=True)
    assert again.phase == "Succeeded"
    assert _counts(marks) == {"prep": 1, "train": 1, "report": 1}   # no step process started
    nodes = by_name(again)
    for step in ("prep", "train", "report"):
        memo = nodes[step]["memoizationStatus"]
        assert memo["hit"] is True and memo["cacheName"] == "jupyter-flow" and len(memo["key"]) == 64
    assert logs(again, "report") == "report: model lr=0.1 rows"        # the log is there
    assert again.outputs[nodes["train"]["id"]]["result"] == "model lr=0.1 rows"
    # the reused artifact is in the new run's own artifact store, under the new node's id
    art = nodes["prep"]["outputs"]["artifacts"][0]
    assert art["local"]["key"].startswith(nodes["prep"]["id"] + "/")
    from jupyter_flow.store import open_store
    assert (open_store().artifact_dir(again.name) / art["local"]["key"]).read_text() == "rows\n"
    # deleting the first run does not break a hit: the shared entry holds its own files
    first.delete()
    assert not open_store().artifact_dir(first.name).exists()
    third = run(_doc(marks), cache=True)
    assert third.phase == "Succeeded" and _counts(marks)["report"] == 1
    assert logs(third, "report") == "report: model lr=0.1 rows"
    # the cache area is private
    home = open_store().home / "cache"
    assert home.stat().st_mode & 0o077 == 0
    assert all(p.stat().st_mode & 0o077 == 0 for p in home.rglob("*") if not p.is_symlink())


def test_cache_is_off_by_default(marks):
    run(_doc(marks))
    run(_doc(marks))
    assert _counts(marks) == {"prep": 2, "train": 2, "report": 2}


def test_a_template_change_reruns_that_node_and_its_dependants(marks):
    run(_doc(marks), cache=True)
    edited = run(_doc(marks, train_extra="echo tuned >&2\n"), cache=True)
    assert edited.phase == "Succeeded"
    assert _counts(marks) == {"prep": 1, "train": 2, "report": 1}   # report's input is unchanged
    nodes = by_name(edited)
    assert nodes["prep"]["memoizationStatus"]["hit"] and "memoizationStatus" not in nodes["train"]
    changed = run(_doc(marks, lr="0.01"), cache=True)
    assert _counts(marks) == {"prep": 1, "train": 3, "report": 2}   # its new result reaches report
    from jupyter_flow.engine.explain import explain
    why = explain(changed.name, "train")
    assert "input `lr` 0.1 → 0.01" in why and "source" not in why
    why_edit = explain(edited.name, "train")
    assert "source line 2 added" in why_edit and "changed" not in why_edit
    assert "hit" in explain(changed.name, "prep")


def test_explain_names_a_changed_source_line(marks):
    run(_doc(marks, train_extra="echo a\n"), cache=True)
    second = run(_doc(marks, train_extra="echo b\n"), cache=True)
    from jupyter_flow.engine.explain import explain
    assert explain(second.name, "train").endswith("source line 2 changed")


def test_artifact_content_change_misses(marks):
    doc = _doc(marks)
    run(doc, cache=True)
    doc2 = copy.deepcopy(doc)
    prep = doc2["spec"]["templates"][1]
    prep["script"]["source"] = prep["script"]["source"].replace("echo rows", "echo other-rows")
    second = run(doc2, cache=True)
    assert _counts(marks) == {"prep": 2, "train": 2, "report": 2}
    from jupyter_flow.engine.explain import explain
    assert "artifact `data` content changed" in explain(second.name, "train")


def test_opt_out_annotation_always_runs(marks):
    doc = _doc(marks)
    doc["spec"]["templates"][1]["metadata"] = {"annotations": {"jupyter-flow.io/cache": "false"}}
    run(doc, cache=True)
    again = run(doc, cache=True)
    assert _count(marks, "prep") == 2 and "memoizationStatus" not in by_name(again)["prep"]
    assert _count(marks, "train") == 1   # the same artifact content: train still hits


def test_memoize_keeps_argo_semantics(marks):
    doc = _doc(marks)
    doc["spec"]["templates"][1]["memoize"] = {"key": "prep-v1", "maxAge": "1h", "cache": {"configMap": {"name": "mine"}}}
    run(doc, cache=True)
    again = run(doc, cache=True)
    assert by_name(again)["prep"]["memoizationStatus"] == {"hit": True, "key": "prep-v1", "cacheName": "mine"}
    assert _count(marks, "prep") == 1


def test_failed_steps_are_never_cached_and_continue_reruns_only_them(marks):
    failed = run(_doc(marks, gate=True))             # cache off: any run can be continued from
    assert failed.phase == "Failed" and _counts(marks) == {"prep": 1, "train": 1, "report": 0}
    retried = run(_doc(marks, gate=True), cache=True)
    assert retried.phase == "Failed" and _count(marks, "train") == 2   # the failure was not reused
    (marks / "ok").touch()
    fixed = run(_doc(marks, gate=True), continue_from=failed)
    assert fixed.phase == "Succeeded"
    assert _counts(marks) == {"prep": 2, "train": 3, "report": 1}   # prep ran in `retried` (cache on, miss)
    nodes = by_name(fixed)
    assert nodes["prep"]["memoizationStatus"]["hit"] and "memoizationStatus" not in nodes["train"]


def test_continue_after_fixing_a_failed_step(marks):
    failed = run(_doc(marks, gate=True))
    (marks / "ok").touch()
    fixed = run(_doc(marks, gate=True, train_extra="echo fixed >&2\n"), continue_from=failed.name)
    assert fixed.phase == "Succeeded"
    assert _counts(marks) == {"prep": 1, "train": 2, "report": 1}
    assert by_name(fixed)["prep"]["memoizationStatus"]["hit"] is True


def test_key_covers_backend_and_format():
    mat = {"v": stepcache.FORMAT, "backend": "local", "container": {"image": "a"}, "parameters": {}, "artifacts": {}}
    other = dict(mat, backend="container")
    assert stepcache.key_of(mat) != stepcache.key_of(other)
    assert stepcache.key_of(mat) == stepcache.key_of(dict(reversed(list(mat.items()))))   # canonical


def test_a_sweep_shares_its_data_preparation(marks):
    """Three points, two at once: prep (which no swept value reaches) runs once for the grid, the
    run that started beside the first waits for it instead of running it again."""
    import jupyter_flow
    doc = _doc(marks)
    doc["spec"]["arguments"] = {"parameters": [{"name": "lr", "value": "0.1"}]}
    doc["spec"]["templates"][0]["dag"]["tasks"][1]["arguments"]["parameters"][0]["value"] = \
        "{{workflow.parameters.lr}}"
    exp = jupyter_flow.sweep(doc, {"lr": ["0.1", "0.01", "0.001"]}, parallelism=2, wait=True, cache=True)
    assert exp.phase == "Succeeded"
    assert _counts(marks) == {"prep": 1, "train": 3, "report": 3}


def test_deleting_a_run_forgets_its_own_records_not_the_shared_cache(marks):
    from jupyter_flow.errors import RunNotFound
    from jupyter_flow.store import open_store
    store = open_store()
    plain = run(_doc(marks))
    cached = run(_doc(marks), cache=True)
    assert len(store.stepcache_entries(run=plain.name)) == 3
    plain.delete()
    cached.delete()
    assert store.stepcache_entries(run=plain.name) == []
    assert len(store.stepcache_entries(run=cached.name, shared=True)) == 3   # still reusable
    with pytest.raises(RunNotFound):
        run(_doc(marks), continue_from=plain.name)
    again = run(_doc(marks), cache=True)
    assert _counts(marks) == {"prep": 2, "train": 2, "report": 2} and again.phase == "Succeeded"


def test_init_containers_are_part_of_the_key(marks):
    def doc(word):
        return wf([{"name": "main", "initContainers": [
            {"name": "init", "image": "alpine", "command": ["sh", "-c", f"echo {word} >> {marks}/init"]}],
            "script": {"image": "python", "command": ["sh"], "source": f"echo run >> {marks}/main"}}])
    run(doc("a"), cache=True)
    again = run(doc("a"), cache=True)
    assert by_name(again)[again.name]["memoizationStatus"]["hit"] is True
    assert _count(marks, "init") == 1 and _count(marks, "main") == 1
    changed = run(doc("b"), cache=True)
    assert changed.phase == "Succeeded" and _count(marks, "init") == 2 and _count(marks, "main") == 2
