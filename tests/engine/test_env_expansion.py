"""Kubernetes' ``$(VAR)`` expansion in ``env[].value``, ``command`` and ``args``
(k8s.io/kubernetes/third_party/forked/golang/expansion), done by the engine for the backends
that make no real Pod. Real workflows, real processes: the step prints what it was given.
"""
from __future__ import annotations

import json

import pytest

from jupyter_flow.engine.podenv import expand
from tests.engine.workflows import by_name, run, wf

PRINT = ("import json, os, sys; print(json.dumps({'argv': sys.argv[1:], "
         "'env': {k: os.environ.get(k) for k in 'A B C D E F G H'.split()}}))")


def printer(env, args, name="show", command=("python3", "-c")):
    return {"name": name, "container": {"image": "python:3.12", "command": list(command), "args": [PRINT, *args],
                                        "env": env}}


ENV = [{"name": "A", "value": "1"},
       {"name": "B", "value": "x-$(A)"},          # an earlier variable
       {"name": "C", "value": "$$(A)"},           # escaped: stays $(A)
       {"name": "D", "value": "$(NOPE)"},         # undefined: stays as written
       {"name": "E", "value": "$(F)"},            # defined later: not yet, stays
       {"name": "F", "value": "2"},
       {"name": "G", "value": "$(A)$(F)-$$-$"},
       {"name": "H", "value": "$(HOME)"}]         # the host's variables are not the container's
ARGS = ["arg=$(B)", "esc=$$(A)", "undef=$(NOPE)", "late=$(F)", "dollar=$$", "lone=$", "open=$(B", "shell=$HOME"]
EXPECTED_ENV = {"A": "1", "B": "x-1", "C": "$(A)", "D": "$(NOPE)", "E": "$(F)", "F": "2", "G": "12-$-$",
                "H": "$(HOME)"}
EXPECTED_ARGV = ["arg=x-1", "esc=$(A)", "undef=$(NOPE)", "late=2", "dollar=$", "lone=$", "open=$(B", "shell=$HOME"]


def test_env_values_and_args_are_expanded_as_the_kubelet_does():
    r = run(wf([printer(ENV, ARGS, name="main")]))
    assert r.phase == "Succeeded", r.to_dict()["status"].get("message")
    got = json.loads(r.node(r.name)["outputs"]["result"])
    assert got["env"] == EXPECTED_ENV
    assert got["argv"] == EXPECTED_ARGV


def test_command_is_expanded_too_and_in_a_container_set():
    env = [{"name": "PY", "value": "python3"}, {"name": "FLAG", "value": "-c"}]
    doc = wf([{"name": "main", "steps": [[{"name": "show", "template": "show"}, {"name": "set", "template": "set"}]]},
              printer(env, ["$(PY)"], command=("$(PY)", "$(FLAG)")),
              {"name": "set", "containerSet": {"containers": [
                  {"name": "main", "image": "python:3.12", "command": ["$(PY)", "-c"], "env": ENV + env,
                   "args": [PRINT, *ARGS]}]}}])
    r = run(doc)
    assert r.phase == "Succeeded", r.to_dict()["status"].get("message")
    nodes = by_name(r)
    assert json.loads(nodes["show"]["outputs"]["result"])["argv"] == ["python3"]
    got = json.loads(nodes["set"]["outputs"]["result"])
    assert got["env"] == EXPECTED_ENV and got["argv"] == EXPECTED_ARGV


@pytest.mark.parametrize("text, expected", [
    ("$(A)", "va"), ("$$(A)", "$(A)"), ("$$$(A)", "$va"), ("$$$$(A)", "$$(A)"), ("$(A", "$(A"),
    ("$()", "$()"), ("$(A)$(B)", "vavb"), ("$", "$"), ("a$", "a$"), ("$x", "$x"), ("$(A)(B)", "va(B)"),
    ("é$(A)é", "évaé"), ("$($(A))", "$($(A))"), ("$(a b)", "$(a b)"),
])
def test_expand_matches_the_go_function(text, expected):
    # kubernetes/third_party/forked/golang/expansion/expand_test.go cases, and the ones around them
    assert expand(text, {"A": "va", "B": "vb"}) == expected


def test_dask_steps_get_the_expansion_too(flow_home):
    pytest.importorskip("distributed", reason="dask[distributed] is not installed")
    from distributed import LocalCluster
    cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None)
    try:
        (flow_home / "config.yaml").write_text(f"dask:\n  address: {cluster.scheduler_address}\n")
        r = run(wf([printer(ENV, ARGS, name="main")]), backend="dask")
        assert r.phase == "Succeeded", r.to_dict()["status"].get("message")
        got = json.loads(r.node(r.name)["outputs"]["result"])
        assert got["env"] == EXPECTED_ENV and got["argv"] == EXPECTED_ARGV
    finally:
        from jupyter_flow.executors.dask import _close_clients
        _close_clients()
        cluster.close()
