"""Lint of names with Argo's rules (``spec.names``): the document's ``metadata.name`` and
``generateName``, template, step and task names, parameter and artifact names.

A bad name is reported at the field that holds it, like every other lint error; names reach the
store, the node ids and the artifact paths only through a document that passed this check (the
store and the engine check again, for documents that did not come through here).
"""
from __future__ import annotations

from typing import Any, Callable

from jupyter_flow.spec import names as N

Report = Callable[[tuple, str], None]


def lint_names(data: dict, kind: str, report: Report) -> None:
    """Report every name in ``data`` (a document of ``kind``) that Argo would refuse."""
    meta = data.get("metadata")
    if isinstance(meta, dict):
        name, prefix = meta.get("name"), meta.get("generateName")
        if isinstance(name, str) and name:
            problem = N.object_name_problem(name, kind)
            if problem:
                report(("metadata", "name"), problem)
        elif isinstance(prefix, str) and prefix:
            problem = N.generate_name_problem(prefix)
            if problem:
                report(("metadata", "generateName"), problem)
    path: tuple = ("spec", "workflowSpec") if kind == "CronWorkflow" else ("spec",)
    spec: Any = data
    for key in path:
        spec = spec.get(key) if isinstance(spec, dict) else None
    if not isinstance(spec, dict):
        return
    _arguments(spec.get("arguments"), path + ("arguments",), report)
    templates = spec.get("templates")
    for i, t in enumerate(templates if isinstance(templates, list) else []):
        if isinstance(t, dict):
            _template(t, path + ("templates", i), report, named=True)


def _template(t: dict, tp: tuple, report: Report, *, named: bool) -> None:
    if named:
        _check(N.field_name_problem(t.get("name"), "template name"), tp + ("name",), report)
    for io in ("inputs", "outputs"):
        block = t.get(io)
        if isinstance(block, dict):
            _params_artifacts(block, tp + (io,), report, global_names=io == "outputs")
    steps = t.get("steps")
    for g, group in enumerate(steps if isinstance(steps, list) else []):
        for j, step in enumerate(group if isinstance(group, list) else []):
            if isinstance(step, dict):
                _call(step, tp + ("steps", g, j), report, "step name")
    dag = t.get("dag")
    tasks = dag.get("tasks") if isinstance(dag, dict) else None
    for i, task in enumerate(tasks if isinstance(tasks, list) else []):
        if isinstance(task, dict):
            _call(task, tp + ("dag", "tasks", i), report, "task name")


def _call(call: dict, cp: tuple, report: Report, what: str) -> None:
    """A step or DAG task: its name, its arguments, its inline template."""
    _check(N.field_name_problem(call.get("name"), what), cp + ("name",), report)
    _arguments(call.get("arguments"), cp + ("arguments",), report)
    inline = call.get("inline")
    if isinstance(inline, dict):
        _template(inline, cp + ("inline",), report, named=False)


def _arguments(args: Any, ap: tuple, report: Report) -> None:
    if isinstance(args, dict):
        _params_artifacts(args, ap, report, global_names=False)


def _params_artifacts(block: dict, bp: tuple, report: Report, *, global_names: bool) -> None:
    for field in ("parameters", "artifacts"):
        items = block.get(field)
        for i, item in enumerate(items if isinstance(items, list) else []):
            if not isinstance(item, dict):
                continue
            what = "parameter name" if field == "parameters" else "artifact name"
            _check(N.param_or_artifact_name_problem(item.get("name"), what), bp + (field, i, "name"), report)
            glob = item.get("globalName")
            if global_names and isinstance(glob, str) and "{{" not in glob:   # Argo skips parameters
                _check(N.param_or_artifact_name_problem(glob, "globalName"), bp + (field, i, "globalName"), report)


def _check(problem: str | None, path: tuple, report: Report) -> None:
    if problem:
        report(path, problem)
