"""DAG-specific lint: task names, ``dependencies``/``depends`` targets, cycles, ``target``.

Separate from ``lint`` because the dependency graph work (parsing ``depends``, finding and
naming a cycle) is self-contained. A cycle is reported once, spelled out
(``a -> b -> c -> a``), at the first task of the cycle, because "the DAG never starts" is
otherwise a very confusing symptom.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jupyter_flow.spec import lint_expr as X

if TYPE_CHECKING:  # pragma: no cover
    from jupyter_flow.spec.lint import _Linter


def lint_dag(linter: "_Linter", dag: dict, dp: tuple) -> None:
    """Lint one ``dag:`` block located at path ``dp``."""
    tasks = dag.get("tasks")
    if not isinstance(tasks, list):
        return
    index: dict[str, int] = {}
    for i, task in enumerate(tasks):
        if not isinstance(task, dict):
            continue
        name = task.get("name")
        if not isinstance(name, str) or not name:
            linter.err(dp + ("tasks", i), 'missing required field "name"')
        elif name in index:
            linter.err(dp + ("tasks", i, "name"), f'duplicate task name "{name}"')
        else:
            index[name] = i

    edges: dict[str, list[str]] = {}
    uses_depends = uses_dependencies = None
    for i, task in enumerate(tasks):
        if not isinstance(task, dict):
            continue
        tp = dp + ("tasks", i)
        name = task.get("name") if isinstance(task.get("name"), str) else "?"
        linter.lint_call(task, tp, f'task "{name}"')
        deps: list[str] = []
        dependencies = task.get("dependencies")
        if isinstance(dependencies, list) and dependencies:
            uses_dependencies = uses_dependencies or (i, name)
            for j, dep in enumerate(dependencies):
                if not isinstance(dep, str):
                    continue
                if dep not in index:
                    linter.err(tp + ("dependencies", j), _unknown(dep, index, "dependencies"))
                else:
                    deps.append(dep)
        depends = task.get("depends")
        if isinstance(depends, str) and depends.strip():
            uses_depends = uses_depends or (i, name)
            if not X._TAG.search(depends):
                names, problem = X.depends_tasks(depends)
                if problem:
                    linter.err(tp + ("depends",), problem)
                for dep in sorted(names):
                    if dep in index:
                        deps.append(dep)
                    elif dep.replace("_", "-") in index:  # expr sees a-b as a_b
                        deps.append(dep.replace("_", "-"))
                    else:
                        linter.err(tp + ("depends",), _unknown(dep, index, "depends"))
        if name in index and index[name] == i:
            edges[name] = deps
    if uses_depends and uses_dependencies:
        i, name = uses_depends
        linter.err(dp + ("tasks", i, "depends"),
                   f'cannot mix "dependencies" (task "{uses_dependencies[1]}") and "depends" '
                   f'(task "{name}") in one DAG')

    cycle = find_cycle(edges)
    if cycle:
        linter.err(dp + ("tasks", index[cycle[0]]), "dependency cycle: " + " -> ".join(cycle))

    target = dag.get("target")
    if isinstance(target, str) and not X._TAG.search(target):
        for name in target.split():
            if name not in index:
                linter.err(dp + ("target",), _unknown(name, index, "target"))


def _unknown(name: str, index: dict[str, Any], where: str) -> str:
    import difflib

    hint = difflib.get_close_matches(name, list(index), n=1, cutoff=0.6)
    more = f", did you mean {hint[0]}?" if hint else ""
    return f'{where} names unknown task "{name}"{more}'


def find_cycle(edges: dict[str, list[str]]) -> list[str] | None:
    """One dependency cycle as ``[a, b, ..., a]`` (iterative DFS), or ``None``."""
    WHITE, GREY, BLACK = 0, 1, 2
    color = {n: WHITE for n in edges}
    for start in edges:
        if color[start] != WHITE:
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        trail: list[str] = [start]
        color[start] = GREY
        while stack:
            node, i = stack[-1]
            succ = edges.get(node, [])
            if i < len(succ):
                stack[-1] = (node, i + 1)
                nxt = succ[i]
                state = color.get(nxt, BLACK)
                if state == GREY:
                    # edges point from a task to what it waits for: show it in run order
                    loop = trail[trail.index(nxt):] + [nxt]
                    return list(reversed(loop))
                if state == WHITE:
                    color[nxt] = GREY
                    stack.append((nxt, 0))
                    trail.append(nxt)
            else:
                color[node] = BLACK
                stack.pop()
                trail.pop()
    return None
