"""Argo Server's selectors, ``fields`` and name rules, without HTTP."""
from __future__ import annotations

import pytest

from jupyter_flow.argoserver.errors import ArgoError
from jupyter_flow.argoserver.shape import (Cleaner, check_name, check_namespace, labels_match,
                                           parse_field_selector, parse_label_selector, without_nulls)


@pytest.mark.parametrize("selector, labels, hit", [
    ("team=data", {"team": "data"}, True),
    ("team==data", {"team": "ml"}, False),
    ("team!=data", {}, True),
    ("team in (data, ml)", {"team": "ml"}, True),
    ("team notin (data,ml)", {"team": "ml"}, False),
    ("team notin (data)", {}, True),
    ("team,!gone", {"team": "x"}, True),
    ("!team", {"team": "x"}, False),
    ("workflows.argoproj.io/completed!=true,team=data", {"team": "data",
                                                         "workflows.argoproj.io/completed": "false"}, True),
])
def test_label_selectors_as_kubernetes_reads_them(selector, labels, hit):
    assert labels_match(labels, parse_label_selector(selector)) is hit


@pytest.mark.parametrize("bad", ["team=(x", "=x", "a b", "team in x", "!team=x", "team=a,", "x" * 5000])
def test_a_bad_label_selector_is_invalid_argument(bad):
    with pytest.raises(ArgoError) as err:
        parse_label_selector(bad)
    assert err.value.code == 3 and err.value.status == 400


def test_field_selectors_name_and_namespace_only():
    assert parse_field_selector("metadata.name=a,metadata.namespace!=b") == [
        ("metadata.name", True, "a"), ("metadata.namespace", False, "b")]
    with pytest.raises(ArgoError):
        parse_field_selector("status.phase=Running")


def test_fields_keeps_or_drops_paths_as_argo_does():
    wl = {"metadata": {"resourceVersion": "1"},
          "items": [{"metadata": {"name": "a", "uid": "u"}, "status": {"phase": "Running", "nodes": {"x": {}}}}]}
    kept = Cleaner("metadata,items.metadata.name,items.status.phase").clean(wl)
    assert kept == {"metadata": {"resourceVersion": "1"},
                    "items": [{"metadata": {"name": "a"}, "status": {"phase": "Running"}}]}
    dropped = Cleaner("-items.status.nodes").clean(wl)
    assert dropped["items"][0]["status"] == {"phase": "Running"}
    assert Cleaner("-items.status.nodes").will_exclude("items.status.nodes")
    assert not Cleaner("items.status.nodes").will_exclude("items.status.nodes")
    assert Cleaner(None).clean(wl) is wl


@pytest.mark.parametrize("name", ["../etc", "A", "a/b", "", "-a", "a" * 254, "a..b", None, 3])
def test_hostile_names_refused(name):
    with pytest.raises(ArgoError):
        check_name(name)


@pytest.mark.parametrize("ns", ["Default", "a.b", "a" * 64, "", "../x"])
def test_hostile_namespaces_refused(ns):
    with pytest.raises(ArgoError):
        check_namespace(ns)


def test_nulls_are_left_out():
    assert without_nulls({"a": None, "b": [{"c": None, "d": 1}]}) == {"b": [{"d": 1}]}
