"""``jupyter-flow``: the argo CLI's verbs against the embedded engine.

Every command prints what ``argo`` would (via ``render``), errors print one clear line and
exit non-zero, and nothing here knows how the engine works beyond ``api``.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any, Sequence

FINISHED = ("Succeeded", "Failed", "Error")


def _params(pairs: Sequence[str] | None, files: Sequence[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for path in files or []:
        import yaml
        with open(path) as f:
            data = yaml.safe_load(f) or {}
        if not isinstance(data, dict):
            raise SystemExit(f"--parameter-file {path}: expected a mapping of name: value")
        out.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()})
    for pair in pairs or []:
        if "=" not in pair:
            raise SystemExit(f"-p {pair!r}: expected name=value")
        k, v = pair.split("=", 1)
        out[k] = v
    return out


def _dump(obj: Any, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(obj, indent=2)
    import yaml
    return yaml.safe_dump(obj, sort_keys=False)


def _print_run(run, output: str | None) -> None:
    from . import render
    if output == "name":
        print(run.name)
    elif output in ("json", "yaml"):
        print(_dump(run.to_dict(), output), end="" if output == "yaml" else "\n")
    else:
        print(render.render_get(run.to_dict(), wide=output == "wide", color=sys.stdout.isatty()))


def _watch(run, *, log: bool = False) -> None:
    """Redraw the tree in place on a terminal; print one line per change when piped."""
    from . import render
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
            for line in render.node_lines(wf):
                if line not in printed:
                    printed.add(line)
                    print(line, flush=True)
        if log:
            _tail_logs(run, wf, offsets)
        if finished:
            if not tty or log:
                print(f"{wf['metadata']['name']} {wf['status']['phase']}"
                      + (f": {wf['status'].get('message')}" if wf["status"].get("message") else ""), flush=True)
            return
        time.sleep(0.2 if tty else 0.1)


def _tail_logs(run, wf: dict, offsets: dict[str, int], node_filter: str | None = None) -> None:
    store = run._store
    from .render import pods_in_order
    for n in pods_in_order(wf["status"].get("nodes", {})):
        if node_filter and n["id"] != node_filter:
            continue
        path = store.log_path(run.name, n["id"])
        if not path.exists():
            continue
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
                sys.stdout.write("".join(prefix + line + "\n" for line in lines))
                sys.stdout.flush()


# -- commands ------------------------------------------------------------------------------------
def cmd_submit(a) -> int:
    from . import api
    from .store import open_store
    store = open_store()
    if a.from_:
        kind, _, tname = a.from_.partition("/")
        if kind.lower() not in ("workflowtemplate", "clusterworkflowtemplate", "wftmpl", "cwftmpl"):
            print(f"--from {a.from_}: expected workflowtemplate/NAME or clusterworkflowtemplate/NAME",
                  file=sys.stderr)
            return 1
        source = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
                  "metadata": {"generateName": f"{tname}-"},
                  "spec": {"workflowTemplateRef": {"name": tname,
                                                   **({"clusterScope": True} if kind.lower().startswith("c") else {})}}}
        filename = f"--from {a.from_}"
    else:
        if not a.file:
            print("submit: a FILE or --from is required", file=sys.stderr)
            return 1
        source, filename = a.file, a.file
        if a.file == "-":
            source, filename = sys.stdin.read(), "<stdin>"
    params = _params(a.parameter, a.parameter_file)
    from .backends.registry import get_backend, settings_for
    backend = get_backend(a.backend)
    if a.dry_run:
        wf = api.load_document(source, filename=filename, store=store, options=dict(
            parameters=params, name=a.name, generate_name=a.generate_name, entrypoint=a.entrypoint)).data
        if backend.remote:   # exactly what would be sent
            wf = backend.load().manifest(wf, settings_for(backend.name))
        fmt = a.output if a.output in ("json", "yaml") else "yaml"
        print(_dump(wf, fmt), end="" if fmt == "yaml" else "\n")
        return 0
    name, wf = api.create(source, parameters=params, name=a.name, generate_name=a.generate_name,
                          entrypoint=a.entrypoint, filename=filename, store=store, backend=backend.name)
    if backend.remote:
        ctl = api.start(name, wf, store, backend=backend.name)
        run = api.Run(name, store=store, controller=ctl)
    else:
        # A detached engine owns the run, as a cluster would: Ctrl-C stops waiting, not the run.
        api.start_detached(name, store)
        run = api.Run(name, store=store)
    if a.wait or a.watch or a.log:
        try:
            if a.watch or a.log:
                _watch(run, log=a.log)
            else:
                run.wait()
        except KeyboardInterrupt:
            print(f"\nstopped waiting; {name} goes on (`jupyter-flow stop {name}` stops it)", file=sys.stderr)
            return 130
        if a.wait and not a.watch:
            _print_run(run, a.output)
        elif a.output in ("json", "yaml", "name"):
            _print_run(run, a.output)
        return 0 if run.phase == "Succeeded" else 1
    if a.output == "name":
        print(name)
    elif a.output in ("json", "yaml"):
        print(_dump(run.to_dict(), a.output))
    else:
        print(f"Name:                {name}\nNamespace:           default\nStatus:              Pending")
    return 0


def _run(name: str):
    from . import api
    return api.get(name)


def cmd_get(a) -> int:
    _print_run(_run(a.name), a.output)
    return 0


PHASES = ("Pending", "Running", "Succeeded", "Failed", "Error")


def cmd_list(a) -> int:
    from . import api, render
    wanted = [p.strip() for p in (a.status or "").split(",") if p.strip()]
    unknown = [p for p in wanted if p.capitalize() not in PHASES]
    if unknown:
        print(f"list --status: unknown phase {', '.join(unknown)}; phases: {', '.join(PHASES)}", file=sys.stderr)
        return 1
    wanted = {p.capitalize() for p in wanted}
    runs = [r for r in api.runs() if not wanted or r.phase in wanted]
    if a.output == "name":
        for r in runs:
            print(r.name)
        return 0
    wfs = [r.to_dict() for r in runs]
    if a.output in ("json", "yaml"):
        print(_dump(wfs, a.output))
    else:
        print(render.render_list(wfs, wide=a.output == "wide"))
    return 0


def cmd_logs(a) -> int:
    run = _run(a.name)
    # a node by step name, node name, id or pod name (a clear error for an unknown one)
    node = run.node(a.node)["id"] if a.node else None
    offsets: dict[str, int] = {}
    while True:
        wf = run.to_dict()
        _tail_logs(run, wf, offsets, node)
        if not a.follow or wf["status"].get("phase") in FINISHED:
            _tail_logs(run, run.to_dict(), offsets, node)
            return 0
        time.sleep(0.2)


def cmd_watch(a) -> int:
    run = _run(a.name)
    _watch(run)
    return 0 if run.phase == "Succeeded" else 1


def cmd_wait(a) -> int:
    rc = 0
    for name in a.names:
        run = _run(name)
        phase = run.wait()
        status = run.to_dict()["status"]
        at = (status.get("finishedAt") or "").replace("T", " ").replace("Z", " +0000 UTC")
        print(f"{run.name} {phase}" + (f" at {at}" if at else "")          # as `argo wait` prints it
              + (f" ({status.get('message')})" if phase != "Succeeded" and status.get("message") else ""))
        rc = rc or (0 if phase == "Succeeded" else 1)
    return rc


_DONE = {"resume": "resumed", "suspend": "suspended", "stop": "stopped", "terminate": "terminated"}


def _control(action: str):
    def cmd(a) -> int:
        for name in a.names:
            run = _run(name)
            if action == "resume":
                run.resume(getattr(a, "node_field_selector", None) and a.node_field_selector.split("=", 1)[-1])
            else:
                getattr(run, action)()
            print(f"workflow {run.name} {_DONE[action]}")
        return 0
    return cmd


def cmd_retry(a) -> int:
    run = _run(a.name)
    if a.wait or a.watch:
        new = run.retry(wait=not a.watch)
        if a.watch:
            _watch(new)
        _print_run(new, a.output)
        return 0 if new.phase == "Succeeded" else 1
    run.retry(detach=True)
    print(run.name if a.output == "name" else f"workflow {run.name} retried")
    return 0


def cmd_resubmit(a) -> int:
    run = _run(a.name)
    new = run.resubmit(wait=a.wait, detach=True)
    _print_run(new, a.output or "name")
    return 0 if (not a.wait or new.phase == "Succeeded") else 1


def cmd_delete(a) -> int:
    from . import api
    if not a.all and not a.names:
        print("delete: give workflow NAMEs (or @latest), or --all", file=sys.stderr)
        return 1
    names = [r.name for r in api.runs()] if a.all else a.names
    for name in names:
        run = _run(name)
        run.delete()
        print(f"Workflow '{run.name}' deleted")
    return 0


def cmd_lint(a) -> int:
    from . import api
    count = 0
    for path in a.files:
        errors = [e for e in api.lint(path, filename=path) if e.severity == "error"]
        for e in errors:
            print(e)
        count += len(errors)
    if not count:
        print("\u2714 no linting errors found!")   # what `argo lint` says
    return 1 if count else 0


def cmd_node(a) -> int:
    run = _run(a.name)
    selector = (a.node_field_selector or "").split("=", 1)[-1]
    if not selector:
        print("node set: --node-field-selector displayName=NODE is required", file=sys.stderr)
        return 1
    params = _params(a.output_parameter, None)
    run.set_node(selector, parameters=params, message=a.message)
    print("workflow values set")
    return 0


def cmd_template(a) -> int:
    from . import spec as specmod
    from .store import open_store
    store = open_store()
    kinds = ("WorkflowTemplate", "ClusterWorkflowTemplate")
    if a.action == "create":
        if not a.args:
            print("template create: give one or more FILEs", file=sys.stderr)
            return 1
        for path in a.args:
            for doc in specmod.load(path, filename=path):
                if doc.kind not in kinds:
                    print(f"{path}: a {doc.kind or 'document without a kind'} is not a template (kind "
                          f"WorkflowTemplate or ClusterWorkflowTemplate); run a Workflow with "
                          f"`jupyter-flow submit {path}`", file=sys.stderr)
                    return 1
                if store.get_template(doc.kind, doc.data["metadata"].get("name")) is not None:
                    print(f"{doc.kind} {doc.data['metadata'].get('name')!r} already exists "
                          f"(`jupyter-flow template delete` it first)", file=sys.stderr)
                    return 1
                errors = [e for e in specmod.validate(doc) if e.severity == "error"]
                if errors:
                    for e in errors:
                        print(e, file=sys.stderr)
                    return 1
                name = doc.data["metadata"].get("name")
                store.put_template(doc.kind, name, doc.data)
                print(f"{doc.kind} {name} created")
        return 0
    if a.action == "list":
        for kind, name, _ in store.list_templates():
            print(f"{kind:<26} {name}")
        return 0
    for name in a.args:
        data = None
        for kind in kinds:
            data = store.get_template(kind, name)
            if data is not None:
                if a.action == "get":
                    print(_dump(data, a.output or "yaml"))
                else:
                    store.delete_template(kind, name)
                    print(f"{kind} {name} deleted")
                break
        if data is None:
            print(f"template {name!r} not found", file=sys.stderr)
            return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jupyter-flow", description="Run Argo Workflows locally, like the argo CLI.")
    sub = p.add_subparsers(dest="command", required=True)
    out = dict(choices=["name", "json", "yaml", "wide"], help="output format")

    s = sub.add_parser("submit", help="submit a workflow")
    s.add_argument("file", nargs="?")
    s.add_argument("-p", "--parameter", action="append")
    s.add_argument("-f", "--parameter-file", action="append")
    s.add_argument("-e", "--entrypoint")
    s.add_argument("--name")
    s.add_argument("--generate-name")
    s.add_argument("--from", dest="from_", help="workflowtemplate/NAME")
    s.add_argument("-w", "--wait", action="store_true")
    s.add_argument("--watch", action="store_true")
    s.add_argument("--log", action="store_true")
    s.add_argument("-o", "--output", **out)
    s.add_argument("--dry-run", action="store_true")
    s.add_argument("--backend", default=None, choices=["local", "container", "kubernetes", "dask", "argo"],
                   help="where steps run (default: config.yaml's backend, else local)")
    s.set_defaults(fn=cmd_submit)

    s = sub.add_parser("get", help="show a workflow's tree")
    s.add_argument("name")
    s.add_argument("-o", "--output", **out)
    s.set_defaults(fn=cmd_get)

    s = sub.add_parser("list", help="list workflows")
    s.add_argument("--status", help="only runs in these phases, comma-separated (e.g. Failed,Error)")
    s.add_argument("-o", "--output", **out)
    s.set_defaults(fn=cmd_list)

    s = sub.add_parser("logs", help="print a workflow's logs")
    s.add_argument("name")
    s.add_argument("node", nargs="?")
    s.add_argument("-f", "--follow", action="store_true")
    s.set_defaults(fn=cmd_logs)

    for verb, fn in (("watch", cmd_watch),):
        s = sub.add_parser(verb, help="watch a workflow until it finishes")
        s.add_argument("name")
        s.set_defaults(fn=fn)
    s = sub.add_parser("wait", help="wait for workflows; exit 1 unless all succeed")
    s.add_argument("names", nargs="+")
    s.set_defaults(fn=cmd_wait)
    for verb in ("resume", "suspend", "stop", "terminate"):
        s = sub.add_parser(verb, help=f"{verb} workflows")
        s.add_argument("names", nargs="+")
        if verb == "resume":
            s.add_argument("--node-field-selector")
        s.set_defaults(fn=_control(verb))
    s = sub.add_parser("retry", help="retry a failed workflow")
    s.add_argument("name")
    s.add_argument("-w", "--wait", action="store_true")
    s.add_argument("--watch", action="store_true")
    s.add_argument("-o", "--output", **out)
    s.set_defaults(fn=cmd_retry)
    s = sub.add_parser("resubmit", help="submit a workflow again")
    s.add_argument("name")
    s.add_argument("-w", "--wait", action="store_true")
    s.add_argument("-o", "--output", **out)
    s.set_defaults(fn=cmd_resubmit)
    s = sub.add_parser("delete", help="delete workflows")
    s.add_argument("names", nargs="*")
    s.add_argument("--all", action="store_true")
    s.set_defaults(fn=cmd_delete)
    s = sub.add_parser("lint", help="validate workflow files")
    s.add_argument("files", nargs="+")
    s.set_defaults(fn=cmd_lint)
    s = sub.add_parser("node", help="act on a node (node set)")
    s.add_argument("action", choices=["set"])
    s.add_argument("name")
    s.add_argument("--output-parameter", action="append")
    s.add_argument("--message")
    s.add_argument("--node-field-selector")
    s.set_defaults(fn=cmd_node)
    s = sub.add_parser("template", help="manage (Cluster)WorkflowTemplates")
    s.add_argument("action", choices=["create", "list", "get", "delete"])
    s.add_argument("args", nargs="*")
    s.add_argument("-o", "--output", choices=["json", "yaml"])
    s.set_defaults(fn=cmd_template)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    from .errors import JupyterFlowError
    args = build_parser().parse_args(argv)
    try:
        return args.fn(args) or 0
    except JupyterFlowError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except FileNotFoundError as exc:
        print(f"{exc.filename}: no such file", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
