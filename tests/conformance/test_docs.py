"""The Workflow YAML embedded in Argo's own documentation, run locally against the outcome the docs state.

``docs_corpus/`` holds the snippets of ``docs/**/*.md`` of argoproj/argo-workflows (extracted by
``scripts/extract_docs_corpus.py``, Apache-2.0, LICENSE beside them) and ``index.tsv``: per
snippet the outcome the page states (or implies, said so in ``outcome_source``), the ``-p``
parameters and resume/set steps the page describes, and whether it needs a cluster and why.
Rows with ``needs_cluster = no`` run here; those that fail because of an engine gap are in
``known_failures.tsv`` as ``docs/<file>``.

``expected`` holds checks separated by `` ; ``: ``log:T`` (T in the run's logs), ``log(N):T``
(in node N's log), ``nolog:T``, ``node(N):PHASE``, ``display:N`` (a node shown as N), ``pods:K``,
``param(N).P:T`` (output parameter P of node N, ``@root`` for the workflow's node, contains T),
``artifact(N)`` / ``artifact(N):T`` (output artifact N stored, holding T), ``progress(N):P``,
``retried`` (a Retry node whose phase is its last attempt's) and ``coinflip`` (the branch of the
flip ran, the other was skipped).
"""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

import jupyter_flow
from jupyter_flow.spec import validate
from jupyter_flow.store import open_store

from .corpus import HERE, by_display, documents, known_failures, log_of, out_param, phases, pods, submissions, wait_node

DOCS = HERE / "docs_corpus"
KNOWN = known_failures()
TIMEOUT = 240.0
TEMPLATE_KINDS = ("WorkflowTemplate", "ClusterWorkflowTemplate")


def index() -> list[dict]:
    with (DOCS / "index.tsv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


ROWS = index()
LOCAL = [r for r in ROWS if r["needs_cluster"] == "no"]


def _marks(row):
    known = KNOWN.get("docs/" + row["file"])
    if known is None:
        return ()
    mode, reason = known
    if mode == "skip":
        return (pytest.mark.skip(reason=f"known: {reason}"),)
    return (pytest.mark.xfail(reason=f"known: {reason}", strict=True),)


def register(path: Path, store) -> list[dict]:
    """Create the (Cluster)WorkflowTemplates of a snippet, as `argo template create` would."""
    made = []
    for d in documents(path):
        if d.get("kind") in TEMPLATE_KINDS:
            store.put_template(d["kind"], d["metadata"]["name"], d)
            made.append(d)
    return made


def drive(run, steps: str) -> None:
    """Do what the page tells the reader to do while the run waits: ``set(N).P=V`` then ``resume(N)``."""
    for step in filter(None, (s.strip() for s in steps.split(" ; "))):
        m = re.fullmatch(r"set\((.+)\)\.([\w-]+)=(.*)", step)
        if m:
            wait_node(run, m.group(1))
            run.set_node(m.group(1), parameters={m.group(2): m.group(3)})
            continue
        m = re.fullmatch(r"resume\((.+)\)", step)
        assert m, f"unknown drive step {step!r}"
        wait_node(run, m.group(1))
        run.resume(m.group(1))


def _node(run, name: str) -> dict:
    return run.node(run.name) if name == "@root" else by_display(run)[name]


def _artifact(run, name: str) -> Path:
    found = [a for a in run.artifacts(artifact_name=name) if a.stored is not None]
    assert found, f"no stored artifact {name!r}: {[(a.name, a.stored) for a in run.artifacts()]}"
    return found[-1].stored


def check(run, expected: str) -> None:
    """Assert each check of the ``expected`` column (see the module docstring)."""
    for item in filter(None, (s.strip() for s in expected.split(" ; "))):
        kind, _, arg = item.partition(":")
        if m := re.fullmatch(r"log\((.+)\)", kind):
            assert arg in log_of(run, m.group(1)), (item, log_of(run, m.group(1)))
        elif kind == "log":
            assert arg in run.logs(), (item, run.logs())
        elif kind == "nolog":
            assert arg not in run.logs(), (item, run.logs())
        elif m := re.fullmatch(r"node\((.+)\)", kind):
            assert phases(run).get(m.group(1)) == arg, (item, phases(run))
        elif kind == "display":
            assert arg in by_display(run), (item, sorted(by_display(run)))
        elif kind == "pods":
            assert len(pods(run)) == int(arg), (item, [n["displayName"] for n in pods(run)])
        elif m := re.fullmatch(r"param\((.+)\)\.([\w-]+)", kind):
            assert arg in (out_param(_node(run, m.group(1)), m.group(2)) or ""), (item, _node(run, m.group(1)))
        elif m := re.fullmatch(r"artifact\((.+)\)", kind):
            stored = _artifact(run, m.group(1))
            if arg:
                text = stored.read_text() if stored.is_file() else "".join(
                    p.read_text() for p in sorted(stored.rglob("*")) if p.is_file())
                assert arg in text, (item, text)
        elif m := re.fullmatch(r"progress\((.+)\)", kind):
            assert _node(run, m.group(1)).get("progress") == arg, (item, _node(run, m.group(1)).get("progress"))
        elif kind == "retried":
            retries = [n for n in run.nodes.values() if n["type"] == "Retry"]
            assert retries, phases(run)
            for r in retries:
                kids = [run.nodes[c] for c in r["children"]]
                assert kids and r["phase"] == kids[-1]["phase"], (r["phase"], [k["phase"] for k in kids])
                assert all(k["phase"] != "Succeeded" for k in kids[:-1])
        elif kind == "coinflip":
            nodes = by_display(run)
            flip = nodes["flip-coin"]["outputs"]["result"]
            other = "tails" if flip == "heads" else "heads"
            assert nodes[flip]["phase"] == "Succeeded" and nodes[other]["phase"] == "Skipped", phases(run)
        else:
            raise AssertionError(f"unknown check {item!r}")


def test_docs_corpus_is_judged():
    """Every vendored snippet has a row, every row a judgement, and Argo's licence is beside them."""
    assert "Apache License" in (DOCS / "LICENSE").read_text()
    files = {p.name for p in DOCS.glob("*.yaml")}
    assert files == {r["file"] for r in ROWS}
    for r in ROWS:
        assert r["needs_cluster"] in ("no", "yes", "incomplete"), r
        assert r["expected_phase"] != "?", f"{r['file']}: not judged yet"
        if r["needs_cluster"] == "no":
            assert r["expected_phase"] in ("library", "Succeeded", "Failed", "Error", "Succeeded|Failed"), r
        else:
            assert r["why"], f"{r['file']}: say why it does not run here"
    stale = [f for f in KNOWN if f.startswith("docs/") and f[5:] not in {r["file"] for r in LOCAL}]
    assert not stale, stale


@pytest.mark.parametrize("row", [pytest.param(r, id=r["file"], marks=_marks(r)) for r in LOCAL])
def test_docs_workflow(row, flow_home):
    path = DOCS / row["file"]
    store = open_store(flow_home)
    for extra in filter(None, row["requires"].split(",")):
        register(DOCS / extra.strip(), store)
    if row["expected_phase"] == "library":   # templates other snippets of the page reference
        for d in register(path, store):
            errors = [e for e in validate(d) if e.severity == "error"]
            assert not errors, [str(e) for e in errors]
        return
    workflows = submissions(path, store)
    assert len(workflows) == 1, f"{row['file']}: {len(workflows)} workflows to submit"
    params = json.loads(row["parameters"]) if row["parameters"] else None
    run = jupyter_flow.submit(workflows[0], parameters=params, wait=not row["drive"], timeout=TIMEOUT, store=store)
    if row["drive"]:
        try:
            drive(run, row["drive"])
        except BaseException:
            run.terminate()
            raise
        run.wait(TIMEOUT)
    if not run.finished:
        run.terminate()
        run.wait(10)
        pytest.fail(f"{row['file']}: still {run.phase} after {TIMEOUT}s: {phases(run)}")
    allowed = set(row["expected_phase"].split("|"))
    message = run.to_dict()["status"].get("message")
    assert run.phase in allowed, (f"{row['file']}: phase {run.phase} (docs: {row['expected_phase']}, "
                                  f"{row['outcome_source']}); message={message!r}; nodes={phases(run)}")
    check(run, row["expected"])
