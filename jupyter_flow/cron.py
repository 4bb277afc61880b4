"""CronWorkflows on one machine: what Argo's cron controller does (workflow/cron/operator.go).

A CronWorkflow is kept in the store (the templates table, kind ``CronWorkflow``) with its
``status`` (``active`` runs, ``lastScheduledTime``, ``succeeded``/``failed`` counts, ``phase``).
The ``Scheduler`` is the controller: each ``tick()`` it reconciles the active runs (counting the
finished ones, keeping ``successfulJobsHistoryLimit``/``failedJobsHistoryLimit`` of them), checks
``stopStrategy``, and for every schedule that came due fires a run, unless ``suspend``, a false
``when`` or ``concurrencyPolicy: Forbid`` says no (``Replace`` terminates the active runs first).
A run is the Workflow of ``spec.workflowSpec`` named ``<cron>-<unix time>``, labelled
``workflows.argoproj.io/cron-workflow`` and annotated with its scheduled time
(``{{workflow.scheduledTime}}``); it runs in an engine process of its own, so it outlives the
scheduler. ``jupyter-flow cron run`` is the scheduler in the foreground.

Times a scheduler was not running for are not made up, as in Argo: only the latest missed
time is run, and only when ``startingDeadlineSeconds`` is set and has not passed.
"""
from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING, Callable

from .cron_eval import holds  # when / stopStrategy.expression, as the worker evaluates them
from .errors import JupyterFlowError
from .phases import FINISHED
from .timestamps import iso, parse_iso

if TYPE_CHECKING:
    import threading

KIND = "CronWorkflow"
LABEL = "workflows.argoproj.io/cron-workflow"
SCHEDULED = "workflows.argoproj.io/scheduled-time"
POLICIES = ("Allow", "Forbid", "Replace")
_DESCRIPTORS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
                "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}


def _zone(name: str | None):
    if not name:
        return datetime.now().astimezone().tzinfo   # Argo: the controller's local time zone
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise JupyterFlowError(f"spec.timezone: unknown time zone {name!r}") from None


def schedules(doc: dict) -> list[str]:
    spec = doc.get("spec") or {}
    found = list(spec.get("schedules") or [])
    if spec.get("schedule"):   # before v3.6: one schedule
        found.append(spec["schedule"])
    return [str(s) for s in found]


def _parse(schedule: str, zone_name: str | None):
    """``(every, cron text, zone)`` for robfig/cron's standard parser: five fields, ``@hourly``-style
    descriptors, ``@every <duration>`` (here: at multiples of it since the epoch) and a
    ``CRON_TZ=<zone>`` prefix."""
    text = schedule.strip()
    if text.startswith(("CRON_TZ=", "TZ=")):
        zone_name, _, text = text.partition("=")[2].partition(" ")
        text = text.strip()
    if text.startswith("@every "):
        from .engine.durations import parse_duration
        try:
            every = parse_duration(text[len("@every "):].strip())
        except Exception:
            every = 0
        if every < 1:
            raise JupyterFlowError(f"schedule {schedule!r}: @every needs a duration of 1s or more (e.g. @every 90s)")
        return every, None, None
    text = _DESCRIPTORS.get(text, text)
    if len(text.split()) != 5:
        raise JupyterFlowError(f"schedule {schedule!r}: expected 5 fields (minute hour day month weekday) "
                               "or a descriptor such as @hourly or @every 1h")
    from croniter import croniter
    if not croniter.is_valid(text):
        raise JupyterFlowError(f"schedule {schedule!r}: not a valid cron expression")
    return None, text, _zone(zone_name)


def next_time(schedule: str, zone_name: str | None, after: float) -> float:
    """The first time ``schedule`` fires strictly after ``after``."""
    every, text, zone = _parse(schedule, zone_name)
    if every:
        return (after // every + 1) * every
    from croniter import croniter
    return float(croniter(text, datetime.fromtimestamp(after, zone)).get_next(float))


def previous_time(schedule: str, zone_name: str | None, at: float) -> float:
    """The last time ``schedule`` fired at or before ``at``."""
    every, text, zone = _parse(schedule, zone_name)
    if every:
        return (at // every) * every
    from croniter import croniter
    return float(croniter(text, datetime.fromtimestamp(at + 1e-3, zone)).get_prev(float))


def validate(doc: dict) -> list[str]:
    """What the cron controller would refuse in ``doc`` (validate.CronWorkflow), beyond the schema."""
    from .spec.names import object_name_problem
    spec = doc.get("spec") or {}
    problems = []
    name = (doc.get("metadata") or {}).get("name")
    name_problem = object_name_problem(name, "CronWorkflow") if name else None   # missing: create says so
    if name_problem:   # its runs are named <cron>-<unix time>: run directories, node ids
        problems.append(f"metadata.name: {name_problem}")
    if not schedules(doc):
        problems.append("spec.schedules: at least one schedule is required")
    try:
        _zone(spec.get("timezone"))
    except JupyterFlowError as exc:
        problems.append(str(exc))
    for s in schedules(doc):
        try:
            next_time(s, spec.get("timezone"), time.time())
        except JupyterFlowError as exc:
            problems.append(f"spec.schedules: {exc}")
    if spec.get("concurrencyPolicy") not in (None, "", *POLICIES):
        problems.append(f"spec.concurrencyPolicy: {spec['concurrencyPolicy']!r} is not one of {', '.join(POLICIES)}")
    if not isinstance(spec.get("workflowSpec"), dict):
        problems.append("spec.workflowSpec: required")
    return problems


def to_workflow(doc: dict, scheduled: float, *, name: str | None = None) -> dict:
    """The Workflow a CronWorkflow runs (ConvertCronWorkflowToWorkflow[WithProperties]): named
    ``<cron>-<unix time>`` when the scheduler fires it, ``<cron>-<random>`` for ``submit --from``."""
    import copy
    meta = doc.get("metadata") or {}
    spec = doc.get("spec") or {}
    cron = meta.get("name", "cron")
    labels = {k: v for k, v in (meta.get("labels") or {}).items() if k.startswith("workflows.argoproj.io/creator")}
    labels[LABEL] = cron
    annotations = {SCHEDULED: iso(scheduled)}
    extra = spec.get("workflowMetadata") or {}
    labels.update(extra.get("labels") or {})
    annotations.update(extra.get("annotations") or {})
    out_meta = {"labels": labels, "annotations": annotations}
    if name:
        out_meta["name"] = name
    else:
        out_meta["generateName"] = f"{cron}-"
    return {"apiVersion": doc.get("apiVersion", "argoproj.io/v1alpha1"), "kind": "Workflow",
            "metadata": out_meta, "spec": copy.deepcopy(spec.get("workflowSpec") or {})}


def due(doc: dict, since: float, now: float) -> float | None:
    """The latest time in (since, now] at which one of ``doc``'s schedules fires, or None."""
    zone = (doc.get("spec") or {}).get("timezone")
    times = [previous_time(s, zone, now) for s in schedules(doc)]
    latest = max(times, default=None)
    return latest if latest is not None and latest > since else None



# ---- the store's CronWorkflows ------------------------------------------------------------------

def create(doc: dict, store) -> str:
    """Keep a new CronWorkflow (``argo cron create``); refuses one that exists or does not validate."""
    name = (doc.get("metadata") or {}).get("name")
    if not name:
        raise JupyterFlowError("metadata.name: a CronWorkflow needs a name")
    if store.get_template(KIND, name) is not None:
        raise JupyterFlowError(f"CronWorkflow {name!r} already exists (`jupyter-flow cron delete {name}` it first)")
    problems = validate(doc)
    if problems:
        raise JupyterFlowError(f"CronWorkflow {name!r}: " + "; ".join(problems))
    data = {k: v for k, v in doc.items() if k != "status"}
    data.setdefault("metadata", {}).setdefault("namespace", "default")
    data["metadata"]["creationTimestamp"] = iso(time.time())
    data["status"] = {}
    store.put_template(KIND, name, data)
    return name


def update(doc: dict, store) -> str:
    """Replace an existing CronWorkflow's spec, labels and annotations (``argo cron update``); its
    status (last scheduled time, active runs, counts) and creation time stay."""
    name = (doc.get("metadata") or {}).get("name")
    old = get(name or "", store)
    problems = validate(doc)
    if problems:
        raise JupyterFlowError(f"CronWorkflow {name!r}: " + "; ".join(problems))
    data = {k: v for k, v in doc.items() if k != "status"}
    meta = data.setdefault("metadata", {})
    meta.setdefault("namespace", "default")
    meta["creationTimestamp"] = (old.get("metadata") or {}).get("creationTimestamp") or iso(time.time())
    data["status"] = old.get("status") or {}
    store.update_template(KIND, name, data)
    return name


def get(name: str, store) -> dict:
    doc = store.get_template(KIND, name)
    if doc is None:
        raise JupyterFlowError(f"CronWorkflow {name!r} not found (`jupyter-flow cron list` shows them)")
    return doc


def set_suspend(name: str, store, suspend: bool) -> None:
    """``argo cron suspend|resume``: ``spec.suspend``; a suspended CronWorkflow fires nothing."""
    doc = get(name, store)
    doc.setdefault("spec", {})["suspend"] = suspend
    store.update_template(KIND, name, doc)


class Scheduler:
    """The cron controller of this machine: ``tick()`` does one round for every CronWorkflow.

    ``seen`` remembers, per CronWorkflow, up to when its schedules were looked at: a time that
    comes due after that fires once. The first look at one (the scheduler started, or the
    CronWorkflow was created) only runs a missed time under ``startingDeadlineSeconds``.
    """

    def __init__(self, store=None, clock: Callable[[], float] = time.time, evaluator=None):
        from .store import open_store
        self.store = store or open_store()
        self.clock = clock
        self.seen: dict[str, float] = {}
        #: answers ``when``/``stopStrategy``; ``serve`` uses a worker process (cron_eval.Isolated)
        self.evaluator = evaluator

    def _holds(self, text: str, doc: dict, status: dict, what: str) -> bool:
        if self.evaluator is not None:
            return self.evaluator.holds(text, doc, status, what)
        return holds(text, doc, status, what)

    def tick(self, now: float | None = None) -> list[str]:
        """One round; returns the runs it started."""
        now = self.clock() if now is None else now
        started = []
        names = [name for _kind, name, _created in self.store.list_templates(KIND)]
        for name in names:
            doc = self.store.get_template(KIND, name)
            if doc is None:   # deleted meanwhile
                continue
            try:
                run = self._one(name, doc, now)
            except JupyterFlowError as exc:   # a bad `when`, a failed submit: recorded on the CronWorkflow
                status = doc.setdefault("status", {})
                status["conditions"] = [{"type": "SubmissionError", "status": "True", "message": str(exc)}]
                self._save(name, status)
                continue
            if run:
                started.append(run)
        for name in set(self.seen) - set(names):   # deleted: a CronWorkflow made again is new
            del self.seen[name]
        return started

    def _one(self, name: str, doc: dict, now: float) -> str | None:
        status = doc.setdefault("status", {})
        spec = doc.get("spec") or {}
        changed = self._reconcile(name, doc, status)
        if changed:
            self._enforce_history(name, spec)
        stop = (spec.get("stopStrategy") or {}).get("expression")
        if stop and status.get("phase") != "Stopped" and changed and self._holds(stop, doc, status, "stopStrategy"):
            status["phase"] = "Stopped"
        since = self.seen.get(name)
        self.seen[name] = now
        if since is None:   # first look: a missed time only within startingDeadlineSeconds (Argo)
            last = parse_iso(status.get("lastScheduledTime"))
            deadline = spec.get("startingDeadlineSeconds")
            when = due(doc, last, now) if last is not None and deadline is not None else None
            if when is None or now >= when + float(deadline):
                if changed:
                    self._save(name, status)
                return None
        else:
            when = due(doc, since, now)
        if when is None or not self._may_run(doc, status):
            if changed:
                self._save(name, status)
            return None
        from . import api
        wf = to_workflow(doc, when, name=f"{name}-{int(when)}")
        if self.store.exists(wf["metadata"]["name"]):   # this time already ran (AlreadyExists)
            if changed:
                self._save(name, status)
            return None
        try:   # on config.yaml's backend, as `submit` without --backend
            run_name = api.submit(wf, store=self.store, name=wf["metadata"]["name"], detach=True).name
        except api.RunExists:   # another scheduler fired this time first
            if changed:
                self._save(name, status)
            return None
        status.setdefault("active", []).append(run_name)
        status["phase"] = "Active"
        status["lastScheduledTime"] = iso(when)
        status.pop("conditions", None)
        self._save(name, status)
        return run_name

    def _save(self, name: str, status: dict) -> None:
        """Write ``status`` alone into the CronWorkflow as it is now: a ``cron suspend`` or
        ``cron update`` made during the round is kept, not overwritten with what the round read."""
        doc = self.store.get_template(KIND, name)
        if doc is not None:
            doc["status"] = status
            self.store.update_template(KIND, name, doc)

    def _may_run(self, doc: dict, status: dict) -> bool:
        """enforceRuntimePolicy: suspend, Stopped, ``when``, concurrencyPolicy (Replace terminates)."""
        from . import api
        spec = doc.get("spec") or {}
        if spec.get("suspend") or status.get("phase") == "Stopped":
            return False
        if spec.get("when") and not self._holds(spec["when"], doc, status, "when"):
            return False
        policy = spec.get("concurrencyPolicy") or "Allow"
        if status.get("active") and policy == "Forbid":
            return False
        if status.get("active") and policy == "Replace":
            for run in status["active"]:
                try:
                    api.get(run, store=self.store).terminate()
                except JupyterFlowError:   # gone, or it finished meanwhile
                    pass
        return True

    def _reconcile(self, name: str, doc: dict, status: dict) -> bool:
        """Drop finished (or deleted) runs from ``active``, counting how they ended."""
        changed = False
        still = []
        for run in status.get("active") or []:
            rec = self.store.get_run(run, with_nodes=False)
            if rec is not None and rec.phase not in FINISHED:
                from . import api
                rec = api.get(run, store=self.store)._record()   # an engine that died: its run is Error
            if rec is not None and rec.phase not in FINISHED:
                still.append(run)
                continue
            changed = True
            if rec is not None:
                key = "succeeded" if rec.phase == "Succeeded" else "failed"
                status[key] = int(status.get(key) or 0) + 1
        if changed:
            status["active"] = still
        return changed

    def _enforce_history(self, name: str, spec: dict) -> None:
        """Keep the newest ``successfulJobsHistoryLimit`` (3) succeeded and ``failedJobsHistoryLimit``
        (1) failed runs of this CronWorkflow; delete older ones (operator.go enforceHistoryLimit)."""
        from . import api
        limits = {"Succeeded": spec.get("successfulJobsHistoryLimit", 3),
                  "Failed": spec.get("failedJobsHistoryLimit", 1)}
        mine = [r for r in self.store.list_runs()
                if ((r.workflow.get("metadata") or {}).get("labels") or {}).get(LABEL) == name
                and r.phase in FINISHED]
        for phase, limit in limits.items():
            done = sorted((r for r in mine if (r.phase == "Succeeded") == (phase == "Succeeded")),
                          key=lambda r: r.finished_at or r.created_at, reverse=True)
            for old in done[int(limit):]:
                api.get(old.name, store=self.store).delete()

    def serve(self, stop: "threading.Event", on_start: Callable[[str], None] | None = None) -> None:
        """Tick at every second boundary until ``stop`` is set (``cron run``, the server extension).
        A round that fails is reported and the next one runs: a scheduler outlives a bad store read.
        Expressions are answered by a worker process with a time budget (``cron_eval``), so no
        ``when`` can hold this process (the Jupyter server) for longer than a pipe read."""
        import traceback

        from .cron_eval import Isolated
        owned = self.evaluator is None
        if owned:
            self.evaluator = Isolated()
        try:
            while not stop.is_set():
                try:
                    for run in self.tick():
                        if on_start is not None:
                            on_start(run)
                except Exception:   # e.g. the store's disk went away for a moment
                    traceback.print_exc()
                stop.wait(max(0.05, 1.0 - self.clock() % 1.0))
        finally:
            if owned:
                self.evaluator.close()
                self.evaluator = None

    def start_thread(self) -> "threading.Event":
        """``serve`` on a daemon thread; set the returned event to stop it."""
        import threading
        stop = threading.Event()
        threading.Thread(target=self.serve, args=(stop,), name="jupyter-flow-cron", daemon=True).start()
        return stop
