"""``jupyter-flow cache list|clear|explain RUN NODE``: the content step cache (engine/stepcache.py)."""
from __future__ import annotations

import json
import sys
import time


def cmd_cache(a) -> int:
    from ..render import escape_text, format_duration
    from ..store import open_store
    store = open_store()
    if a.action == "explain":
        if len(a.args) != 2:
            print("cache explain: give RUN NODE", file=sys.stderr)
            return 1
        from ..engine.explain import explain
        # its own lines kept, each escaped: a value from a step cannot recolour or fake a line
        print("\n".join(escape_text(line) for line in explain(a.args[0], a.args[1], store=store).split("\n")))
        return 0
    if a.args:
        print(f"cache {a.action}: takes no arguments", file=sys.stderr)
        return 1
    if a.action == "clear":
        n = store.stepcache_clear()
        print(f"cleared {n} cached step{'s' * (n != 1)}")
        return 0
    rows = store.stepcache_entries(shared=True, limit=10_000)
    if a.output == "json":
        print(json.dumps([{k: r[k] for k in ("key", "ident", "run", "node", "created_at")} for r in rows], indent=2))
        return 0
    now = time.time()
    lines = [("KEY", "TEMPLATE", "RUN", "NODE", "AGE")]
    lines += [(r["key"][:16], escape_text(r["ident"]), escape_text(r["run"]), escape_text(r["node"]),
               format_duration(max(0.0, now - r["created_at"]))) for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(5)]
    for line in lines:
        print("   ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip())
    return 0
