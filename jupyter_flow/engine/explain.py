"""``jupyter-flow cache explain RUN NODE``: why a step's content key (engine/stepcache.py) did or
did not match, as the differences from the nearest earlier entry of the same template."""
from __future__ import annotations

import difflib
import json

from ..errors import JupyterFlowError


def _short(value: object, limit: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _source_lines(old: str, new: str) -> list[str]:
    out = []
    a, b = old.splitlines(), new.splitlines()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "replace":
            common = min(i2 - i1, j2 - j1)
            out += [f"source line {j1 + k + 1} changed" for k in range(common)]
            out += [f"source line {j} added" for j in range(j1 + common + 1, j2 + 1)]
            out += [f"source line {i} removed" for i in range(i1 + common + 1, i2 + 1)]
        elif tag == "insert":
            out += [f"source line {j} added" for j in range(j1 + 1, j2 + 1)]
        elif tag == "delete":
            out += [f"source line {i} removed (was line {i} of the earlier source)" for i in range(i1 + 1, i2 + 1)]
    return out


def _named(kind: str, old: dict, new: dict, fmt) -> list[str]:
    out = []
    for name in sorted(set(old) | set(new), key=str):
        if name not in old:
            out.append(f"{kind} `{name}` added")
        elif name not in new:
            out.append(f"{kind} `{name}` removed")
        elif old[name] != new[name]:
            out.append(fmt(name, old[name], new[name]))
    return out


def differences(old: dict, new: dict) -> list[str]:
    """What differs between two steps' key materials, one phrase each, most telling first."""
    out: list[str] = []
    if old.get("v") != new.get("v"):
        out.append(f"cache format {old.get('v')} → {new.get('v')}")
    if old.get("backend") != new.get("backend"):
        out.append(f"backend {old.get('backend')} → {new.get('backend')}")
    oc, nc = old.get("container") or {}, new.get("container") or {}
    if "_raw" not in old or old.get("_raw") != new.get("_raw"):   # else only its inputs' values differ
        out += _source_lines(str(oc.get("source") or ""), str(nc.get("source") or ""))
    env = lambda c: {e.get("name"): e for e in c.get("env") or [] if isinstance(e, dict)}  # noqa: E731
    out += _named("env", env(oc), env(nc), lambda n, a, b: f"env `{n}` changed")
    for field in sorted((set(oc) | set(nc)) - {"source", "env"}):
        if oc.get(field) != nc.get(field):
            if field == "image":
                out.append(f"image {_short(oc.get(field))} → {_short(nc.get(field))}")
            else:
                out.append(f"{field} {_short(oc.get(field))} → {_short(nc.get(field))}")
    out += _named("input", old.get("parameters") or {}, new.get("parameters") or {},
                  lambda n, a, b: f"input `{n}` {_short(a)} → {_short(b)}")
    out += _named("artifact", old.get("artifacts") or {}, new.get("artifacts") or {},
                  lambda n, a, b: f"artifact `{n}` content changed")
    out += _named("volume", old.get("volumes") or {}, new.get("volumes") or {}, lambda n, a, b: f"volume `{n}` changed")
    if (old.get("outputs") or {}) != (new.get("outputs") or {}):
        out.append("declared outputs differ")
    if old.get("kind") != new.get("kind"):
        out.append(f"template kind {old.get('kind')} → {new.get('kind')}")
    return out


def explain(run: str, node: str, *, store=None) -> str:
    """A few lines: the node's key, whether it was a hit, and else what differs from the nearest
    earlier entry of the same template (``input `lr` 0.1 → 0.01``, ``source line 3 changed``)."""
    from ..nodesel import one
    from ..store import open_store
    store = store or open_store()
    nodes = store.get_nodes(run)
    if not nodes and not store.exists(run):
        from ..errors import RunNotFound
        raise RunNotFound(f"workflow {run!r} not found")
    picked = one(nodes, node)
    if picked is None:
        raise JupyterFlowError(f"{run}: no node {node!r}")
    label = picked.get("displayName") or picked.get("name")
    rows = store.stepcache_entries(run=run, node=picked["id"], limit=1)
    if not rows:
        return (f"{label}: no content key was recorded (not a container/script step, a template with memoize "
                "or the jupyter-flow.io/cache: \"false\" annotation, an input artifact fetched from outside, "
                "or a step that never started)")
    entry = rows[0]
    key = entry["key"]
    memo = picked.get("memoizationStatus") or {}
    if memo.get("hit") and memo.get("cacheName") == "jupyter-flow":
        return f"{label}: cache hit, key {key[:16]}: nothing it depends on differs from a cached run of it"
    earlier = [r for r in store.stepcache_entries(ident=entry["ident"], limit=200)
               if r["created_at"] < entry["created_at"] and (r["run"], r["node"]) != (run, picked["id"])]
    if not earlier:
        return f"{label}: key {key[:16]}: no earlier entry of template {entry['ident']} to compare with"
    new = json.loads(entry["material"])
    # the closest earlier entry: fewest differences, the newest of those
    scored = [(len(differences(json.loads(r["material"]), new)) if r["key"] != key else 0, i, r)
              for i, r in enumerate(earlier)]
    prev = min(scored, key=lambda t: (t[0], t[1]))[2]
    head = f"{label}: key {key[:16]}; against {prev['run']}/{prev['node']} (key {prev['key'][:16]}):"
    if prev["key"] == key:
        why = ("it failed there" if not prev["ok"] else
               "the cache was off for this run (use --cache or --continue)")
        return f"{head} same key, not reused: {why}"
    diffs = differences(json.loads(prev["material"]), new)
    return head + "\n  " + "\n  ".join(diffs or ["the key differs in a field explain does not name"])
