"""Variable references Argo refuses at submit: ``failed to resolve {{...}}`` (validate.go).

Argo's validator (``resolveAllVariables``) checks every simple ``{{tag}}`` that starts with one
of its variable roots (``item.``, ``steps.``, ``inputs.``, ``outputs.``, ``pod.``, ``workflow.``,
``tasks.``) against the scope the template will have: the workflow's declared parameters and
fixed globals, the template's own inputs, ``pod.name`` in pod templates, ``retries`` with a
retryStrategy, the steps before the current one (``steps.X.status`` for the steps seen so far,
outputs only those the step's template declares), a DAG's tasks (``tasks.X.status`` only for an
ancestor), and ``item`` only in a looped step. Expression tags (``{{= }}``) are not checked, as
in Argo. Where it checks is Argo's too: a leaf template whole, a steps/DAG template's steps,
tasks, ``target`` and ``outputs``.

Where Argo's answer depends on things this lint cannot see it accepts: a step whose template
comes from a WorkflowTemplate that is not available, annotations and labels (the controller's
workflow defaults may add them), ``workflow.outputs.*`` when any output ``globalName`` is
templated or a template is out of sight, and a bare ``{{inputs.parameters}}``. Undeclared
``{{inputs.parameters.X}}`` is reported by ``lint.check_input_refs``.
"""
from __future__ import annotations


import re
from typing import TYPE_CHECKING, Any, Iterable

from jupyter_flow.spec import lint_expr as X

if TYPE_CHECKING:  # pragma: no cover
    from jupyter_flow.spec.lint import _Linter

ROOTS = ("item.", "steps.", "inputs.", "outputs.", "pod.", "workflow.", "tasks.")
LEAF = ("container", "script", "resource", "data", "http", "plugin", "containerSet")
POD = ("container", "script", "resource", "data", "containerSet")
# resolveAllVariables' prefixes accepted whatever the scope
ALWAYS = ("outputs.", "workflow.creationTimestamp", "workflow.scheduledTime", "workflow.duration",
          "tasks.name", "steps.name", "node.name",
          # not in Argo's list, but set by workflow defaults this lint cannot see
          "workflow.annotations", "workflow.labels", "workflow.failures", "workflow.priority")
FIXED_GLOBALS = ("workflow.name", "workflow.namespace", "workflow.mainEntrypoint", "workflow.serviceAccountName",
                 "workflow.uid", "workflow.status")
_SKIP = frozenset({"inline"})
_SIMPLE_TAG = re.compile(r"\{\{([^{}=][^{}]*)\}\}")


def _type(t: dict) -> str:
    return next((k for k in LEAF + ("steps", "dag", "suspend") if t.get(k) is not None), "")


class Scope:
    """Names a reference may use, and prefixes under which anything goes; a child scope (a step's
    own: its items) sees its parent's as they are when it is asked, without copying them."""

    def __init__(self, names: Iterable[str] = (), prefixes: Iterable[str] = (), parent: "Scope | None" = None,
                 extra=None):
        self.names = set(names)
        self.prefixes = list(prefixes)
        self.parent = parent
        self.extra = extra   # tag -> bool: names computed on demand (a DAG task's ancestors)

    def copy(self) -> "Scope":
        return Scope(self.names, self.prefixes)

    def child(self, extra=None) -> "Scope":
        return Scope(parent=self, extra=extra)

    def has(self, tag: str) -> bool:
        scope: Scope | None = self
        while scope is not None:
            if tag in scope.names or any(tag.startswith(p) for p in scope.prefixes) \
                    or (scope.extra is not None and scope.extra(tag)):
                return True
            scope = scope.parent
        return False

    def resolves(self, tag: str) -> bool:
        if not tag.startswith(ROOTS):
            return True
        if tag.startswith("inputs.parameters.") or tag == "inputs.parameters":
            return True   # lint.check_input_refs; a bare one is kept lenient (see module doc)
        return tag.startswith(ALWAYS) or self.has(tag)


def _seq(value: Any) -> list:
    """A list field as written, or nothing: a wrong type is the schema's error to report, not a crash here."""
    return value if isinstance(value, list) else []


class RefChecker:
    def __init__(self, linter: "_Linter", spec: dict, kind: str, ref_spec: dict | None):
        self.linter = linter
        self.kind = kind
        self.globals = Scope(FIXED_GLOBALS)
        params = self._arguments(spec, ref_spec)
        wt = kind in ("WorkflowTemplate", "ClusterWorkflowTemplate")
        if params is None or wt:
            # a WorkflowTemplate's parameters may come from the Workflow that uses it; a
            # workflowTemplateRef out of sight may declare any
            self.globals.prefixes.append("workflow.parameters")
        else:
            if params:
                self.globals.names |= {"workflow.parameters", "workflow.parameters.json"}
            self.globals.names |= {f"workflow.parameters.{p}" for p in params}
        # spec.retryStrategy is every template's default (engine/retries.py): `retries` may be there
        self.default_retry = spec.get("retryStrategy") is not None
        self._global_outputs(spec, ref_spec)

    @staticmethod
    def _arguments(spec: dict, ref_spec: dict | None) -> set[str] | None:
        names: set[str] = set()
        for s in (spec, ref_spec or {}):
            args = s.get("arguments") if isinstance(s.get("arguments"), dict) else {}
            for p in _seq(args.get("parameters")):
                if isinstance(p, dict) and isinstance(p.get("name"), str):
                    names.add(p["name"])
        if isinstance(spec.get("workflowTemplateRef"), dict) and ref_spec is None:
            return None
        return names

    def _global_outputs(self, spec: dict, ref_spec: dict | None) -> None:
        """``workflow.outputs.*`` of the outputs' globalNames; all of them when any is templated
        or a template is out of sight (Argo would only know at run time too)."""
        lenient = False
        for s in (spec, ref_spec or {}):
            for t in _seq(s.get("templates")):
                if not isinstance(t, dict):
                    continue
                outs = t.get("outputs") if isinstance(t.get("outputs"), dict) else {}
                for kind in ("parameters", "artifacts"):
                    for o in _seq(outs.get(kind)):
                        g = o.get("globalName") if isinstance(o, dict) else None
                        if isinstance(g, str) and g:
                            if "{{" in g:
                                lenient = True
                            self.globals.names.add(f"workflow.outputs.{kind}.{g}")
        if lenient or self._refs_out_of_sight(spec):
            self.globals.prefixes.append("workflow.outputs.")

    @staticmethod
    def _refs_out_of_sight(spec: dict) -> bool:
        """Does the workflow call templates of a WorkflowTemplate (whose globalNames it cannot list)?"""
        import json
        return isinstance(spec.get("workflowTemplateRef"), dict) or '"templateRef"' in json.dumps(
            _seq(spec.get("templates")), default=str)

    # -- reporting ---------------------------------------------------------------------------
    def check(self, value: Any, path: tuple, scope: Scope, where: str, skip: frozenset = _SKIP) -> None:
        for spath, text in X.walk_strings(value, path, skip=skip):
            if "{{" not in text:
                continue
            for kind, body, _s, _e in X.iter_tags(text):
                tag = body.strip()
                if kind != "simple" or scope.resolves(tag):
                    continue
                self.linter.err(spath, f"failed to resolve {{{{{tag}}}}}{self._hint(tag, where)}")

    def _hint(self, tag: str, where: str) -> str:
        if tag.startswith("workflow.parameters."):
            return ": no such parameter in spec.arguments.parameters (declare it there, or pass it with -p)"
        if tag.startswith(("steps.", "tasks.")):
            return f": {where}"
        if tag == "item" or tag.startswith("item."):
            return ": `item` exists only in a step or task with withItems, withParam or withSequence" \
                   + (" (and only the keys its items have)" if tag.startswith("item.") else "")
        if tag.startswith("inputs.artifacts."):
            return ": no such input artifact declared (a `.path` exists only in container/script templates)"
        if tag == "pod.name":
            return ": pod.name exists only in templates that run a pod"
        return ""

    # -- templates ---------------------------------------------------------------------------
    def template_scope(self, t: dict) -> Scope:
        scope = self.globals.copy()
        inputs = t.get("inputs") if isinstance(t.get("inputs"), dict) else {}
        leaf = _type(t) in LEAF
        for a in _seq(inputs.get("artifacts")):
            if isinstance(a, dict) and isinstance(a.get("name"), str):
                scope.names.add(f"inputs.artifacts.{a['name']}")
                if leaf:
                    scope.names.add(f"inputs.artifacts.{a['name']}.path")
        if _type(t) in POD:
            scope.names.add("pod.name")
        if t.get("retryStrategy") is not None or self.default_retry:
            scope.names |= {"retries", "retries.lastExitCode", "retries.lastStatus", "retries.lastDuration",
                            "retries.lastMessage"}
        return scope

    def template(self, t: dict, tp: tuple) -> None:
        kind = _type(t)
        scope = self.template_scope(t)
        t = self.process_args(t)
        name = t.get("name") if isinstance(t.get("name"), str) else "inline"
        if kind in LEAF:
            self.check(t, tp, scope, f'template "{name}" has no steps or tasks to refer to')
            return
        if kind == "steps" and isinstance(t.get("steps"), list):
            self.steps(t, tp, scope, name)
        elif kind == "dag" and isinstance(t.get("dag"), dict):
            self.dag(t, tp, scope, name)
        else:
            return
        if isinstance(t.get("outputs"), dict):
            self.check(t["outputs"], tp + ("outputs",), scope, f'no such step or task (or output) in template "{name}"')

    def target_of(self, call: dict) -> tuple[dict | None, bool]:
        """(the step's template, whether it is known); unknown -> references to it are accepted."""
        if isinstance(call.get("inline"), dict):
            return call["inline"], True
        name = call.get("template")
        if isinstance(name, str) and "{{" not in name:
            found = self.linter.templates.get(name) or (self.linter.ref_templates or {}).get(name)
            return found, found is not None
        ref = call.get("templateRef")
        if isinstance(ref, dict) and self.linter.registry is not None \
                and not any("{{" in str(ref.get(k, "")) for k in ("name", "template")):
            found = self.linter.lookup(ref.get("name"), bool(ref.get("clusterScope")))
            if found is not None:
                tmpl = self.linter.templates_of(found).get(ref.get("template"))
                return tmpl, tmpl is not None
        return None, False

    def process_args(self, t: dict) -> dict:
        """The template as Argo validates it, after ProcessArgs: its declared input parameters
        and the declared workflow parameters replaced by placeholders, so that a step named
        ``run-{{inputs.parameters.d}}`` and a ``{{steps.run-{{inputs.parameters.d}}.status}}``
        agree (validate.go checks ``newTmpl``)."""
        inputs = t.get("inputs") if isinstance(t.get("inputs"), dict) else {}
        names = {f"inputs.parameters.{p['name']}" for p in _seq(inputs.get("parameters"))
                 if isinstance(p, dict) and isinstance(p.get("name"), str)}
        names |= {n for n in self.globals.names if n.startswith("workflow.parameters.")}

        def repl(m: re.Match) -> str:
            body = m.group(1).strip()
            return f"placeholder-{body.replace('.', '-')}" if body in names else m.group(0)

        def walk(v: Any) -> Any:
            if isinstance(v, str):
                return _SIMPLE_TAG.sub(repl, v) if "{{" in v else v
            if isinstance(v, dict):
                return {k: walk(x) for k, x in v.items()}
            if isinstance(v, list):
                return [walk(x) for x in v]
            return v
        return walk(t) if names else t

    @staticmethod
    def add_outputs(scope: Scope, prefix: str, tmpl: dict | None, known: bool, aggregate: bool) -> None:
        """validate.go addOutputsToScope for ``prefix`` (``steps.X`` / ``tasks.X``)."""
        scope.names |= {f"{prefix}.id", f"{prefix}.startedAt", f"{prefix}.finishedAt", f"{prefix}.hostNodeName"}
        if not known or tmpl is None:
            scope.prefixes.append(prefix + ".")
            return
        kind = _type(tmpl)
        scope.names.add(f"{prefix}.ip")   # only a daemon's: lint_daemon reports the others, at the same place
        cset = tmpl.get("containerSet") if isinstance(tmpl.get("containerSet"), dict) else None
        has_main = cset is not None and any(isinstance(c, dict) and c.get("name") == "main"
                                            for c in _seq(cset.get("containers")))
        if kind in ("container", "script", "data", "http", "plugin") or has_main:
            scope.names |= {f"{prefix}.outputs.result", f"{prefix}.exitCode"}
        outs = tmpl.get("outputs") if isinstance(tmpl.get("outputs"), dict) else {}
        for k in ("parameters", "artifacts"):
            for o in _seq(outs.get(k)):
                if isinstance(o, dict) and isinstance(o.get("name"), str):
                    scope.names.add(f"{prefix}.outputs.{k}.{o['name']}")
        if aggregate:
            scope.names.add(f"{prefix}.outputs.parameters")
            if kind in ("script", "containerSet"):
                scope.names |= {f"{prefix}.outputs.result", f"{prefix}.exitCode"}

    @staticmethod
    def add_items(scope: Scope, call: dict) -> None:
        items = call.get("withItems")
        if isinstance(items, list) and items:
            for it in items:
                if isinstance(it, dict):
                    scope.names |= {f"item.{k}" for k in it}
                elif isinstance(it, list):
                    scope.names |= {f"item.[{i}]" for i in range(len(it))}
                else:
                    scope.names.add("item")
        elif call.get("withParam") not in (None, ""):
            scope.names.add("item")
            scope.prefixes.append("item.")
        elif call.get("withSequence") is not None:
            scope.names.add("item")

    @staticmethod
    def _inline_inputs(scope: Scope, call: dict) -> None:
        inline = call.get("inline")
        if isinstance(inline, dict):
            scope.prefixes.append("inputs.")   # the inline template's own inputs: checked with it

    @staticmethod
    def _exit_hook(call: dict) -> bool:
        hooks = call.get("hooks")
        return bool(call.get("onExit")) or (isinstance(hooks, dict) and "exit" in hooks)

    def steps(self, t: dict, tp: tuple, scope: Scope, name: str) -> None:
        for g, group in enumerate(t["steps"]):
            if not isinstance(group, list):
                continue
            for j, step in enumerate(group):
                if not isinstance(step, dict) or not isinstance(step.get("name"), str):
                    continue
                sname = step["name"]
                scope.names.add(f"steps.{sname}.status")
                tmpl, known = self.target_of(step)
                if self._exit_hook(step):
                    self.add_outputs(scope, f"steps.{sname}", tmpl, known, False)
                own = scope.child()
                self.add_items(own, step)
                self._inline_inputs(own, step)
                self.check(step, tp + ("steps", g, j), own,
                           f'in template "{name}" a step sees only the steps before it (and their '
                           "declared outputs)")
                aggregate = bool(step.get("withItems")) or step.get("withParam") not in (None, "")
                self.add_outputs(scope, f"steps.{sname}", tmpl, known, aggregate)

    def dag(self, t: dict, tp: tuple, scope: Scope, name: str) -> None:
        tasks = [x for x in _seq(t["dag"].get("tasks")) if isinstance(x, dict) and isinstance(x.get("name"), str)]
        by_name = {x["name"]: x for x in tasks}
        for task in tasks:
            tmpl, known = self.target_of(task)
            aggregate = bool(task.get("withItems")) or task.get("withParam") not in (None, "")
            self.add_outputs(scope, f"tasks.{task['name']}", tmpl, known, aggregate)
        deps = {n: task_dependencies(x) for n, x in by_name.items()}
        if isinstance(t["dag"].get("target"), str):
            self.check(t["dag"]["target"], tp + ("dag", "target"), scope, f'no such task in template "{name}"')
        for i, task in enumerate(_seq(t["dag"].get("tasks"))):
            if not isinstance(task, dict) or not isinstance(task.get("name"), str):
                continue
            tname = task["name"]
            if task.get("hooks") is not None:
                scope.names.add(f"tasks.{tname}.status")
            # the status of the tasks it depends on (directly or not); the others' outputs are in scope
            own = scope.child(extra=lambda tag, tname=tname: tag.startswith("tasks.") and tag.endswith(".status")
                              and _is_ancestor(tag[6:-7], tname, deps))
            self.add_items(own, task)
            self._inline_inputs(own, task)
            path = tp + ("dag", "tasks", i)
            self.check(task, path, own, f'task "{tname}" of template "{name}" sees the other tasks\' declared '
                       "outputs, and the status only of the tasks it depends on")
            self._argument_dependencies(task, path, lambda ref, tname=tname: _is_ancestor(ref, tname, deps))

    def _argument_dependencies(self, task: dict, path: tuple, ancestor) -> None:
        """validate.go validateDAGTaskArgumentDependency: an argument that is a ``{{tasks.X...``
        reference needs X among the task's (transitive) dependencies."""
        args = task.get("arguments") if isinstance(task.get("arguments"), dict) else {}
        for kind, field in (("parameters", "value"), ("artifacts", "from")):
            for k, item in enumerate(_seq(args.get(kind))):
                value = item.get(field) if isinstance(item, dict) else None
                if isinstance(value, str) and value.startswith("{{tasks."):
                    ref = value.split(".")[1]
                    if not ancestor(ref):
                        what = "parameter" if kind == "parameters" else "artifact"
                        self.linter.err(path + ("arguments", kind, k, field),
                                        f"missing dependency '{ref}' for {what} '{item.get('name')}': add it to "
                                        "this task's depends (or dependencies)")


def task_dependencies(task: dict) -> set[str]:
    """The tasks ``task`` names in ``dependencies`` or ``depends``."""
    out = {d for d in _seq(task.get("dependencies")) if isinstance(d, str)}
    depends = task.get("depends")
    if isinstance(depends, str) and depends.strip() and "{{" not in depends:
        out |= X.depends_tasks(depends)[0]
    return out


def _is_ancestor(other: str, name: str, deps: dict[str, set[str]]) -> bool:
    """Does task ``name`` depend on ``other``, directly or through other tasks (GetTaskAncestry)?"""
    if other == name:
        return False
    seen: set[str] = set()
    todo = list(deps.get(name, ()))
    while todo:
        d = todo.pop()
        if d == other:
            return True
        if d in seen:
            continue
        seen.add(d)
        todo.extend(deps.get(d, ()))
    return False


def check_references(linter: "_Linter", spec: dict, sp: tuple, kind: str, ref_spec: dict | None) -> None:
    """Report every reference Argo's submit would refuse with ``failed to resolve``."""
    checker = RefChecker(linter, spec, kind, ref_spec)
    for i, t in enumerate(_seq(spec.get("templates"))):
        if isinstance(t, dict):
            checker.template(t, sp + ("templates", i))
            _inline_templates(checker, t, sp + ("templates", i))


def _inline_templates(checker: RefChecker, t: dict, tp: tuple) -> None:
    """Inline templates of steps/tasks are templates too (validateTemplateHolder)."""
    calls: list[tuple[dict, tuple]] = []
    if isinstance(t.get("steps"), list):
        for g, group in enumerate(t["steps"]):
            for j, step in enumerate(group if isinstance(group, list) else []):
                if isinstance(step, dict):
                    calls.append((step, tp + ("steps", g, j)))
    if isinstance(t.get("dag"), dict):
        for i, task in enumerate(_seq(t["dag"].get("tasks"))):
            if isinstance(task, dict):
                calls.append((task, tp + ("dag", "tasks", i)))
    for call, cp in calls:
        if isinstance(call.get("inline"), dict):
            checker.template(call["inline"], cp + ("inline",))
            _inline_templates(checker, call["inline"], cp + ("inline",))
