"""``jupyter-flow cron``: argo cron's verbs over the store's CronWorkflows, and ``cron run``, the
scheduler in the foreground (what Argo's workflow-controller does for CronWorkflows)."""
from __future__ import annotations

import sys
import time
from datetime import datetime, timezone

from ..timestamps import iso
from .args import parse_params
from .output import dump


def _next(doc: dict, now: float) -> float | None:
    from .. import cron
    from ..errors import JupyterFlowError
    spec = doc.get("spec") or {}
    try:
        return min(cron.next_time(s, spec.get("timezone"), now) for s in cron.schedules(doc))
    except (ValueError, JupyterFlowError):   # no schedule, or one that does not parse: N/A
        return None


def render_list(docs: list[dict], now: float, no_headers: bool = False) -> str:
    """``argo cron list``: NAME AGE LAST RUN NEXT RUN SCHEDULES TIMEZONE SUSPENDED."""
    from .. import cron
    from ..render import _relative_duration_short, _tabwrite
    at = datetime.fromtimestamp(now, timezone.utc)
    lines = [] if no_headers else [["NAME", "AGE", "LAST RUN", "NEXT RUN", "SCHEDULES", "TIMEZONE", "SUSPENDED"]]
    for doc in docs:
        spec, status = doc.get("spec") or {}, doc.get("status") or {}
        last = status.get("lastScheduledTime")
        nxt = _next(doc, now)
        lines.append([doc["metadata"]["name"],
                      _relative_duration_short(doc["metadata"].get("creationTimestamp"), None, at),
                      _relative_duration_short(last, None, at) if last else "N/A",
                      _relative_duration_short(iso(now), iso(nxt), at) if nxt else "N/A",
                      ",".join(cron.schedules(doc)), spec.get("timezone", ""),
                      "true" if spec.get("suspend") else "false"])
    return _tabwrite(lines, 3).rstrip("\n")


def render_get(doc: dict, now: float) -> str:
    """``argo cron get``: the CronWorkflow's settings and state, ``%-30s %v`` per line."""
    from .. import cron
    from ..render import format_timestamp
    spec, status = doc.get("spec") or {}, doc.get("status") or {}
    rows = [("Name:", doc["metadata"]["name"]), ("Namespace:", doc["metadata"].get("namespace", "default")),
            ("Created:", format_timestamp(doc["metadata"].get("creationTimestamp"))),
            ("Schedules:", ",".join(cron.schedules(doc))), ("Suspended:", "true" if spec.get("suspend") else "false")]
    if spec.get("timezone"):
        rows.append(("Timezone:", spec["timezone"]))
    if spec.get("startingDeadlineSeconds") is not None:
        rows.append(("StartingDeadlineSeconds:", spec["startingDeadlineSeconds"]))
    if spec.get("concurrencyPolicy"):
        rows.append(("ConcurrencyPolicy:", spec["concurrencyPolicy"]))
    if status.get("lastScheduledTime"):
        rows.append(("LastScheduledTime:", format_timestamp(status["lastScheduledTime"])))
    nxt = _next(doc, now)
    if nxt is not None:
        rows.append(("NextScheduledTime:", format_timestamp(iso(nxt))))
    if status.get("active"):
        rows.append(("Active Workflows:", ", ".join(status["active"])))
    for cond in status.get("conditions") or []:
        rows.append(("Conditions:", ""))
        rows.append((f"\u2716 {cond.get('type')}", cond.get("message", "")))
    if status.get("phase"):
        rows.append(("Phase:", status["phase"]))
    params = [p for p in ((spec.get("workflowSpec") or {}).get("arguments") or {}).get("parameters") or []
              if "value" in p]
    if params:
        rows.append(("Workflow Parameters:", ""))
        rows.extend((f"  {p['name']}:", p["value"]) for p in params)
    return "".join(f"{k:<30} {v}\n" for k, v in rows).rstrip("\n")


def cmd_cron(a) -> int:
    from .. import cron
    from .. import spec as specmod
    from ..errors import JupyterFlowError
    from ..store import open_store
    store = open_store()
    if a.action in ("create", "update", "lint"):
        if not a.args:
            print(f"cron {a.action}: give one or more FILEs", file=sys.stderr)
            return 1
        bad = 0
        for path in a.args:
            for doc in specmod.load(path, filename=path):
                if doc.kind != cron.KIND:
                    print(f"{path}: a {doc.kind or 'document without a kind'} is not a CronWorkflow; run a "
                          f"Workflow with `jupyter-flow submit {path}`", file=sys.stderr)
                    return 1
                errors = [e for e in specmod.validate(doc) if e.severity == "error"]
                located = {e.path for e in errors}   # a bad name is already reported with its line
                problems = [str(e) for e in errors] + [f"{path}: {p}" for p in cron.validate(doc.data)
                                                       if p.split(":", 1)[0] not in located]
                for p in problems:
                    print(p, file=sys.stdout if a.action == "lint" else sys.stderr)
                bad += bool(problems)
                if problems or a.action == "lint":
                    continue
                data = _with_options(doc.data, a)
                try:
                    name = (cron.update if a.action == "update" else cron.create)(data, store)
                except JupyterFlowError as exc:   # it exists (create), or not (update)
                    print(exc, file=sys.stderr)
                    bad += 1
                    continue
                _print(cron.get(name, store), a.output)
        if a.action == "lint" and not bad:
            print("\u2714 no linting errors found!")
        return 1 if bad else 0
    if a.action == "list":
        docs = [store.get_template(cron.KIND, n) for _, n, _ in store.list_templates(cron.KIND)]
        docs = [d for d in docs if d is not None]
        if a.output == "name":
            for d in docs:
                print(d["metadata"]["name"])
        elif a.output in ("json", "yaml"):
            print(dump(docs, a.output))
        else:
            print(render_list(docs, time.time(), no_headers=a.no_headers))
        return 0
    if a.action == "run":
        return _run(store, a)
    if a.action == "delete" and a.all:
        names = [n for _, n, _ in store.list_templates(cron.KIND)]
    else:
        names = a.args
    if not names:
        print(f"cron {a.action}: give one or more NAMEs", file=sys.stderr)
        return 1
    for name in names:
        try:
            doc = cron.get(name, store)
        except JupyterFlowError as exc:
            print(exc, file=sys.stderr)
            return 1
        if a.action == "get":
            _print(doc, a.output)
        elif a.action == "delete":
            store.delete_template(cron.KIND, name)
            print(f"CronWorkflow '{name}' deleted")
        elif a.action in ("suspend", "resume"):
            cron.set_suspend(name, store, a.action == "suspend")
            print(f"CronWorkflow '{name}' {'suspended' if a.action == 'suspend' else 'resumed'}")
    return 0


def _with_options(data: dict, a) -> dict:
    """create/update's --schedule, -p and --entrypoint applied to the file's CronWorkflow."""
    spec = data.setdefault("spec", {})
    if a.schedule:
        spec.pop("schedule", None)
        spec["schedules"] = [a.schedule]
    wf_spec = spec.setdefault("workflowSpec", {})
    for k, v in parse_params(a.parameter, None).items():
        params = wf_spec.setdefault("arguments", {}).setdefault("parameters", [])
        hit = next((p for p in params if p.get("name") == k), None)
        if hit is None:
            params.append({"name": k, "value": v})
        else:
            hit["value"] = v
    if a.entrypoint:
        wf_spec["entrypoint"] = a.entrypoint
    return data


def _print(doc: dict, output: str | None) -> None:
    if output == "name":
        print(doc["metadata"]["name"])
    elif output in ("json", "yaml"):
        print(dump(doc, output))
    else:
        print(render_get(doc, time.time()))


def _run(store, a) -> int:
    """The scheduler in the foreground: prints each run it starts; Ctrl-C (or ``--for``) ends it."""
    import threading
    from .. import cron
    names = [n for _, n, _ in store.list_templates(cron.KIND)]
    print(f"scheduling {len(names)} CronWorkflow(s){': ' + ', '.join(names) if names else ''}; Ctrl-C stops",
          flush=True)
    stop = threading.Event()
    if a.for_ is not None:
        threading.Timer(a.for_, stop.set).start()
    try:
        cron.Scheduler(store).serve(stop, lambda run: print(f"{iso(time.time())} started {run}", flush=True))
    except KeyboardInterrupt:
        stop.set()
    return 0
