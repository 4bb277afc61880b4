"""What commands print: a run as ``argo get`` shows it (or json/yaml/name), ``--watch``, and
the pods' logs as ``argo logs`` streams them."""
from __future__ import annotations

import json
import sys
import time
from typing import TYPE_CHECKING, Any

from ..phases import FINISHED

from ..store.logtail import tail_offset  # noqa: F401  (here before; ``logs --tail`` uses it)

if TYPE_CHECKING:
    from ..expr.goregexp import Regexp


def dump(obj: Any, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(obj, indent=2)
    import yaml
    return yaml.safe_dump(obj, sort_keys=False)


def print_run(run, output: str | None, *, utf8: bool = True, color: bool = True, fold: int = 0) -> None:
    from .. import render
    if output == "name":
        print(run.name)
    elif output == "json" and run._live is None:
        stream_json(run, sys.stdout)
    elif output in ("json", "yaml"):
        wf = run.to_dict()
        metrics = run.metrics
        if metrics:   # not a field of Argo's status (Argo sends them to Prometheus): an extra one
            wf.setdefault("status", {})["metrics"] = metrics
        print(dump(wf, output), end="" if output == "yaml" else "\n")
    else:
        print(render.render_get(run.to_dict(), wide=output == "wide", short=output == "short", utf8=utf8,
                                color=color and sys.stdout.isatty(), fold=fold))


def stream_json(run, out) -> None:
    """``get -o json`` of a stored run written node by node: the run's row, then its nodes a page
    at a time (in id order, the key order of Argo's ``status.nodes``), each decoded and re-indented
    alone, so memory stays flat whatever the size of the run; the text is ``json.dumps(wf, indent=2)``'s."""
    import secrets
    store = run._store
    wf = run._record().to_dict()
    status = wf["status"]
    marker = secrets.token_hex(16)   # where the nodes go: a string no workflow can have guessed
    status["nodes"] = marker
    metrics = run.metrics
    if metrics:   # not a field of Argo's status (Argo sends them to Prometheus): an extra one
        status["metrics"] = metrics
    head, tail = json.dumps(wf, indent=2).split(f'"{marker}"', 1)
    from ..store.db import _loads_json
    out.write(head)
    first = True
    for node_id, text in store.iter_node_rows(run.name):
        body = json.dumps(_loads_json(text), indent=2).replace("\n", "\n      ")
        out.write(("{\n      " if first else ",\n      ") + json.dumps(node_id) + ": " + body)
        first = False
    out.write("{}" if first else "\n    }")
    out.write(tail + "\n")
    out.flush()


def stopped_waiting(names: list[str]) -> int:
    """Ctrl-C while waiting: the runs go on in their detached engines; say how to stop them."""
    joined = " ".join(names)
    print(f"\nstopped waiting; {joined} {'go' if len(names) > 1 else 'goes'} on "
          f"(`jupyter-flow stop {joined}` stops {'them' if len(names) > 1 else 'it'})", file=sys.stderr)
    return 130


def watch_run(run, *, log: bool = False) -> None:
    """Redraw the tree in place on a terminal; print one line per change when piped."""
    from .. import render
    tty = sys.stdout.isatty()
    printed: set[str] = set()
    offsets: dict[str, int] = {}
    while True:
        wf = run.to_dict()
        finished = wf["status"].get("phase") in FINISHED
        if tty and not log:
            sys.stdout.write(render.CLEAR_SCREEN + render.render_watch(wf, color=True) + "\n")
            sys.stdout.flush()
        elif not log:
            lines = render.node_lines(wf)
            new = [line for line in lines if line not in printed]
            if finished and new and new[0] == lines[0]:
                new.append(new.pop(0))   # the run's own final line after its nodes' (they ended first)
            for line in new:
                printed.add(line)
                print(line, flush=True)
        if log:
            tail_logs(run, wf, offsets)
        if finished:
            if not tty or log:
                print(f"{wf['metadata']['name']} {wf['status']['phase']}"
                      + (f": {wf['status'].get('message')}" if wf["status"].get("message") else ""), flush=True)
            return
        time.sleep(0.2 if tty else 0.1)


def tail_logs(run, wf: dict | None, offsets: dict[str, int], node_filter: str | None = None, *,
              grep: "Regexp | None" = None, tail: int | None = None, node: dict | None = None) -> None:
    """Print what each pod logged since ``offsets``; ``tail``: start a pod seen for the first time at its
    last ``tail`` lines; ``grep``: only the lines it matches (after the tail, as argo applies them).
    ``node``: that one node only (its row, without the run's other nodes: ``logs RUN NODE``)."""
    store = run._store
    from ..render import pods_in_order
    for n in [node] if node is not None else pods_in_order(wf["status"].get("nodes", {})):
        if node_filter and n["id"] != node_filter:
            continue
        path = store.log_path(run.name, n["id"])
        if not path.exists():
            continue
        if tail is not None and n["id"] not in offsets:
            offsets[n["id"]] = tail_offset(path, tail)
        prefix = "" if node_filter else f"{n['displayName']}: "
        block = 1 << 20   # read a big log a block at a time: memory stays flat, output starts at once
        with open(path, "rb") as f:
            while True:
                f.seek(offsets.get(n["id"], 0))
                data = f.read(block)
                if not data:
                    break
                cut = data.rfind(b"\n") + 1
                if cut == 0:
                    if len(data) < block and n.get("phase") not in FINISHED:
                        break   # a partial last line: wait for the rest
                    cut = len(data)
                chunk = data[:cut]
                offsets[n["id"]] = offsets.get(n["id"], 0) + len(chunk)
                lines = chunk.decode("utf-8", "replace").splitlines()
                if grep is not None:
                    lines = [line for line in lines if grep.search(line)]
                sys.stdout.write("".join(prefix + line + "\n" for line in lines))
                sys.stdout.flush()
