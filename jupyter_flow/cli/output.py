"""What commands print: a run as ``argo get`` shows it (or json/yaml/name), ``--watch``, and
the pods' logs as ``argo logs`` streams them."""
from __future__ import annotations

import json
import sys
import time
from typing import TYPE_CHECKING, Any

from ..phases import FINISHED

if TYPE_CHECKING:
    from ..expr.goregexp import Regexp


def dump(obj: Any, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(obj, indent=2)
    import yaml
    return yaml.safe_dump(obj, sort_keys=False)


def print_run(run, output: str | None, *, utf8: bool = True, color: bool = True) -> None:
    from .. import render
    if output == "name":
        print(run.name)
    elif output in ("json", "yaml"):
        wf = run.to_dict()
        metrics = run.metrics
        if metrics:   # not a field of Argo's status (Argo sends them to Prometheus): an extra one
            wf.setdefault("status", {})["metrics"] = metrics
        print(dump(wf, output), end="" if output == "yaml" else "\n")
    else:
        print(render.render_get(run.to_dict(), wide=output == "wide", short=output == "short", utf8=utf8,
                                color=color and sys.stdout.isatty()))


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


def tail_offset(path, lines: int) -> int:
    """Where the last ``lines`` lines of the file at ``path`` start (read from the end, a block at a time)."""
    with open(path, "rb") as f:
        end = f.seek(0, 2)
        if lines <= 0 or end == 0:
            return end
        f.seek(end - 1)
        want = lines + (f.read(1) == b"\n")   # a final newline ends the last line, it starts none
        pos, buf = end, b""
        while pos > 0:
            step = min(1 << 16, pos)
            pos -= step
            f.seek(pos)
            buf = f.read(step) + buf
            if buf.count(b"\n") >= want:
                idx = len(buf)
                for _ in range(want):
                    idx = buf.rfind(b"\n", 0, idx)
                return pos + idx + 1
        return 0


def tail_logs(run, wf: dict, offsets: dict[str, int], node_filter: str | None = None, *,
               grep: "Regexp | None" = None, tail: int | None = None) -> None:
    """Print what each pod logged since ``offsets``; ``tail``: start a pod seen for the first time at its
    last ``tail`` lines; ``grep``: only the lines it matches (after the tail, as argo applies them)."""
    store = run._store
    from ..render import pods_in_order
    for n in pods_in_order(wf["status"].get("nodes", {})):
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
