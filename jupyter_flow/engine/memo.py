"""memoize: reuse a template's outputs across local runs (docs/memoization.md).

The cache named by ``memoize.cache.configMap.name`` lives in the store's ``memo`` table; an
entry older than ``maxAge`` is a miss. Only successful nodes are saved, as in Argo.
"""
from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING

from .. import expr
from .durations import parse_duration
from .nodes import SUCCEEDED

if TYPE_CHECKING:
    from .call import Call


@contextlib.asynccontextmanager
async def memoized(call: "Call", node, local: dict):
    memo = call.tmpl.get("memoize")
    ctl = call.ctl
    if not memo or ctl.store is None:
        yield False
        return
    memo = expr.substitute_obj(memo, ctl.scope(local))
    key = str(memo.get("key", ""))
    cache = ((memo.get("cache") or {}).get("configMap") or {}).get("name", "default")
    entry = ctl.store.memo_get(cache, key)
    max_age = memo.get("maxAge")
    if entry is not None:
        data, created = entry
        if not max_age or time.time() - created <= parse_duration(max_age):
            node.outputs = data.get("outputs")
            node.memoization = {"hit": True, "key": key, "cacheName": cache}
            ctl.set_phase(node, SUCCEEDED)
            yield True
            return
    node.memoization = {"hit": False, "key": key, "cacheName": cache}
    yield False
    if node.phase == SUCCEEDED:
        ctl.store.memo_put(cache, key, {"outputs": node.outputs, "nodeID": node.id})
