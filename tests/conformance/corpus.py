"""The upstream Argo corpus as the conformance suite sees it: catalog rows, documents, helpers.

The corpus is vendored in ``tests/argo_corpus`` (``tests/upstream.py`` is its one location;
``JUPYTER_FLOW_SHARED`` overrides it with another ``shared`` directory holding ``argo/``).
"""
from __future__ import annotations

import csv
import time
from datetime import datetime, timezone
from pathlib import Path

import yaml

from tests.upstream import ARGO, CATALOG, E2E, E2E_INDEX, EXAMPLES  # noqa: F401  (the one corpus location)

HERE = Path(__file__).resolve().parent


def catalog() -> list[dict]:
    with CATALOG.open(newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def overrides() -> dict[str, dict]:
    """file -> {needs_cluster, requires, reason} from the checked-in catalog_overrides.tsv.

    The catalog is shared and read-only; this file is our re-audit of its ``needs_cluster = yes``
    rows against the engine (several need only an artifact repository or a template registry,
    which locally are the run directory and the store).
    """
    out: dict[str, dict] = {}
    with (HERE / "catalog_overrides.tsv").open(newline="") as f:
        for row in csv.DictReader((line for line in f if not line.startswith("#")), delimiter="\t"):
            out[row["file"]] = row
    return out


def local_rows() -> list[dict]:
    """Every catalog row that needs no cluster, after the re-audit in catalog_overrides.tsv."""
    over = overrides()
    rows = []
    for r in catalog():
        o = over.get(r["file"])
        if o is not None:
            r = dict(r, needs_cluster=o["needs_cluster"], requires=o["requires"], override=o["reason"])
        if r.get("needs_cluster") == "no":
            rows.append(r)
    return rows


def reaudited(rows: list[dict]) -> list[dict]:
    """The rows that run only because the re-audit says so."""
    return [r for r in rows if r.get("override")]


def e2e_index() -> list[dict]:
    with E2E_INDEX.open(newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def known_failures() -> dict[str, tuple[str, str]]:
    """file -> (mode, reason) from the checked-in known_failures.tsv.

    mode ``skip``: not run at all (too long for the suite's budget); ``xfail``: run, expected to
    fail (strict: if it passes, the entry is stale and the test fails).
    """
    out: dict[str, tuple[str, str]] = {}
    with (HERE / "known_failures.tsv").open(newline="") as f:
        for row in csv.DictReader((line for line in f if not line.startswith("#")), delimiter="\t"):
            out[row["file"]] = (row["mode"].strip(), row["reason"].strip())
    return out


def documents(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]


def submissions(path: Path, store, *, register_only: bool = False) -> list[dict]:
    """The Workflows to submit for one corpus file.

    (Cluster)WorkflowTemplates are created in the registry; a file holding only templates is run
    through ``spec.workflowTemplateRef``; a CronWorkflow runs its ``workflowSpec`` once.
    ``register_only``: create the templates and submit nothing.
    """
    docs = documents(path)
    templates = []
    for d in docs:
        if d.get("kind") in ("WorkflowTemplate", "ClusterWorkflowTemplate"):
            store.put_template(d["kind"], d["metadata"]["name"], d)
            templates.append(d)
    if register_only:
        return []
    workflows = []
    for d in docs:
        kind = d.get("kind")
        if kind == "Workflow":
            workflows.append(d)
        elif kind == "CronWorkflow":   # one run, as the scheduler would start it now (submit --from cronwf/...)
            from jupyter_flow import cron
            workflows.append(cron.to_workflow(d, time.time()))
    if not workflows:
        # a library of templates: submit the ones that can be (Argo too refuses one without an entrypoint)
        runnable = [t for t in templates if (t.get("spec") or {}).get("entrypoint")]
        for t in runnable or templates:
            ref = {"name": t["metadata"]["name"]}
            if t["kind"] == "ClusterWorkflowTemplate":
                ref["clusterScope"] = True
            workflows.append({"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
                              "metadata": {"generateName": t["metadata"]["name"] + "-"},
                              "spec": {"workflowTemplateRef": ref}})
    return workflows


# ---- helpers over a finished Run ---------------------------------------------------------------

def ts(value: str | None) -> float | None:
    if not value:
        return None
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()


def duration(node: dict) -> float:
    """Node duration in seconds (Argo timestamps have one-second resolution)."""
    return (ts(node.get("finishedAt")) or time.time()) - (ts(node.get("startedAt")) or time.time())


def by_display(run) -> dict[str, dict]:
    return {n["displayName"]: n for n in run.nodes.values()}


def phases(run) -> dict[str, str]:
    return {n["displayName"]: n["phase"] for n in run.nodes.values()}


def pods(run) -> list[dict]:
    return [n for n in run.nodes.values() if n["type"] == "Pod"]


def log_of(run, display: str) -> str:
    return run.logs(run.node(display)["id"])


def out_param(node: dict, name: str) -> str | None:
    for p in (node.get("outputs") or {}).get("parameters") or []:
        if p["name"] == name:
            return p.get("value")
    return None


def wait_node(run, display: str, phase: str = "Running", timeout: float = 60.0) -> dict:
    """Poll until the node with this display name reaches ``phase``."""
    deadline = time.monotonic() + timeout
    while True:
        for n in run.nodes.values():
            if n["displayName"] == display and n["phase"] == phase:
                return n
        if run.finished:
            raise AssertionError(f"run finished ({run.phase}) before {display} became {phase}: {phases(run)}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{display} did not become {phase} in {timeout}s: {phases(run)}")
        time.sleep(0.1)
