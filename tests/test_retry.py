"""``argo retry`` and ``argo resubmit --memoized`` (each backend's ``retry``, jupyter_flow/resubmit.py): what succeeded is not
run again, with real runs whose steps count their executions in a file."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

import jupyter_flow
from jupyter_flow.errors import JupyterFlowError
from tests.engine.workflows import by_name, logs, run, sh, wf


def _doc(marks):
    """count (retried by a retryStrategy) and once run and print; gate fails until `ok` exists;
    after gate, use prints what count and once printed."""
    return wf([
        {"name": "main", "dag": {"tasks": [
            {"name": "count", "template": "count"},
            {"name": "once", "template": "once"},
            {"name": "gate", "template": "gate", "depends": "count && once"},
            {"name": "use", "template": "use", "depends": "gate",
             "arguments": {"parameters": [{"name": "m", "value": "{{tasks.count.outputs.result}}"
                                                                 "-{{tasks.once.outputs.result}}"}]}}]}},
        sh("count", f"echo run >> {marks}/count; echo $(wc -l < {marks}/count)", retryStrategy={"limit": 2}),
        sh("once", f"echo run >> {marks}/once; echo first"),
        sh("gate", f"test -e {marks}/ok"),
        {"name": "use", "inputs": {"parameters": [{"name": "m"}]},
         "container": {"image": "busybox", "command": ["echo", "{{inputs.parameters.m}}"]}},
    ])


@pytest.fixture
def marks():
    """Where steps count their runs: outside /tmp (a step's /tmp is its own when it is sandboxed)."""
    path = Path(tempfile.mkdtemp(dir="/var/tmp", prefix="jf-marks-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _runs(marks, step):
    return len((marks / step).read_text().splitlines())


def test_resubmit_memoized_reuses_the_pods_that_succeeded(marks):
    first = run(_doc(marks))
    assert first.phase == "Failed" and _runs(marks, "count") == _runs(marks, "once") == 1
    (marks / "ok").touch()
    again = first.resubmit(wait=True, memoized=True)
    assert again.name != first.name and again.phase == "Succeeded"
    assert _runs(marks, "count") == _runs(marks, "once") == 1        # neither ran again
    old, new = by_name(first), by_name(again)
    once = new["once"]
    assert (once["type"], once["phase"], once["message"]) == ("Skipped", "Skipped", f"original pod: {old['once']['id']}")
    assert once["outputs"]["result"] == "first"
    assert new["count(0)"]["phase"] == "Skipped" and new["count"]["phase"] == "Succeeded"   # the retry node stands
    assert new["gate"]["phase"] == "Succeeded" and logs(again, "use") == "1-first"       # outputs reach `use`
    labels = again.to_dict()["metadata"]["labels"]
    assert labels["workflows.argoproj.io/resubmitted-from-workflow"] == first.name


def test_resubmit_memoized_of_a_run_that_succeeded_is_refused_like_argo(marks):
    (marks / "ok").touch()
    done = run(_doc(marks))
    assert done.phase == "Succeeded"
    with pytest.raises(JupyterFlowError, match="workflow must be Failed/Error to resubmit in memoized mode"):
        done.resubmit(memoized=True)
    assert [r.name for r in jupyter_flow.runs()] == [done.name]        # nothing was created


def test_retry_keeps_a_retried_steps_attempt_that_succeeded(marks):
    first = run(_doc(marks))
    assert first.phase == "Failed"
    (marks / "ok").touch()
    again = first.retry(wait=True)
    assert again.name == first.name and again.phase == "Succeeded"
    assert _runs(marks, "count") == 1 and logs(again, "use") == "1-first"
