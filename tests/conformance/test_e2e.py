"""Upstream e2e workflows (test/e2e/functional, test/e2e/expectedfailures) against their asserted outcomes.

The outcome comes from ``e2e/e2e_index.tsv``: the workflow phase from the Go test's
``assert.Equal(t, wfv1.WorkflowX, status.Phase)`` or its ``WaitForWorkflow(fixtures.ToBeX)``;
node phases from ``status.Nodes.FindByDisplayName("n").Phase`` assertions; the workflow message
from ``status.Message`` assertions. ``expectedfailures/`` files that no Go test references must
end Failed or Error (the folder's meaning). Lint tests (``argo lint exits 1``) must be rejected
at submit. Files that need a cluster, or runtime interaction not reproduced here, are listed in
``known_failures.tsv`` as ``e2e/<file>``.
"""
from __future__ import annotations

import re

import pytest

import jupyter_flow
from jupyter_flow.errors import SpecError
from jupyter_flow.store import open_store

from .corpus import E2E, e2e_index, known_failures, phases, submissions

KNOWN = known_failures()
TIMEOUT = 150.0
# WorkflowTemplates a Go test creates before submitting the workflow under test
REQUIRES = {"functional__entrypointName-workflow.yaml": ["functional__entrypointName-template.yaml"]}


def _cases() -> list[dict]:
    rows: dict[str, dict] = {}
    for row in e2e_index():
        path = row["yaml"]
        if not (path.startswith("functional/") or path.startswith("expectedfailures/")):
            continue
        case = rows.setdefault(path, {"file": path.replace("/", "__"), "waits": [], "asserts": [], "tests": []})
        case["waits"].append(row.get("wait") or "")
        case["asserts"].append(row.get("asserts") or "")
        case["tests"].append(row.get("test") or "")
    return list(rows.values())


PHASE_RE = re.compile(r"wfv1\.Workflow(Succeeded|Failed|Error)\b,\s*status\.Phase")
PHASE_IN_RE = re.compile(r"\[\]wfv1\.WorkflowPhase\{([^}]*)\},\s*status\.Phase")
WAIT_RE = re.compile(r"ToBe(Succeeded|Failed|Errored)")
NODE_RE = re.compile(r'wfv1\.Node(\w+),\s*status\.Nodes\.FindByDisplayName\("+([^"]+)"+\)\.Phase')
MESSAGE_RE = re.compile(r'assert\.Equal\(t,\s*"+([^"]+)"+,\s*status\.Message\)')


#: Files no Go test asserts a phase on, with the one Argo's operator gives them: steps around a failed
#: or errored step fail ("child ... failed"); a DAG takes its failed branch's phase; a lone pod is
#: Failed for an exit code and Error when its init or wait container cannot load or save an artifact;
#: activeDeadlineSeconds fails the workflow. Left out (either phase accepted): the ones that need a
#: cluster to fail as upstream does (large-workflow, oom-kill, pod-termination-failure, pns__*) and
#: the ones stopped or refused before they run.
ARGO_PHASE = {
    "expectedfailures__dag-disable-failFast.yaml": "Failed", "expectedfailures__dag-disbale-failFast-2.yaml": "Failed",
    "expectedfailures__dag-exhausted-retries.yaml": "Failed", "expectedfailures__dag-fail.yaml": "Failed",
    "expectedfailures__dag-noroot-branch-failed.yaml": "Failed", "expectedfailures__exit-handler-failed.yaml": "Failed",
    "expectedfailures__exit-handlers.yaml": "Failed", "expectedfailures__failed-artifact-load.yaml": "Error",
    "expectedfailures__failed-artifact-save.yaml": "Error", "expectedfailures__failed-retries.yaml": "Failed",
    "expectedfailures__failed-step-event.yaml": "Failed", "expectedfailures__failed-step.yaml": "Failed",
    "expectedfailures__input-artifact-not-optional.yaml": "Error",
    "expectedfailures__output-artifact-not-optional.yaml": "Failed",
    "expectedfailures__timeouts-workflow.yaml": "Failed", "expectedfailures__unschedulable.yaml": "Failed",
    "expectedfailures__volumes-pvc-fail-event.yaml": "Failed",
}


def expectation(case: dict) -> dict:
    text = " | ".join(case["asserts"])
    waits = " ; ".join(case["waits"])
    if any("argo lint exits" in w for w in case["waits"]):
        return {"lint": True}
    allowed: set[str] = set(PHASE_RE.findall(text))
    for group in PHASE_IN_RE.findall(text):
        allowed |= set(re.findall(r"Workflow(Succeeded|Failed|Error)", group))
    if not allowed:
        found = WAIT_RE.findall(waits)
        if found:
            allowed = {{"Errored": "Error"}.get(found[-1], found[-1])}
    if not allowed:
        allowed = {ARGO_PHASE[case["file"]]} if case["file"] in ARGO_PHASE else \
            {"Failed", "Error"} if case["file"].startswith("expectedfailures__") else {"Succeeded"}
    nodes = {name: phase for phase, name in NODE_RE.findall(text)}
    messages = MESSAGE_RE.findall(text)
    return {"phases": allowed, "nodes": nodes, "message": messages[-1] if messages else None}


def _marks(case):
    known = KNOWN.get("e2e/" + case["file"])
    if known is None:
        return ()
    mode, reason = known
    if mode == "skip":
        return (pytest.mark.skip(reason=f"known: {reason}"),)
    return (pytest.mark.xfail(reason=f"known: {reason}", strict=True),)


CASES = _cases()


def test_e2e_index_is_present():
    assert CASES, f"no e2e index under {E2E}"


@pytest.mark.parametrize("case", [pytest.param(c, id=c["file"], marks=_marks(c)) for c in CASES])
def test_e2e(case, flow_home):
    path = E2E / case["file"]
    assert path.exists(), path
    want = expectation(case)
    store = open_store(flow_home)
    for extra in REQUIRES.get(case["file"], []):
        submissions(E2E / extra, store)   # registers its templates
    if want.get("lint"):
        with pytest.raises(SpecError):
            for wf in submissions(path, store):
                jupyter_flow.submit(wf, store=store)
        return
    workflows = submissions(path, store)
    assert workflows
    # an expectedfailures/ file no Go test asserts on may fail before it runs: Argo's API
    # server refuses dag-failFast-hang.yaml's upper-case generateName at create
    unasserted = case["file"].startswith("expectedfailures__") and all(
        t.startswith("(not referenced") for t in case["tests"])
    for wf in workflows:
        if unasserted:
            try:
                run = jupyter_flow.submit(wf, wait=True, timeout=TIMEOUT, store=store)
            except SpecError:
                continue
        else:
            run = jupyter_flow.submit(wf, wait=True, timeout=TIMEOUT, store=store)
        if not run.finished:
            run.terminate()
            run.wait(10)
            pytest.fail(f"still {run.phase} after {TIMEOUT}s: {phases(run)}")
        status = run.to_dict()["status"]
        assert run.phase in want["phases"], (f"phase {run.phase}, upstream {sorted(want['phases'])}; "
                                             f"message={status.get('message')!r}; nodes={phases(run)}")
        got = phases(run)
        for name, phase in want["nodes"].items():
            assert got.get(name) == phase, (name, got.get(name), phase, got)
        if want["message"]:
            assert status.get("message") == want["message"]
