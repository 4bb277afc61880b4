"""Validated workflows remembered by document text (spec/cache.py, used by api.load_document)."""
from __future__ import annotations

import pytest

from jupyter_flow import api
from jupyter_flow.errors import SpecError
from jupyter_flow.spec import cache
from jupyter_flow.store import Store

WF = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: cached-}
spec:
  entrypoint: main
  arguments: {parameters: [{name: p, value: "1"}]}
  templates:
  - name: main
    container: {image: busybox, command: [echo, "{{workflow.parameters.p}}"]}
"""

REF = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: ref-}
spec:
  workflowTemplateRef: {name: stored}
"""

TEMPLATE = {"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate", "metadata": {"name": "stored"},
            "spec": {"entrypoint": "main", "templates": [{"name": "main", "container": {
                "image": "busybox", "command": ["true"]}}]}}


@pytest.fixture
def store(tmp_path):
    cache.clear()
    yield Store(tmp_path)
    cache.clear()


def test_the_same_text_is_validated_once_and_every_call_gets_its_own_copy(store, monkeypatch):
    first = api.load_document(WF, store=store, options={"parameters": None}).data
    calls = []
    import jupyter_flow.spec as specmod
    monkeypatch.setattr(specmod, "validate", lambda *a, **k: calls.append(1) or [])
    second = api.load_document(WF, store=store, options={"parameters": None}).data
    third = api.load_document(WF, store=store, options={"parameters": None}).data
    assert calls == []
    assert first == second == third
    second["spec"]["templates"][0]["container"]["command"].append("changed")
    second["metadata"]["name"] = "mine"
    assert api.load_document(WF, store=store, options={"parameters": None}).data == first
    assert third["spec"]["templates"][0]["container"]["command"] == ["echo", "{{workflow.parameters.p}}"]


def test_options_are_part_of_the_key(store):
    a = api.load_document(WF, store=store, options={"parameters": {"p": "2"}}).data
    b = api.load_document(WF, store=store, options={"parameters": {"p": "3"}}).data
    c = api.load_document(WF, store=store, options={"parameters": {"p": "2"}, "entrypoint": None}).data
    assert a["spec"]["arguments"]["parameters"] == [{"name": "p", "value": "2"}]
    assert b["spec"]["arguments"]["parameters"] == [{"name": "p", "value": "3"}]
    assert c == a


def test_a_created_run_does_not_change_the_cached_workflow(store):
    name1, wf1 = api.create(WF, store=store)
    name2, wf2 = api.create(WF, store=store)
    assert name1 != name2 and wf1["metadata"]["name"] == name1 and wf2["metadata"]["name"] == name2
    assert wf1["metadata"]["uid"] != wf2["metadata"]["uid"]
    assert "name" not in api.load_document(WF, store=store, options={}).data["metadata"]


def test_invalid_text_is_reported_every_time(store):
    bad = WF.replace("entrypoint: main", "entrypoint: nowhere")
    for _ in range(2):
        with pytest.raises(SpecError):
            api.load_document(bad, store=store)


def test_a_result_that_used_the_registry_is_not_kept(store):
    with pytest.raises(SpecError):   # the template is not stored yet
        api.load_document(REF, store=store)
    store.put_template("WorkflowTemplate", "stored", TEMPLATE)
    assert api.load_document(REF, store=store).data["spec"]["workflowTemplateRef"] == {"name": "stored"}
    store.delete_template("WorkflowTemplate", "stored")
    with pytest.raises(SpecError):   # gone again: checked again, not answered from memory
        api.load_document(REF, store=store)


def test_paths_and_dicts_are_not_cached(store, tmp_path):
    path = tmp_path / "wf.yaml"
    path.write_text(WF)
    api.load_document(str(path), store=store)
    path.write_text(WF.replace("entrypoint: main", "entrypoint: nowhere"))
    with pytest.raises(SpecError) as err:
        api.load_document(str(path), store=store)
    assert err.value.errors[0].file == str(path)   # read as the file it names, not as YAML text
    assert not cache._entries


def test_the_cache_is_bounded(store, monkeypatch):
    monkeypatch.setattr(cache, "MAX_ENTRIES", 3)
    for i in range(5):
        api.load_document(WF.replace("cached-", f"cached{i}-"), store=store)
    assert len(cache._entries) == 3
