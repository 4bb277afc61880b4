"""executeTemplate: resolve a step's template, bind its inputs, retry it, run its body."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .. import expr
from ..errors import ExprError, JupyterFlowError
from ..executors.base import capabilities
from .artifact_refs import bind_all, input_records
from .artifacts import ArtifactError
from .durations import parse_duration
from .nodes import DAG, ERROR, FAILED, POD, RETRY, RUNNING, STEPS, SUSPEND, Node
from .templates import InputError, TemplateContext, TemplateError, input_scope, process_inputs, template_type

if TYPE_CHECKING:
    from .controller import Controller

MAX_DEPTH = 100
NODE_TYPES = {"container": POD, "script": POD, "containerSet": POD, "steps": STEPS, "dag": DAG,
              "suspend": SUSPEND, "http": "HTTP", "plugin": "Plugin", "resource": POD, "data": POD}


async def execute(ctl: "Controller", holder: dict, *, name: str, display: str, boundary_id: str,
                  parent: Node | None, tctx: TemplateContext, caller_scope: dict, on_exit: bool = False,
                  depth: int = 0) -> Node:
    """Run the template named by ``holder`` (a step, task, hook or the entrypoint) as node ``name``."""
    kept = ctl.reusable(name)
    if kept is not None:
        if parent is not None:
            ctl.add_child(parent, kept)
        return kept
    try:
        tmpl, inner_ctx, tmpl_name, tref = tctx.resolve(holder)
    except TemplateError as exc:
        return ctl.new_node(name, display, "Skipped", boundary_id=boundary_id, parent=parent, phase=ERROR,
                            message=str(exc), template_name=holder.get("template", ""))
    ttype = template_type(tmpl)
    ntype = NODE_TYPES.get(ttype, POD)
    if depth > MAX_DEPTH:
        return ctl.new_node(name, display, ntype, template_name=tmpl_name, boundary_id=boundary_id, parent=parent,
                            phase=ERROR, message="Maximum recursion depth exceeded. See "
                            "https://argo-workflows.readthedocs.io/en/latest/scaling/#maximum-recursion-depth")
    try:
        inputs = process_inputs(tmpl, holder.get("arguments") or {},
                                lambda v, extra: expr.substitute(v, ctl.scope(extra)),
                                caller_substituted=name != ctl.name)
        if inputs.get("artifacts"):
            # from/fromExpression/subPath are resolved in the caller's scope (Argo's resolveArtifact)
            inputs["artifacts"] = bind_all(inputs["artifacts"], ctl.scope(caller_scope), ctl.artifact_root)
    except (InputError, ExprError, ArtifactError) as exc:
        return ctl.new_node(name, display, ntype, template_name=tmpl_name, boundary_id=boundary_id, parent=parent,
                            phase=ERROR, message=str(exc), template_ref=tref)
    local = input_scope(inputs)
    display = annotated_display_name(ctl, tmpl, local) or display
    if ttype in ("steps", "dag") and inputs.get("artifacts"):
        local.update(input_records(inputs))   # passed on with from: "{{inputs.artifacts.NAME}}"
    call = Call(ctl, tmpl, ttype, inner_ctx, local, depth, on_exit, tmpl_name, tref, inputs)
    from . import metrics
    from .retries import retry_strategy
    if retry_strategy(ctl, tmpl) is not None:
        node = ctl.new_node(name, display, RETRY, template_name=tmpl_name, boundary_id=boundary_id, parent=parent,
                            phase=RUNNING, inputs=inputs or None, template_ref=tref)
        from .retries import run_retries
        metrics.node_started(ctl, tmpl, node)
        await run_retries(call, node)
    else:
        node = ctl.new_node(name, display, ntype, template_name=tmpl_name, boundary_id=boundary_id, parent=parent,
                            inputs=inputs or None, template_ref=tref)
        metrics.node_started(ctl, tmpl, node)
        await call.run_body(node)
    metrics.node_done(ctl, tmpl, node)   # Argo emits a template's metrics as its node completes
    return node


DISPLAY_NAME_ANNOTATION = "workflows.argoproj.io/display-name"


def annotated_display_name(ctl: "Controller", tmpl: dict, local: dict) -> str | None:
    """The template's ``annotations["workflows.argoproj.io/display-name"]``, substituted with its
    inputs: Argo names the node by it (the walk-through "Annotations"). None when it has none,
    it is empty, or its tags do not resolve (the node keeps its generated name)."""
    annotations = tmpl.get("annotations")
    raw = annotations.get(DISPLAY_NAME_ANNOTATION) if isinstance(annotations, dict) else None
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        value = expr.substitute(raw, ctl.scope(local))
    except ExprError:
        return None
    return value if isinstance(value, str) and value.strip() and "{{" not in value else None


class Call:
    """One invocation of a template: what its body needs, reusable across retry attempts."""

    __slots__ = ("ctl", "tmpl", "ttype", "tctx", "local", "depth", "on_exit", "tmpl_name", "tref", "inputs")

    def __init__(self, ctl, tmpl, ttype, tctx, local, depth, on_exit, tmpl_name, tref, inputs):
        self.ctl, self.tmpl, self.ttype, self.tctx = ctl, tmpl, ttype, tctx
        self.local, self.depth, self.on_exit = local, depth, on_exit
        self.tmpl_name, self.tref, self.inputs = tmpl_name, tref, inputs

    def node_type(self) -> str:
        return NODE_TYPES.get(self.ttype, POD)

    async def run_body(self, node: Node, extra: dict | None = None) -> None:
        ctl = self.ctl
        local = dict(self.local, **extra) if extra else self.local
        if ctl.shutdown and not self.on_exit:
            ctl.set_phase(node, FAILED, f"workflow shutdown with strategy: {ctl.shutdown}")
            return
        try:
            if self.ttype in ("container", "script"):
                from .pods import run_pod
                await run_pod(self, node, local)
            elif self.ttype in ("steps", "dag"):
                if self.ttype == "steps":
                    from .steps import run_steps as run
                else:
                    from .dag import run_dag as run
                try:
                    await run(self, node, local)
                finally:
                    if ctl.daemons:   # killDaemonedChildren: the scope's daemons end with it
                        from .daemons import kill_scope
                        await kill_scope(ctl, node.id)
            elif self.ttype == "suspend":
                from .pods import run_suspend
                await run_suspend(self, node, local)
            elif self.ttype == "containerSet":
                from .pods import run_container_set
                await run_container_set(self, node, local)
            elif self.ttype == "http":
                from .pods import run_http
                await run_http(self, node, local)
            elif self.ttype == "resource" and capabilities(ctl.executor).runs_resources:
                from .pods import run_resource
                await run_resource(self, node, local)
            elif not self.ttype:
                ctl.set_phase(node, ERROR, f"template {self.tmpl.get('name', '')!r} has no type "
                                           "(container, script, steps, dag, suspend, ...)")
            else:
                ctl.set_phase(node, ERROR, f"{self.ttype} templates need a Kubernetes cluster: run this "
                                           "workflow with --backend argo (or --backend kubernetes)")
        except JupyterFlowError as exc:
            if not node.fulfilled:
                ctl.set_phase(node, ERROR, str(exc))

    def timeout(self, local: dict) -> float | None:
        """The node's deadline in seconds: min of activeDeadlineSeconds and timeout."""
        values = []
        for key in ("activeDeadlineSeconds", "timeout"):
            raw = self.tmpl.get(key)
            if raw is not None:
                values.append(parse_duration(expr.substitute(str(raw), self.ctl.scope(local))))
        return min(values) if values else None
