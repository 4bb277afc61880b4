"""``python -m jupyter_flow.engine.daemon RUN``: the detached engine behind ``jupyter-flow submit``.

It owns the run until it finishes; ``resume``/``stop`` from other processes reach it through
the store's request table.
"""
from __future__ import annotations

import asyncio
import os
import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from ..store import open_store
    from ..store.db import registry_for
    from .controller import Controller

    store = open_store()
    name = argv[0]
    rec = store.get_run(name, with_nodes=bool(argv[1:2] == ["--retry"]))
    if rec is None:
        print(f"no run {name!r}", file=sys.stderr)
        return 2
    store.save(name, run_fields={"owner_pid": os.getpid()})
    from ..backends import registry as backends
    chosen = backends.backends.get(rec.backend)
    if chosen.remote:   # follow the remote run until it finishes, mirroring it into the store
        handle = chosen.load().start(name, rec.workflow, store, backends.settings_for(chosen.name), thread=False)
        return 0 if handle.phase == "Succeeded" else 1
    ctl = Controller(rec.workflow, name=name, store=store, uid=rec.uid, registry=registry_for(store),
                     executor=backends.make_executor(chosen.name))
    if rec.nodes:
        ctl.preload(rec.nodes)
    phase = asyncio.run(ctl.run())
    return 0 if phase == "Succeeded" else 1


if __name__ == "__main__":
    sys.exit(main())
