"""``python -m jupyter_flow.backends.detached RUN [--retry]``: the process a detached run lives in
(``jupyter-flow submit`` without --wait, the Jupyter server, cron, ``retry``).

It records itself as the run's owner and serves the run on its backend until it ends: the
embedded engine for an executor backend (``--retry``: continuing from the nodes in the store), or
following the cluster's run for a remote one. ``resume``/``stop`` from other processes reach it
through the store's request table.
"""
from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from ..store import open_store
    from .registry import backends

    store = open_store()
    name = argv[0]
    rec = store.get_run(name, with_nodes=bool(argv[1:2] == ["--retry"]))
    if rec is None:
        print(f"no run {name!r}", file=sys.stderr)
        return 2
    store.save(name, run_fields={"owner_pid": os.getpid()})
    return 0 if backends.get(rec.backend).serve(rec, store) == "Succeeded" else 1


if __name__ == "__main__":
    sys.exit(main())
