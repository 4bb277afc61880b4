"""Top-to-bottom layered layout of a run's picture, computed server/kernel side (pure)."""
from __future__ import annotations

from typing import Iterable, Mapping

from .elements import GEdge, GNode
from .style import NODE_HEIGHT, NODE_SEP, RANK_SEP, node_width


def layered_positions(nodes: Mapping[str, GNode], edges: Iterable[GEdge], *, sweeps: int = 4) -> dict[str, dict]:
    """Top-to-bottom layered layout (what dagre draws, in O((n + e) * sweeps) Python).

    Rank = longest path from a source; order within a rank by barycentre sweeps (down, then up);
    x = each node as close to its median parent's x as the rank's order and spacing allow.
    Returns ``{id: {"x": .., "y": ..}}`` for every node.
    """
    from collections import deque

    ids = list(nodes)
    succ: dict[str, list[str]] = {i: [] for i in ids}
    pred: dict[str, list[str]] = {i: [] for i in ids}
    for e in edges:
        if e.source in succ and e.target in succ and e.source != e.target:
            succ[e.source].append(e.target)
            pred[e.target].append(e.source)
    indeg = {i: len(pred[i]) for i in ids}
    rank = dict.fromkeys(ids, 0)
    queue = deque(i for i in ids if indeg[i] == 0)
    seen: list[str] = []
    while queue:
        i = queue.popleft()
        seen.append(i)
        for j in succ[i]:
            if rank[i] + 1 > rank[j]:
                rank[j] = rank[i] + 1
            indeg[j] -= 1
            if indeg[j] == 0:
                queue.append(j)
    if len(seen) < len(ids):      # a cycle (never in a DAG of Argo nodes): put the rest below
        low = max(rank.values(), default=0) + 1
        done = set(seen)
        for i in ids:
            if i not in done:
                rank[i] = low
                seen.append(i)
    layers: list[list[str]] = [[] for _ in range(max(rank.values(), default=-1) + 1)]
    for i in seen:                # discovery order keeps siblings together
        layers[rank[i]].append(i)
    pos = {i: k for layer in layers for k, i in enumerate(layer)}

    def sort_by(layer: list[str], nbrs: dict[str, list[str]]) -> None:
        def key(i: str) -> float:
            ns = nbrs[i]
            return sum(pos[n] for n in ns) / len(ns) if ns else pos[i]
        layer.sort(key=key)
        for k, i in enumerate(layer):
            pos[i] = k
    for _ in range(sweeps):
        for layer in layers[1:]:
            sort_by(layer, pred)
        for layer in reversed(layers[:-1]):
            sort_by(layer, succ)
    width = {i: node_width(nodes[i]) for i in ids}
    x: dict[str, float] = {}
    for r, layer in enumerate(layers):
        # under the (lower) median parent: straight chains, and no drift where nodes have two parents
        placed = [[x[p] for p in pred[i] if p in x] for i in layer]    # parents in ranks above
        want: list[float | None] = [sorted(px)[(len(px) - 1) // 2] if px else None for px in placed]
        xs: list[float] = []
        cursor = float("-inf")
        packed = 0.0
        for k, i in enumerate(layer):
            half = width[i] / 2
            if want[k] is None:
                want[k] = packed + half
            left = max(want[k] - half, cursor)
            xs.append(left + half)
            cursor = left + width[i] + NODE_SEP
            packed = cursor
        wanted = [w for w in want if w is not None]
        shift = (sum(wanted) / len(wanted) - sum(xs) / len(xs)) if r and xs else -(sum(xs) / len(xs) if xs else 0.0)
        for i, xi in zip(layer, xs):
            x[i] = xi + shift
    return {i: {"x": round(x[i], 1), "y": rank[i] * (NODE_HEIGHT + RANK_SEP)} for i in ids}

