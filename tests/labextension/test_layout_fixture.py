"""The runs panel (labextension/src/layout.ts) and the notebook widget (notebook/graph.py) lay a run
out with the same algorithm: the jest test checks layout.ts against positions computed here.

If ``layered_positions`` changes on purpose: ``python -m tests.labextension.test_layout_fixture``.
"""
from __future__ import annotations

import json
from pathlib import Path

FIXTURE = Path(__file__).resolve().parents[2] / "labextension" / "test" / "layout.fixture.json"


def case(n: int = 40, width: int = 7) -> dict:
    """A DAG under a root: layers of ``width``, each node under one or two of the layer above."""
    from jupyter_flow.notebook.graph import GEdge, GNode, layered_positions

    nodes = {"root": GNode(id="root", label="root", classes="DAG Running", tip="")}
    edges = []
    ids = [f"n{i}" for i in range(n)]
    for i, nid in enumerate(ids):
        k, j = divmod(i, width)
        nodes[nid] = GNode(id=nid, label=f"t{k}-{j}" + "x" * (i % 5), classes="Pod Pending", tip="")
        if k == 0:
            edges.append(GEdge("root", nid))
        else:
            edges.append(GEdge(ids[(k - 1) * width + j], nid))
            if j % 2 == 0 and j + 1 < width and (k - 1) * width + j + 1 < n:
                edges.append(GEdge(ids[(k - 1) * width + j + 1], nid))
    return {"labels": {i: g.label for i, g in nodes.items()}, "ids": list(nodes),
            "edges": [[e.source, e.target] for e in edges], "positions": layered_positions(nodes, edges)}


def test_the_jest_fixture_is_what_the_python_layout_computes():
    assert json.loads(FIXTURE.read_text()) == case(), \
        "notebook/graph.py's layout changed: python -m tests.labextension.test_layout_fixture, then port it to layout.ts"


if __name__ == "__main__":
    FIXTURE.write_text(json.dumps(case(), indent=0) + "\n")
    print(f"wrote {FIXTURE}")
