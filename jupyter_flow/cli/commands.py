"""The commands, one function each (``cmd_<verb>(args) -> exit code``), thin over ``api``."""
from __future__ import annotations

import os
import sys
import time
from typing import Sequence

from .args import parse_params
from .output import FINISHED, dump, print_run, stopped_waiting, tail_logs, watch_run
from .select import select_records, select_runs, wanted_phases


def cmd_submit(a) -> int:
    from .. import api
    from ..store import open_store
    store = open_store()
    if a.from_:
        if a.file:
            print("submit: give FILEs or --from, not both", file=sys.stderr)
            return 1
        kind, _, tname = a.from_.partition("/")
        if kind.lower() in ("cronwf", "cronworkflow", "cwf"):   # its workflowSpec, scheduled now
            from .. import cron
            sources = [(cron.to_workflow(cron.get(tname, store), time.time()), f"--from {a.from_}")]
        elif kind.lower() not in ("workflowtemplate", "clusterworkflowtemplate", "wftmpl", "cwftmpl"):
            print(f"--from {a.from_}: expected workflowtemplate/NAME, clusterworkflowtemplate/NAME or cronwf/NAME",
                  file=sys.stderr)
            return 1
        else:
            sources = [({"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
                         "metadata": {"generateName": f"{tname}-"},
                         "spec": {"workflowTemplateRef": {"name": tname, **({"clusterScope": True}
                                                                           if kind.lower().startswith("c") else {})}}},
                        f"--from {a.from_}")]
    else:
        if not a.file:
            print("submit: a FILE or --from is required", file=sys.stderr)
            return 1
        if a.name and len(a.file) > 1:
            print("submit: --name names one workflow; with several FILEs use --generate-name", file=sys.stderr)
            return 1
        sources = [(sys.stdin.read(), "<stdin>") if f == "-" else (f, f) for f in a.file]
    params = parse_params(a.parameter, a.parameter_file)
    labels = {k: v for d in a.labels or [] for k, v in d.items()}
    from ..launch import choose_backend, prepare
    backend = choose_backend(a.backend)
    if getattr(a, "sweep", None):
        from .sweep import cmd_submit_sweep
        return cmd_submit_sweep(a, sources, params, labels, backend)
    if a.parallelism is not None or a.experiment:
        print("submit: --parallelism and --experiment go with --sweep", file=sys.stderr)
        return 1
    # every file is loaded and checked before any is submitted: a bad one submits nothing
    docs = []
    for source, filename in sources:
        doc = prepare(source, backend, store, parameters=params, name=a.name, generate_name=a.generate_name,
                      entrypoint=a.entrypoint, labels=labels or None, filename=filename)
        if a.serviceaccount:
            doc.data.setdefault("spec", {})["serviceAccountName"] = a.serviceaccount
        if a.cache is not None or a.continue_from:
            from ..engine.stepcache import annotate
            annotate(doc.data, cache=a.cache, continue_from=a.continue_from, store=store)
        docs.append(doc)
    if a.dry_run:
        fmt = a.output if a.output in ("json", "yaml") else "yaml"
        for i, doc in enumerate(docs):
            wf = backend.manifest(doc.data)   # exactly what the backend would be given
            print(("---\n" if i and fmt == "yaml" else "") + dump(wf, fmt), end="" if fmt == "yaml" else "\n")
        return 0
    runs = []
    for doc in docs:
        # A detached engine owns the run, as a cluster would: Ctrl-C stops waiting, not the run.
        run = api.submit(doc, store=store, backend=backend.name, detach=True)
        name = run.name
        runs.append(run)
        if not (a.wait or a.watch or a.log):
            if a.output == "name":
                print(name)
            elif a.output in ("json", "yaml"):
                print(dump(run.to_dict(), a.output))
            else:
                print(f"Name:                {name}\nNamespace:           default\nStatus:              Pending")
    if not (a.wait or a.watch or a.log):
        return 0
    rc = 0
    for run in runs:
        try:
            if a.watch or a.log:
                watch_run(run, log=a.log)
            else:
                run.wait()
        except KeyboardInterrupt:
            return stopped_waiting([r.name for r in runs])
        if a.wait and not a.watch:
            print_run(run, a.output)
        elif a.output in ("json", "yaml", "name"):
            print_run(run, a.output)
        rc = rc or (0 if run.phase == "Succeeded" else 1)
    return rc


def run_named(name: str):
    from .. import api
    return api.get(name)


def cmd_get(a) -> int:
    for name in a.names:
        print_run(run_named(name), a.output, utf8=not a.no_utf8, color=not a.no_color, fold=a.fold)
    return 0


def cmd_list(a) -> int:
    from .. import render
    if a.running and a.completed:
        print("list: --running and --completed are mutually exclusive", file=sys.stderr)
        return 1
    wanted = wanted_phases(a.status, "list")
    if wanted is None:
        return 1
    from ..store import open_store
    from ..store.retention import sweep_now_and_then
    sweep_now_and_then(open_store())   # ttlStrategy, podGC and keep: what is due goes before it is listed
    records = select_records(a, wanted)
    if a.output == "name":
        for r in records:
            print(r.name)
        return 0
    if a.output in ("json", "yaml"):
        print(dump([run_named(r.name).to_dict() for r in records], a.output))
        return 0
    # the table reads no node: a run's pods (P/R/C of -o wide) and running Suspend nodes (the
    # "(Suspended)" of a running run) are picked out inside SQLite
    from ..store import open_store
    store = open_store()
    wide = a.output == "wide"
    nodes = store.list_nodes_digest([r.name for r in records if wide or r.phase == "Running"], pods=wide)
    if wide:
        params = dict(store._read("SELECT name, json_extract(workflow, '$.spec.arguments.parameters') FROM runs"))
        from ..store.db import _loads_json
        for r in records:
            r.parameters = _loads_json(params[r.name]) if params.get(r.name) else None
    wfs = [r.to_dict(nodes.get(r.name, {})) for r in records]
    print(render.render_list(wfs, wide=wide, no_headers=a.no_headers))
    return 0


def cmd_logs(a) -> int:
    run = run_named(a.name)
    offsets: dict[str, int] = {}
    opts = dict(grep=a.grep, tail=a.tail if a.tail is not None and a.tail >= 0 else None)
    if a.node and run._live is None:
        # a node by step name, node name, id or pod name (a clear error for an unknown one), found
        # inside SQLite: one node's log never reads the run's other nodes
        n = run.node(a.node)
        while True:
            n["phase"] = run._store.node_phase(run.name, n["id"]) or n.get("phase")
            finished = not a.follow or run._record().phase in FINISHED
            tail_logs(run, None, offsets, n["id"], node=n, **opts)
            if finished:
                n["phase"] = run._store.node_phase(run.name, n["id"]) or n.get("phase")
                tail_logs(run, None, offsets, n["id"], node=n, **opts)
                return 0
            time.sleep(0.2)
    node = run.node(a.node)["id"] if a.node else None
    while True:
        wf = run.to_dict()
        tail_logs(run, wf, offsets, node, **opts)
        if not a.follow or wf["status"].get("phase") in FINISHED:
            tail_logs(run, run.to_dict(), offsets, node, **opts)
            return 0
        time.sleep(0.2)


def cmd_watch(a) -> int:
    run = run_named(a.name)
    watch_run(run)
    return 0 if run.phase == "Succeeded" else 1


def cmd_wait(a) -> int:
    from ..errors import RunNotFound
    rc = 0
    for name in a.names:
        try:
            run = run_named(name)
            phase = run.wait()
            status = run.to_dict()["status"]
        except RunNotFound:
            if a.ignore_not_found:   # argo skips it silently (also one deleted while waited for)
                continue
            raise
        at = (status.get("finishedAt") or "").replace("T", " ").replace("Z", " +0000 UTC")
        print(f"{run.name} {phase}" + (f" at {at}" if at else "")          # as `argo wait` prints it
              + (f" ({status.get('message')})" if phase != "Succeeded" and status.get("message") else ""))
        rc = rc or (0 if phase == "Succeeded" else 1)
    return rc


DONE = {"resume": "resumed", "suspend": "suspended", "stop": "stopped", "terminate": "terminated"}


def control(action: str):
    def cmd(a) -> int:
        for name in a.names:
            run = run_named(name)
            if action == "resume":
                run.resume(getattr(a, "node_field_selector", None) and a.node_field_selector.split("=", 1)[-1])
            else:
                getattr(run, action)()
            print(f"workflow {run.name} {DONE[action]}")
        return 0
    return cmd


def cmd_retry(a) -> int:
    run = run_named(a.name)
    if a.wait or a.watch:
        new = run.retry(wait=not a.watch)
        if a.watch:
            watch_run(new)
        print_run(new, a.output)
        return 0 if new.phase == "Succeeded" else 1
    run.retry(detach=True)
    print(run.name if a.output == "name" else f"workflow {run.name} retried")
    return 0


def cmd_resubmit(a) -> int:
    run = run_named(a.name)
    new = run.resubmit(wait=a.wait and not a.watch, detach=True, parameters=parse_params(a.parameter, None) or None,
                       memoized=a.memoized)
    if a.watch:
        try:
            watch_run(new)
        except KeyboardInterrupt:
            return stopped_waiting([new.name])
        if a.output in ("json", "yaml", "name"):   # as submit --watch: the tree was the output
            print_run(new, a.output)
    else:
        print_run(new, a.output or "name")
    return 0 if (not (a.wait or a.watch) or new.phase == "Succeeded") else 1


def cmd_delete(a) -> int:
    from ..errors import RunNotFound
    filtered = bool(a.all or a.completed or a.status or a.prefix or a.older is not None or a.selector)
    if not filtered and not a.names:
        print("delete: give workflow NAMEs (or @latest), or --all, --completed, --status, --prefix, --older, -l",
              file=sys.stderr)
        return 1
    wanted = wanted_phases(a.status, "delete")
    if wanted is None:
        return 1
    runs = [run_named(name) for name in a.names]
    named = {r.name for r in runs}
    if filtered:   # an empty selection deletes nothing, says nothing and succeeds, as argo does
        runs += select_runs(a, wanted)
    done: set[str] = set()
    for run in runs:
        if run.name in done:
            continue
        done.add(run.name)
        try:
            run.delete()
        except RunNotFound:
            if run.name in named:
                raise
            continue   # a listed run deleted meanwhile
        print(f"Workflow '{run.name}' deleted")
    return 0


def lint_paths(paths: Sequence[str]) -> list[str]:
    """The files to lint: a directory stands for every .yaml/.yml/.json file under it (as argo lint)."""
    out: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs.sort()
                out += [os.path.join(root, f) for f in sorted(files)
                        if f.lower().endswith((".yaml", ".yml", ".json"))]
        else:
            out.append(path)
    return out


def cmd_lint(a) -> int:
    from .. import api
    count = 0
    for path in lint_paths(a.files):
        errors = [e for e in api.lint(path, filename=path) if e.severity == "error"]
        for e in errors:
            print(e)
        count += len(errors)
    if not count:
        print("\u2714 no linting errors found!")   # what `argo lint` says
    return 1 if count else 0


def cmd_cp(a) -> int:
    run = run_named(a.name)
    written = run.copy_artifacts(a.dest, artifact_name=a.artifact_name, template_name=a.template_name,
                                 node_id=a.node_id, path=a.path)
    for path in written:
        print(f'Created "{path}"')
    if not written:   # argo cp says nothing and exits 0; a word on stderr saves a puzzled look
        print(f"no output artifacts of {run.name} match", file=sys.stderr)
    return 0


def _unquote(value: str) -> str:
    """A value given quoted (``-p msg='"Hello, world!"'``) loses its quotes, as argo's strconv.Unquote does."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        import json
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def cmd_node(a) -> int:
    run = run_named(a.name)
    selector = (a.node_field_selector or "").split("=", 1)[-1]
    if not selector:
        print("node set: --node-field-selector displayName=NODE is required", file=sys.stderr)
        return 1
    params = {k: _unquote(v) for k, v in parse_params(a.output_parameter, None).items()}
    if not (params or a.message or a.phase):
        print("node set: nothing to set: give --output-parameter, --message or --phase", file=sys.stderr)
        return 1
    run.set_node(selector, parameters=params, message=a.message, phase=a.phase)
    print("workflow values set")
    return 0


def cmd_template(a) -> int:
    from .. import spec as specmod
    from ..store import open_store
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
                name = doc.data["metadata"].get("name")
                if store.get_template(doc.kind, name) is not None:
                    print(f"{doc.kind} {name!r} already exists (`jupyter-flow template delete` it first)",
                          file=sys.stderr)
                    return 1
                errors = [e for e in specmod.validate(doc) if e.severity == "error"]
                if errors:
                    for e in errors:
                        print(e, file=sys.stderr)
                    return 1
                store.put_template(doc.kind, name, doc.data)
                print(f"{doc.kind} {name} created")
        return 0
    if a.action == "list":
        for kind, name, _ in store.list_templates():
            if kind not in kinds:   # CronWorkflows are kept beside them: `cron list`
                continue
            print(f"{kind:<26} {name}")
        return 0
    for name in a.args:
        data = None
        for kind in kinds:
            data = store.get_template(kind, name)
            if data is not None:
                if a.action == "get":
                    print(dump(data, a.output or "yaml"))
                else:
                    store.delete_template(kind, name)
                    print(f"{kind} {name} deleted")
                break
        if data is None:
            print(f"template {name!r} not found", file=sys.stderr)
            return 1
    return 0
