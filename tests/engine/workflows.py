"""Small builders for the inline workflows of the engine tests (run with real processes)."""
from __future__ import annotations

import jupyter_flow

ALPINE = {"image": "alpine:3.23", "command": ["sh", "-c"]}


def wf(templates, entrypoint="main", **spec):
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
            "metadata": {"generateName": "t-"},
            "spec": {"entrypoint": entrypoint, "templates": templates, **spec}}


def sh(name, script, **extra):
    return {"name": name, "container": dict(ALPINE, args=[script]), **extra}


def run(doc, **kw):
    r = jupyter_flow.submit(doc, wait=True, timeout=60, **kw)
    assert r.finished, r.phase
    return r


def by_name(r):
    return {n["displayName"]: n for n in r.nodes.values()}


def logs(r, name):
    return r.logs(r.node(name)["id"]).strip()
