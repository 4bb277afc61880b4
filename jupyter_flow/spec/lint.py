"""Semantic lint: what the schema cannot see but Argo's validator (or the run) would reject.

Covers dangling template names, duplicate names, DAG dependency problems (unknown tasks,
cycles, mixing ``dependencies`` with ``depends``), template type errors, missing required
arguments, undeclared ``{{inputs.parameters.X}}``, references Argo's submit refuses with
``failed to resolve`` (``lint_refs``: undeclared ``workflow.parameters``, steps/tasks not in
scope, undeclared outputs) and unparsable expressions. Each check
reports at the field to fix. The rules were tuned so that every valid upstream example and
e2e workflow lints clean: a false alarm on a valid workflow is worse than a missed check.
"""
from __future__ import annotations

import difflib
from typing import Any, Callable

from jupyter_flow.errors import LintError
from jupyter_flow.spec import lint_expr as X
from jupyter_flow.spec.document import Document
from jupyter_flow.spec.lint_paths import lint_template_paths, lint_volumes

#: ``registry(name, cluster_scope)`` -> the (Cluster)WorkflowTemplate as a dict, or None.
Registry = Callable[[str, bool], Any]

TEMPLATE_TYPES = ("container", "script", "resource", "steps", "dag", "suspend", "data", "http", "plugin", "containerSet")
RUNNABLE_KINDS = ("Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow")
_EXPR_FIELDS_SKIP = frozenset({"inline"})


def _name_of(template: Any) -> str:
    name = template.get("name") if isinstance(template, dict) else None
    return name if isinstance(name, str) else "?"


def _templated(value: Any) -> bool:
    return isinstance(value, str) and "{{" in value


class _Linter:
    def __init__(self, doc: Document, registry: Registry | None):
        self.doc = doc
        self.registry = registry
        #: a partial registry (only sibling documents) cannot prove a template is missing
        self.partial = bool(getattr(registry, "partial", False))
        self.out: list[LintError] = []
        self._ref_cache: dict[tuple[str, bool], dict | None] = {}
        self.templates: dict[str, dict] = {}
        self.ref_templates: dict[str, dict] | None = None  # from spec.workflowTemplateRef

    # -- reporting ------------------------------------------------------------------
    def err(self, path: tuple, message: str, severity: str = "error") -> None:
        self.out.append(self.doc.error(path, message, severity=severity))

    # -- registry -------------------------------------------------------------------
    def lookup(self, name: Any, cluster: bool) -> dict | None:
        if self.registry is None or not isinstance(name, str):
            return None
        key = (name, bool(cluster))
        if key not in self._ref_cache:
            found = self.registry(name, bool(cluster))
            found = getattr(found, "data", found)
            self._ref_cache[key] = found if isinstance(found, dict) else None
        return self._ref_cache[key]

    @staticmethod
    def templates_of(wftmpl: dict) -> dict[str, dict]:
        spec = wftmpl.get("spec") if isinstance(wftmpl.get("spec"), dict) else {}
        out = {}
        for t in spec.get("templates") or []:
            if isinstance(t, dict) and isinstance(t.get("name"), str):
                out.setdefault(t["name"], t)
        return out

    # -- entry ------------------------------------------------------------------------
    def run(self) -> list[LintError]:
        data = self.doc.data
        kind = self.doc.kind
        if kind not in RUNNABLE_KINDS:
            return self.out
        from jupyter_flow.spec.lint_names import lint_names

        lint_names(data, kind, lambda path, message: self.out.append(self.doc.error(path, message, at_value=True)))
        spec_path: tuple = ("spec", "workflowSpec") if kind == "CronWorkflow" else ("spec",)
        spec: Any = data
        for key in spec_path:
            spec = spec.get(key) if isinstance(spec, dict) else None
        if not isinstance(spec, dict):
            if kind != "CronWorkflow" or isinstance(data.get("spec"), dict):
                self.err(spec_path[:-1] if len(spec_path) > 1 else (), f'missing required field "{spec_path[-1]}"')
            return self.out
        self.lint_spec(spec, spec_path, kind)
        self.lint_all_strings(data)
        return self.out

    def lint_spec(self, spec: dict, sp: tuple, kind: str) -> None:
        templates = spec.get("templates")
        templates = templates if isinstance(templates, list) else []
        for i, t in enumerate(templates):
            if not isinstance(t, dict):
                continue
            name = t.get("name")
            if name in (None, ""):   # validate.go: "template name is required"
                self.err(sp + ("templates", i), "template name is required: add `name: <name>` to this template")
                continue
            if not isinstance(name, str):
                continue
            if name in self.templates:
                self.err(sp + ("templates", i, "name"), f'duplicate template name "{name}"')
            else:
                self.templates[name] = t
        wtref = spec.get("workflowTemplateRef")
        ref_spec: dict = {}
        if isinstance(wtref, dict):
            found = self.lookup(wtref.get("name"), bool(wtref.get("clusterScope")))
            if found is not None:
                self.ref_templates = self.templates_of(found)
                ref_spec = found.get("spec") if isinstance(found.get("spec"), dict) else {}
            elif self.registry is not None and not self.partial and isinstance(wtref.get("name"), str):
                what = "ClusterWorkflowTemplate" if wtref.get("clusterScope") else "WorkflowTemplate"
                self.err(sp + ("workflowTemplateRef", "name"), f'unknown {what} "{wtref["name"]}"')
        entry = spec.get("entrypoint")
        is_run = kind in ("Workflow", "CronWorkflow")
        if entry is None:
            if is_run and not isinstance(wtref, dict):
                self.err(sp, 'missing entrypoint: set spec.entrypoint to the template to run first')
            elif is_run and self.ref_templates is not None and not ref_spec.get("entrypoint"):
                self.err(sp, "missing entrypoint (neither this workflow nor its workflowTemplateRef sets one)")
        elif isinstance(entry, str) and not _templated(entry):
            target = self.resolve_name(entry, sp + ("entrypoint",))
            if target is not None and is_run and not isinstance(wtref, dict):
                args = spec.get("arguments")
                self.check_args(target, args, sp + ("entrypoint",), entry, entrypoint=True)
        on_exit = spec.get("onExit")
        if isinstance(on_exit, str) and not _templated(on_exit):
            self.resolve_name(on_exit, sp + ("onExit",))
        self.lint_hooks(spec.get("hooks"), sp + ("hooks",))
        for i, t in enumerate(templates):
            if isinstance(t, dict):
                self.lint_template(t, sp + ("templates", i))
        retry = spec.get("retryStrategy")
        if isinstance(retry, dict):
            self.check_expression(retry.get("expression"), sp + ("retryStrategy", "expression"))
        lint_volumes(spec.get("volumes"), sp + ("volumes",), self.err)
        if spec.get("metrics") is not None:
            from jupyter_flow.spec.lint_metrics import lint_metrics
            lint_metrics(spec["metrics"], sp + ("metrics",), self.err, workflow_level=True)
        from jupyter_flow.spec.lint_refs import check_references
        check_references(self, spec, sp, kind, ref_spec if self.ref_templates is not None else None)

    # -- template references ---------------------------------------------------------
    def resolve_name(self, name: str, path: tuple) -> dict | None:
        """The local template called ``name``; report it at ``path`` when unknown."""
        if name in self.templates:
            return self.templates[name]
        if self.ref_templates is not None:
            if name in self.ref_templates:
                return self.ref_templates[name]
        elif isinstance((self.spec_of_doc() or {}).get("workflowTemplateRef"), dict):
            return None  # templates come from a WorkflowTemplate we cannot see
        known = sorted(set(self.templates) | set(self.ref_templates or {}))
        hint = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        more = f", did you mean {hint[0]}?" if hint else ""
        self.err(path, f'unknown template "{name}"{more}')
        return None

    def spec_of_doc(self) -> dict | None:
        spec = self.doc.data.get("spec")
        if self.doc.kind == "CronWorkflow" and isinstance(spec, dict):
            spec = spec.get("workflowSpec")
        return spec if isinstance(spec, dict) else None

    def resolve_call(self, call: dict, path: tuple, what: str) -> dict | None:
        """Target of a step/task/hook: ``template``, ``templateRef`` or ``inline``."""
        if "template" in call and call["template"] is not None:
            name = call["template"]
            if isinstance(name, str) and not _templated(name):
                return self.resolve_name(name, path + ("template",))
            return None
        ref = call.get("templateRef")
        if isinstance(ref, dict):
            wt_name, t_name = ref.get("name"), ref.get("template")
            if _templated(wt_name) or _templated(t_name) or self.registry is None:
                return None
            cluster = bool(ref.get("clusterScope"))
            found = self.lookup(wt_name, cluster)
            what_kind = "ClusterWorkflowTemplate" if cluster else "WorkflowTemplate"
            if found is None:
                if not self.partial:
                    self.err(path + ("templateRef", "name"), f'unknown {what_kind} "{wt_name}"')
                return None
            target = self.templates_of(found).get(t_name) if isinstance(t_name, str) else None
            if target is None:
                self.err(path + ("templateRef", "template"), f'template "{t_name}" not found in {what_kind} "{wt_name}"')
            return target
        inline = call.get("inline")
        if isinstance(inline, dict):
            self.lint_template(inline, path + ("inline",), inline=True)
            return inline
        self.err(path, f"{what} needs one of template, templateRef or inline")
        return None

    def check_args(self, target: dict, args: Any, path: tuple, tname: str, entrypoint: bool = False) -> None:
        """Report inputs of ``target`` that have no value, no default and no argument."""
        inputs = target.get("inputs")
        params = inputs.get("parameters") if isinstance(inputs, dict) else None
        if not isinstance(params, list):
            return
        given = set()
        if isinstance(args, dict) and isinstance(args.get("parameters"), list):
            given = {p.get("name") for p in args["parameters"] if isinstance(p, dict)}
        for p in params:
            if not isinstance(p, dict) or not isinstance(p.get("name"), str):
                continue
            if any(k in p for k in ("value", "default", "valueFrom")) or p["name"] in given:
                continue
            hint = " (declare it in spec.arguments.parameters)" if entrypoint else ""
            self.err(path, f'missing argument "{p["name"]}" for template "{tname}"{hint}')

    def lint_hooks(self, hooks: Any, path: tuple) -> None:
        if not isinstance(hooks, dict):
            return
        for name, hook in hooks.items():
            if not isinstance(hook, dict):
                continue
            hp = path + (name,)
            target = self.resolve_call(hook, hp, f'hook "{name}"')
            if target is not None and "inline" not in hook:
                self.check_args(target, hook.get("arguments"), hp, _name_of(target))
            self.check_expression(hook.get("expression"), hp + ("expression",))

    # -- templates ---------------------------------------------------------------------
    def lint_template(self, t: dict, tp: tuple, inline: bool = False) -> None:
        label = "inline template" if inline else f'template "{_name_of(t)}"'
        kinds = [k for k in TEMPLATE_TYPES if k in t and t[k] is not None]
        if len(kinds) > 1:
            self.err(tp, f"{label} has more than one type: {', '.join(kinds)} (use exactly one)")
        elif not kinds:
            self.err(tp, f"{label} has no type: add one of {', '.join(TEMPLATE_TYPES)}")
        steps = t.get("steps")
        if isinstance(steps, list):
            self.lint_steps(steps, tp + ("steps",))
        dag = t.get("dag")
        if isinstance(dag, dict):
            from jupyter_flow.spec.lint_dag import lint_dag

            lint_dag(self, dag, tp + ("dag",))
        self.lint_template_expressions(t, tp)
        self.check_input_refs(t, tp, label)
        from jupyter_flow.spec.lint_daemon import lint_daemon
        lint_daemon(self, t, tp)
        lint_template_paths(t, tp, self.err)
        if t.get("metrics") is not None:
            from jupyter_flow.spec.lint_metrics import lint_metrics
            lint_metrics(t["metrics"], tp + ("metrics",), self.err)

    def lint_call(self, call: dict, cp: tuple, what: str) -> None:
        """Checks shared by steps and DAG tasks."""
        target = self.resolve_call(call, cp, what)
        if target is not None and "inline" not in call:
            tname = call.get("template") or (call.get("templateRef") or {}).get("template") or "?"
            self.check_args(target, call.get("arguments"), cp, tname)
        on_exit = call.get("onExit")
        if isinstance(on_exit, str) and not _templated(on_exit):
            self.resolve_name(on_exit, cp + ("onExit",))
        self.lint_hooks(call.get("hooks"), cp + ("hooks",))
        when = call.get("when")
        if isinstance(when, str):
            problem = X.check_when(when)
            if problem:
                self.err(cp + ("when",), problem)

    def lint_steps(self, groups: list, sp: tuple) -> None:
        seen: set[str] = set()
        for g, group in enumerate(groups):
            if not isinstance(group, list):
                continue
            for j, step in enumerate(group):
                if not isinstance(step, dict):
                    continue
                cp = sp + (g, j)
                name = step.get("name")
                if not isinstance(name, str) or not name:
                    self.err(cp, 'missing required field "name"')
                    name = "?"
                elif name in seen:
                    self.err(cp + ("name",), f'duplicate step name "{name}"')
                seen.add(name)
                self.lint_call(step, cp, f'step "{name}"')

    def check_expression(self, text: Any, path: tuple) -> None:
        if isinstance(text, str):
            problem = X.check_expression(text)
            if problem:
                self.err(path, problem)

    def lint_template_expressions(self, t: dict, tp: tuple) -> None:
        retry = t.get("retryStrategy")
        if isinstance(retry, dict):
            self.check_expression(retry.get("expression"), tp + ("retryStrategy", "expression"))
        outputs = t.get("outputs")
        if isinstance(outputs, dict):
            for i, p in enumerate(outputs.get("parameters") or []):
                vf = p.get("valueFrom") if isinstance(p, dict) else None
                if isinstance(vf, dict):
                    self.check_expression(vf.get("expression"), tp + ("outputs", "parameters", i, "valueFrom", "expression"))
            for i, a in enumerate(outputs.get("artifacts") or []):
                if isinstance(a, dict):
                    self.check_expression(a.get("fromExpression"), tp + ("outputs", "artifacts", i, "fromExpression"))
        data = t.get("data")
        if isinstance(data, dict):
            for i, step in enumerate(data.get("transformation") or []):
                if isinstance(step, dict):
                    self.check_expression(step.get("expression"), tp + ("data", "transformation", i, "expression"))

    def check_input_refs(self, t: dict, tp: tuple, label: str) -> None:
        inputs = t.get("inputs")
        declared = set()
        if isinstance(inputs, dict):
            declared = {p.get("name") for p in inputs.get("parameters") or [] if isinstance(p, dict)}
        for path, text in X.walk_strings(t, tp, skip=_EXPR_FIELDS_SKIP):
            for name in X.input_parameter_refs(text):
                if name not in declared:
                    self.err(path, f'{{{{inputs.parameters.{name}}}}} refers to an input parameter '
                             f'that {label} does not declare')

    def lint_all_strings(self, data: dict) -> None:
        for path, text in X.walk_strings(data, ()):
            for problem in X.check_expr_tags(text):
                self.err(path, problem)


def lint_document(doc: Document, registry: Registry | None = None) -> list[LintError]:
    """Semantic problems in one Workflow/WorkflowTemplate/ClusterWorkflowTemplate/CronWorkflow."""
    return _Linter(doc, registry).run()
