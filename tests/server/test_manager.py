"""FlowManager without HTTP: listing, reading, logs, submit, actions, lint, path safety."""
from __future__ import annotations

import calendar
import os
import time

import pytest

from jupyter_flow import timestamps
from jupyter_flow.server.manager import ACTIONS, FlowManager, ManagerError, summary

from .helpers import APPROVE, FAIL, HELLO, PARAM, SLEEP, TYPO, wait_for


@pytest.fixture
def mgr(flow_home):
    return FlowManager(flow_home)


def finished(mgr, name):
    return lambda: mgr.get_run(name)["status"].get("phase") in ("Succeeded", "Failed", "Error")


def submit_wait(mgr, text, **kw):
    wf = mgr.submit(text, wait=True, timeout=60, **kw)
    assert wf["status"]["phase"] in ("Succeeded", "Failed", "Error"), wf["status"]
    return wf


def pod(wf):
    return next(n for n in wf["status"]["nodes"].values() if n["type"] == "Pod")


def test_empty_store_lists_nothing(mgr):
    assert mgr.list_runs() == []
    assert mgr.list_runs("Running") == []


def test_submit_runs_in_its_own_process_and_lists(mgr, zone):
    submitted = time.time()
    wf = submit_wait(mgr, HELLO, filename="hello.yaml")
    name = wf["metadata"]["name"]
    assert name.startswith("hello-")
    assert wf["status"]["phase"] == "Succeeded"
    rows = mgr.list_runs()
    assert [r["name"] for r in rows] == [name]
    row = rows[0]
    assert row["phase"] == "Succeeded" and row["progress"] == "1/1"
    assert row["startedAt"] and row["finishedAt"] and row["duration"] is not None
    # the engine (its own process, in the same zone) stamps UTC, and the summary reads it as UTC
    started, ended = timestamps.parse_iso(row["startedAt"]), timestamps.parse_iso(row["finishedAt"])
    assert int(submitted) - 1 <= started <= ended <= time.time() + 1, (zone, row)
    assert row["duration"] == ended - started
    assert mgr.list_runs("Succeeded")[0]["name"] == name
    assert mgr.list_runs("Failed") == []


def test_list_filter_rejects_unknown_phase(mgr):
    with pytest.raises(ManagerError) as err:
        mgr.list_runs("Bogus")
    assert err.value.status == 400


def test_get_run_is_argo_shaped(mgr):
    name = submit_wait(mgr, HELLO)["metadata"]["name"]
    wf = mgr.get_run(name)
    assert wf["kind"] == "Workflow" and wf["apiVersion"] == "argoproj.io/v1alpha1"
    assert wf["metadata"]["name"] == name
    node = pod(wf)
    for key in ("id", "name", "displayName", "type", "phase", "templateName", "startedAt", "finishedAt"):
        assert key in node
    assert node["outputs"]["exitCode"] == "0"


def test_get_unknown_run_is_404_and_bad_name_400(mgr):
    with pytest.raises(ManagerError) as err:
        mgr.get_run("no-such-run")
    assert err.value.status == 404
    for bad in ("../etc", "a/b", "..", "UPPER", "x" * 300, ""):
        with pytest.raises(ManagerError) as err:
            mgr.get_run(bad)
        assert err.value.status == 400, bad


def test_parameters_reach_the_run(mgr):
    wf = submit_wait(mgr, PARAM, parameters={"who": "jupyter"})
    chunk = mgr.read_log(wf["metadata"]["name"], pod(wf)["id"])
    assert chunk.text == "hi jupyter\n"


def test_read_log_by_id_and_display_name_with_offsets(mgr):
    wf = submit_wait(mgr, HELLO)
    name, node = wf["metadata"]["name"], pod(wf)
    chunk = mgr.read_log(name, node["id"])
    assert chunk.text == "hello world\n" and chunk.finished and chunk.offset == len(b"hello world\n")
    assert mgr.read_log(name, node["displayName"]).text == "hello world\n"
    rest = mgr.read_log(name, node["id"], offset=6)
    assert rest.text == "world\n" and rest.offset == 12
    assert mgr.read_log(name, node["id"], offset=chunk.offset).text == ""


def test_read_log_keeps_multibyte_characters_whole(mgr, flow_home):
    wf = submit_wait(mgr, HELLO)
    name, node = wf["metadata"]["name"], pod(wf)
    path = mgr.log_path(name, node["id"])
    path.write_bytes("é€".encode() + "€".encode()[:2])  # last character half written
    chunk = mgr.read_log(name, node["id"])
    assert chunk.text == "é€" and chunk.offset == len("é€".encode())
    path.write_bytes("é€€".encode())
    assert mgr.read_log(name, node["id"], offset=chunk.offset).text == "€"


def test_follow_log_streams_until_the_node_finishes(mgr):
    wf = mgr.submit(HELLO)
    name = wf["metadata"]["name"]
    node_id = wait_for(lambda: next((n["id"] for n in mgr.get_run(name)["status"].get("nodes", {}).values()
                                     if n["type"] == "Pod"), None))
    chunks = list(mgr.follow_log(name, node_id, timeout=30))
    assert "".join(c.text for c in chunks) == "hello world\n"
    assert chunks[-1].finished


def test_log_refuses_path_traversal(mgr, flow_home):
    wf = submit_wait(mgr, HELLO)
    name = wf["metadata"]["name"]
    (flow_home / "secret.log").write_text("secret")
    for bad in ("../../secret", "../../../etc/passwd", "/etc/passwd", "..", "a/../../b", "%2e%2e"):
        with pytest.raises(ManagerError) as err:
            mgr.read_log(name, bad)
        assert err.value.status in (400, 403, 404), bad
    for bad in ("../" + name, "..%2f", "/abs"):
        with pytest.raises(ManagerError) as err:
            mgr.read_log(bad, pod(wf)["id"])
        assert err.value.status == 400


def test_log_refuses_a_symlinked_log_file(mgr, flow_home):
    wf = submit_wait(mgr, HELLO)
    name, node = wf["metadata"]["name"], pod(wf)
    (flow_home / "secret.txt").write_text("top secret")
    path = mgr.log_path(name, node["id"])
    path.unlink()
    path.symlink_to(flow_home / "secret.txt")
    with pytest.raises(ManagerError) as err:
        mgr.read_log(name, node["id"])
    assert err.value.status == 403


def test_artifacts_are_served_only_from_the_run(mgr, flow_home):
    wf = submit_wait(mgr, HELLO)
    name, node = wf["metadata"]["name"], pod(wf)
    root = mgr.store.artifact_dir(name)
    (root / node["id"]).mkdir(parents=True)
    (root / node["id"] / "result.txt").write_text("ok")
    (flow_home / "secret.txt").write_text("top secret")
    os.symlink(flow_home / "secret.txt", root / node["id"] / "evil")
    assert mgr.artifact_path(name, f"{node['id']}/result.txt").read_text() == "ok"
    assert mgr.artifact_path(name, node["id"]).is_dir()
    for bad, status in ((f"{node['id']}/evil", 403), ("../../secret.txt", 403), ("/etc/passwd", 400),
                        (f"{node['id']}/../../../secret.txt", 403), ("", 400), (f"{node['id']}/missing", 404)):
        with pytest.raises(ManagerError) as err:
            mgr.artifact_path(name, bad)
        assert err.value.status == status, bad


def test_lint_reports_line_and_column(mgr):
    errors = mgr.lint(TYPO, "typo.yaml")
    assert errors, errors
    err = errors[0]
    assert (err["line"], err["column"]) == (11, 5)
    assert "contaner" in err["message"] and err["file"] == "typo.yaml"
    assert err["text"].startswith("typo.yaml:11:5:")
    assert mgr.lint(HELLO) == []


def test_lint_reports_yaml_syntax_errors_with_position(mgr):
    errors = mgr.lint("kind: Workflow\nspec: [unclosed\n", "bad.yaml")
    assert errors and errors[0]["line"] >= 2


def test_submit_invalid_document_is_422_with_errors(mgr):
    with pytest.raises(ManagerError) as err:
        mgr.submit(TYPO, filename="typo.yaml")
    assert err.value.status == 422
    assert err.value.errors[0]["line"] == 11
    assert mgr.list_runs() == []
    for bad in ("", "   ", None, 42):
        with pytest.raises(ManagerError) as err:
            mgr.submit(bad)
        assert err.value.status == 400
    with pytest.raises(ManagerError) as err:
        mgr.submit(HELLO, parameters=["not", "a", "map"])
    assert err.value.status == 400


def test_submit_rejects_huge_documents(mgr):
    with pytest.raises(ManagerError) as err:
        mgr.submit("a: " + "x" * (3 << 20))
    assert err.value.status == 413


def test_submit_with_a_taken_name_is_409(mgr):
    submit_wait(mgr, HELLO, name="fixed-name")
    with pytest.raises(ManagerError) as err:
        mgr.submit(HELLO, name="fixed-name")
    assert err.value.status == 409


def test_resume_a_suspended_run(mgr):
    name = mgr.submit(APPROVE)["metadata"]["name"]
    wait_for(lambda: any(n["type"] == "Suspend" and n["phase"] == "Running"
                         for n in mgr.get_run(name)["status"].get("nodes", {}).values()))
    assert mgr.action(name, "resume") == {"name": name}
    wait_for(finished(mgr, name))
    assert mgr.get_run(name)["status"]["phase"] == "Succeeded"


def test_suspend_then_resume(mgr):
    name = mgr.submit(APPROVE)["metadata"]["name"]
    wait_for(lambda: mgr.get_run(name)["status"].get("phase") == "Running")
    mgr.action(name, "suspend")
    wait_for(lambda: mgr.get_run(name)["status"].get("suspended"))
    mgr.action(name, "resume")
    wait_for(finished(mgr, name))
    assert mgr.get_run(name)["status"]["phase"] == "Succeeded"


@pytest.mark.parametrize("verb", ["stop", "terminate"])
def test_stop_and_terminate_end_a_running_run(mgr, verb):
    name = mgr.submit(SLEEP)["metadata"]["name"]
    wait_for(lambda: any(n["type"] == "Pod" and n["phase"] == "Running"
                         for n in mgr.get_run(name)["status"].get("nodes", {}).values()))
    mgr.action(name, verb, {"message": "enough"} if verb == "stop" else None)
    wait_for(finished(mgr, name))
    assert mgr.get_run(name)["status"]["phase"] == "Failed"   # Argo: stopped or terminated is Failed


def test_actions_on_a_finished_run_are_409(mgr):
    name = submit_wait(mgr, HELLO)["metadata"]["name"]
    for verb in ("resume", "suspend", "stop", "terminate", "retry"):
        with pytest.raises(ManagerError) as err:
            mgr.action(name, verb)
        assert err.value.status == 409, verb


def test_retry_a_failed_run(mgr):
    wf = submit_wait(mgr, FAIL)
    name = wf["metadata"]["name"]
    assert wf["status"]["phase"] == "Failed"
    assert mgr.action(name, "retry") == {"name": name}
    wait_for(lambda: mgr.store.get_run(name).status.get("phase") == "Failed"
             and len(mgr.get_run(name)["status"]["nodes"]) >= 1, timeout=30)
    wait_for(finished(mgr, name))
    assert mgr.get_run(name)["status"]["phase"] == "Failed"  # it fails again, as it must


def test_resubmit_makes_a_new_run(mgr):
    name = submit_wait(mgr, HELLO)["metadata"]["name"]
    new = mgr.action(name, "resubmit")["name"]
    assert new != name and new.startswith("hello-")
    wait_for(finished(mgr, new))
    assert mgr.get_run(new)["status"]["phase"] == "Succeeded"
    assert {r["name"] for r in mgr.list_runs()} == {name, new}


def test_delete_removes_run_and_files(mgr):
    name = submit_wait(mgr, HELLO)["metadata"]["name"]
    run_dir = mgr.store.run_dir(name)
    assert run_dir.exists()
    assert mgr.action(name, "delete") == {"name": name, "deleted": True}
    assert not run_dir.exists()
    with pytest.raises(ManagerError) as err:
        mgr.get_run(name)
    assert err.value.status == 404


def test_delete_a_running_run_terminates_it(mgr):
    name = mgr.submit(SLEEP)["metadata"]["name"]
    wait_for(lambda: mgr.get_run(name)["status"].get("phase") == "Running")
    mgr.action(name, "delete")
    assert mgr.list_runs() == []


def test_unknown_action_is_404(mgr):
    name = submit_wait(mgr, HELLO)["metadata"]["name"]
    with pytest.raises(ManagerError) as err:
        mgr.action(name, "explode")
    assert err.value.status == 404
    assert set(ACTIONS) == {"resume", "suspend", "stop", "terminate", "retry", "resubmit", "delete"}


def test_runs_from_other_processes_share_the_store(mgr, flow_home):
    """A run made by the CLI shows up in the manager (the store is the contract)."""
    import subprocess
    import sys
    path = flow_home / "hello.yaml"
    path.write_text(HELLO)
    out = subprocess.run([sys.executable, "-m", "jupyter_flow.cli", "submit", str(path), "--wait", "-o", "name"],
                         capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, JUPYTER_FLOW_HOME=str(flow_home)))
    assert out.returncode == 0, out.stderr
    name = out.stdout.strip().splitlines()[-1]
    assert [r["name"] for r in mgr.list_runs()] == [name]


def test_summary_of_a_running_run_has_a_live_duration(zone):
    before = time.time()
    row = summary({"metadata": {"name": "x"}, "status": {"phase": "Running", "startedAt": "2020-07-01T00:00:00Z"}})
    after = time.time()
    started = calendar.timegm((2020, 7, 1, 0, 0, 0))
    assert before - started <= row["duration"] <= after - started, (zone, row["duration"])
    assert row["finishedAt"] is None and row["progress"] == "0/0"
    done = summary({"metadata": {"name": "y"}, "status": {"phase": "Succeeded", "startedAt": "2026-03-08T06:30:00Z",
                                                          "finishedAt": "2026-03-08T07:30:00Z"}})
    assert done["duration"] == 3600   # across New York's spring switch (07:00 UTC): still one hour


def test_a_run_waiting_at_a_suspend_step_lists_as_suspended(mgr):
    """Argo UI's isWorkflowSuspended: a Suspend node Running makes the run resumable, so the
    panel offers Resume (and not Suspend) from the list's summary alone."""
    name = mgr.submit(APPROVE)["metadata"]["name"]
    wait_for(lambda: any(n["type"] == "Suspend" and n["phase"] == "Running"
                         for n in mgr.get_run(name)["status"].get("nodes", {}).values()))
    row = next(r for r in mgr.list_runs() if r["name"] == name)
    assert row["phase"] == "Running" and row["suspended"] is True
    mgr.action(name, "resume")
    wait_for(finished(mgr, name))
    row = next(r for r in mgr.list_runs() if r["name"] == name)
    assert row["phase"] == "Succeeded" and row["suspended"] is False
