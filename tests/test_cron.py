"""CronWorkflows (jupyter_flow/cron.py): schedules, the Workflow a CronWorkflow runs, and the
scheduler's rounds, driven with explicit times; each run it starts is a real detached engine."""
from __future__ import annotations

import os
import time
from datetime import datetime, timezone

import pytest

from jupyter_flow import api, cron
from jupyter_flow.errors import JupyterFlowError
from jupyter_flow.runset import select
from jupyter_flow.store import open_store


def _t(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).timestamp()


def test_schedules_as_robfig_cron_reads_them():
    at = _t("2026-11-29T10:17:30")
    assert cron.next_time("* * * * *", "UTC", at) == _t("2026-11-29T10:18:00")
    assert cron.next_time("*/15 * * * *", "UTC", at) == _t("2026-11-29T10:30:00")
    assert cron.next_time("@hourly", "UTC", at) == _t("2026-11-29T11:00:00")
    assert cron.next_time("@daily", "UTC", at) == _t("2026-11-30T00:00:00")
    every = cron.next_time("@every 90s", None, at)            # multiples of 90 s
    assert every % 90 == 0 and 0 < every - at <= 90
    # time zones: 9:00 in Los Angeles is 17:00 UTC in winter; CRON_TZ= in the schedule wins
    assert cron.next_time("0 9 * * *", "America/Los_Angeles", at) == _t("2026-11-29T17:00:00")
    assert cron.next_time("CRON_TZ=Asia/Tokyo 0 9 * * *", "America/Los_Angeles", at) == _t("2026-11-30T00:00:00")
    assert cron.previous_time("*/15 * * * *", "UTC", _t("2026-11-29T10:30:00")) == _t("2026-11-29T10:30:00")
    doc = {"spec": {"schedules": ["0 * * * *", "30 * * * *"]}}
    assert cron.due(doc, _t("2026-11-29T10:00:00"), _t("2026-11-29T10:45:00")) == _t("2026-11-29T10:30:00")
    assert cron.due(doc, _t("2026-11-29T10:30:00"), _t("2026-11-29T10:45:00")) is None


def test_validate_names_what_is_wrong():
    problems = cron.validate({"spec": {"schedules": ["61 * * * *", "every day"], "timezone": "Mars/Olympus",
                                       "concurrencyPolicy": "Sometimes"}})
    text = "\n".join(problems)
    assert "unknown time zone 'Mars/Olympus'" in text
    assert "'61 * * * *': not a valid cron expression" in text and "'every day': expected 5 fields" in text
    assert "concurrencyPolicy: 'Sometimes' is not one of Allow, Forbid, Replace" in text
    assert "spec.workflowSpec: required" in text
    assert cron.validate({"spec": {"workflowSpec": {}}}) == ["spec.schedules: at least one schedule is required"]


def test_the_workflow_a_cron_workflow_runs():
    doc = {"apiVersion": "argoproj.io/v1alpha1", "kind": "CronWorkflow",
           "metadata": {"name": "nightly", "labels": {"team": "x", "workflows.argoproj.io/creator": "me"}},
           "spec": {"schedules": ["@daily"], "workflowMetadata": {"labels": {"app": "etl"}, "annotations": {"a": "b"}},
                    "workflowSpec": {"entrypoint": "main", "templates": []}}}
    wf = cron.to_workflow(doc, _t("2026-11-29T00:00:00"), name="nightly-1796083200")
    assert wf["kind"] == "Workflow" and wf["metadata"]["name"] == "nightly-1796083200"
    assert wf["metadata"]["labels"] == {"workflows.argoproj.io/cron-workflow": "nightly", "app": "etl",
                                        "workflows.argoproj.io/creator": "me"}   # only creator labels carry over
    assert wf["metadata"]["annotations"] == {"workflows.argoproj.io/scheduled-time": "2026-11-29T00:00:00Z", "a": "b"}
    assert wf["spec"] == {"entrypoint": "main", "templates": []}
    assert cron.to_workflow(doc, 0)["metadata"]["generateName"] == "nightly-"   # submit --from cronwf/nightly


def _cron(name, *, args=("echo", "at {{workflow.scheduledTime}}"), schedule="* * * * *", **spec):
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "CronWorkflow", "metadata": {"name": name},
            "spec": {"schedules": [schedule], **spec, "workflowSpec": {"entrypoint": "main", "templates": [
                {"name": "main", "container": {"image": "busybox", "command": list(args[:1]), "args": list(args[1:])}}]}}}


def _finish(store, name, timeout=30):
    assert api.get(name, store=store).wait(timeout) in ("Succeeded", "Failed", "Error")


T0 = _t("2026-11-29T10:00:30")


def test_a_scheduled_run_its_scheduled_time_and_the_cron_status():
    store = open_store()
    cron.create(_cron("hello"), store)
    s = cron.Scheduler(store)
    assert s.tick(T0) == []                                   # a first look makes up nothing
    started = s.tick(T0 + 40)                                 # 10:01:00 came due
    assert started == [f"hello-{int(_t('2026-11-29T10:01:00'))}"]
    status = cron.get("hello", store)["status"]
    assert status["active"] == started and status["lastScheduledTime"] == "2026-11-29T10:01:00Z"
    assert status["phase"] == "Active"
    assert s.tick(T0 + 45) == []                              # same minute: nothing more
    _finish(store, started[0])
    run = api.get(started[0], store=store)
    assert run.logs().strip() == f"{started[0]}: at 2026-11-29T10:01:00Z"
    assert run.to_dict()["metadata"]["labels"]["workflows.argoproj.io/cron-workflow"] == "hello"
    s.tick(T0 + 50)
    status = cron.get("hello", store)["status"]
    assert status["active"] == [] and status["succeeded"] == 1 and status.get("failed", 0) == 0


def test_suspend_when_and_forbid_hold_runs_back():
    store = open_store()
    cron.create(_cron("held", suspend=True), store)
    cron.create(_cron("never", when="{{= cronworkflow.succeeded > 5 }}"), store)
    cron.create(_cron("busy", args=("sleep", "30"), concurrencyPolicy="Forbid"), store)
    s = cron.Scheduler(store)
    s.tick(T0)
    assert s.tick(T0 + 40) == [f"busy-{int(T0 + 30)}"]        # held is suspended, never's `when` is false
    assert s.tick(T0 + 100) == []                             # busy still runs: Forbid
    cron.set_suspend("held", store, False)
    assert s.tick(T0 + 160) == [f"held-{int(T0 + 150)}"]
    api.get(f"busy-{int(T0 + 30)}", store=store).terminate()
    _finish(store, f"busy-{int(T0 + 30)}")
    _finish(store, f"held-{int(T0 + 150)}")


def test_replace_terminates_the_active_run_first():
    store = open_store()
    cron.create(_cron("swap", args=("sleep", "30"), concurrencyPolicy="Replace"), store)
    s = cron.Scheduler(store)
    s.tick(T0)
    first = s.tick(T0 + 40)[0]
    deadline = time.time() + 20
    while api.get(first, store=store).phase != "Running":
        assert time.time() < deadline
        time.sleep(0.05)
    second = s.tick(T0 + 100)[0]
    assert api.get(first, store=store).wait(20) == "Failed"    # terminated
    api.get(second, store=store).terminate()
    _finish(store, second)


def test_history_limits_and_stop_strategy():
    store = open_store()
    cron.create(_cron("tidy", successfulJobsHistoryLimit=1, stopStrategy={"expression": "cronworkflow.succeeded >= 2"}),
                store)
    s = cron.Scheduler(store)
    s.tick(T0)
    first = s.tick(T0 + 40)[0]
    _finish(store, first)
    second = s.tick(T0 + 100)[0]
    _finish(store, second)
    assert s.tick(T0 + 160) == []                             # two succeeded: stopped
    doc = cron.get("tidy", store)
    assert doc["status"]["phase"] == "Stopped" and doc["status"]["succeeded"] == 2
    names = {r.name for r in select(store=store)}
    assert second in names and first not in names             # only the newest succeeded run is kept


def test_a_missed_time_runs_only_within_starting_deadline_seconds():
    store = open_store()
    for name, deadline in (("late", 300), ("gone", None)):
        doc = _cron(name, **({"startingDeadlineSeconds": deadline} if deadline else {}))
        cron.create(doc, store)
        kept = cron.get(name, store)
        kept["status"] = {"lastScheduledTime": "2026-11-29T09:58:00Z"}
        store.update_template(cron.KIND, name, kept)
    started = cron.Scheduler(store).tick(T0)                  # the scheduler was down at 09:59 and 10:00
    assert started == [f"late-{int(_t('2026-11-29T10:00:00'))}"]
    _finish(store, started[0])


def test_create_refuses_duplicates_and_bad_schedules():
    store = open_store()
    cron.create(_cron("one"), store)
    with pytest.raises(JupyterFlowError, match="already exists"):
        cron.create(_cron("one"), store)
    with pytest.raises(JupyterFlowError, match="'nope': expected 5 fields"):
        cron.create(_cron("two", schedule="nope"), store)
    with pytest.raises(JupyterFlowError, match="CronWorkflow 'three' not found"):
        cron.get("three", store)
    with pytest.raises(JupyterFlowError, match="CronWorkflow 'three' not found"):
        cron.update(_cron("three"), store)


def test_update_keeps_the_status_and_creation_time():
    store = open_store()
    cron.create(_cron("keep"), store)
    kept = cron.get("keep", store)
    kept["status"] = {"lastScheduledTime": "2026-11-29T09:58:00Z", "succeeded": 4}
    store.update_template(cron.KIND, "keep", kept)
    cron.update(_cron("keep", schedule="@hourly", suspend=True), store)
    doc = cron.get("keep", store)
    assert doc["spec"]["schedules"] == ["@hourly"] and doc["spec"]["suspend"] is True
    assert doc["status"] == kept["status"]
    assert doc["metadata"]["creationTimestamp"] == kept["metadata"]["creationTimestamp"]


def test_the_expression_worker_answers_when_descriptors_pass_1024(tmp_path):
    """A Jupyter server holds well over 1024 descriptors; select() refused them ('filedescriptor out
    of range'), so every CronWorkflow round of the server extension failed."""
    import subprocess
    import sys
    code = (
        "import os, resource\n"
        "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (min(4096, hard), hard))\n"
        "held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]\n"
        "from jupyter_flow.cron_eval import Isolated\n"
        "ev = Isolated(seconds=30)\n"
        "try:\n"
        "    print(ev.holds(\"'a' =~ '^a$'\", {'metadata': {'name': 'c'}}, {}, 'when'),"
        " ev.holds('1 == 2', {'metadata': {'name': 'c'}}, {}, 'when'))\n"
        "finally:\n"
        "    ev.close()\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, JUPYTER_FLOW_HOME=str(tmp_path)))
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "False"]
