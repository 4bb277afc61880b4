"""Custom Prometheus metrics (``metrics.prometheus``) evaluated as Argo's controller does.

Argo (operator.go ``computeMetrics``, steps.go ``prepareMetricScope``, metrics/metrics_custom.go):

- a template's metrics are emitted when its node completes (a retried template: once per failed
  attempt that is retried, with that attempt's values, then once for the Retry node); its
  ``realtime`` gauges also when the node is created;
- the workflow's metrics when the run completes (``{{status}}``/``{{duration}}`` are the entry
  node's, ``{{workflow.status}}``/``{{workflow.duration}}`` the run's), its realtime gauges also
  when the run starts (``{{status}}`` Pending, ``{{duration}}`` 0);
- ``name``, ``help``, ``labels`` and ``when`` are substituted first, ``when`` decides, then the
  value is substituted and must parse as a float; a realtime gauge's value must be exactly
  ``{{duration}}`` or ``{{workflow.duration}}`` and is read when scraped.

An emission that cannot be made is not recorded and is reported as Argo does: a ``MetricsError``
condition in ``status.conditions`` whose message lists the problems. Every emission is a row of
the store's ``metrics`` table (``store/metrics.py`` aggregates them as Argo's registry would);
rows are bounded per run (``JUPYTER_FLOW_MAX_METRICS``, 10,000), so a metric declared in a
100,000-item loop records the first 10,000 and says how many it dropped.
"""
from __future__ import annotations

import json
import os
import re
import time
from typing import TYPE_CHECKING, Any

from .. import expr
from ..spec.lint_metrics import NAME_RE, is_realtime, kind_of
from .nodes import FULFILLED, PENDING, Node

if TYPE_CHECKING:  # pragma: no cover
    from .controller import Controller

_FLOAT_RE = re.compile(r"^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)$", re.I)
REALTIME_VARS = ("duration", "workflow.duration")
MAX_TEXT = 4096          # bytes of a substituted name, help or label value we record
MAX_MESSAGES = 20        # problems listed in the MetricsError condition


def max_rows() -> int:
    try:
        return max(0, int(os.environ.get("JUPYTER_FLOW_MAX_METRICS", "10000")))
    except ValueError:
        return 10000


def _state(ctl: "Controller") -> dict:
    st = ctl.__dict__.get("_metric_state")
    if st is None:
        st = ctl.__dict__["_metric_state"] = {"rows": 0, "dropped": 0, "errors": [], "attempts": set()}
    return st


def report(ctl: "Controller", message: str) -> None:
    """reportMetricEmissionError: the run's MetricsError condition gains ``message``."""
    errors = _state(ctl)["errors"]
    if len(errors) <= MAX_MESSAGES:
        errors.append(message if len(errors) < MAX_MESSAGES else "(further metric errors not listed)")


def conditions(ctl: "Controller") -> list[dict]:
    """``status.conditions``: Argo's MetricsError condition, its messages joined with ", "."""
    st = ctl.__dict__.get("_metric_state")
    if not st:
        return []
    messages = list(st["errors"])
    if st["dropped"]:
        messages.append(f"{st['dropped']} metric emission(s) over this run's limit of {max_rows()} were not "
                        "recorded (raise JUPYTER_FLOW_MAX_METRICS)")
    return [{"type": "MetricsError", "status": "True", "message": ", ".join(messages)}] if messages else []


def _node_scope(ctl: "Controller", node: Node, *, final_globals: bool = False) -> tuple[dict, dict]:
    """prepareMetricScope: (scope of strings, realtime sources as (kind, since))."""
    scope: dict[str, Any] = dict(ctl.globals)
    now = time.time()
    start = node.started_at if node.started_at is not None else now
    done = node.phase in FULFILLED
    end = node.finished_at if done and node.finished_at is not None else now
    scope["duration"] = f"{max(0.0, end - start):f}"
    scope["status"] = node.phase or PENDING
    scope["resourcesDuration.cpu"] = scope["resourcesDuration.memory"] = "0"
    if node.children:
        scope["retries"] = str(len(node.children) - 1)
    for p in (node.inputs or {}).get("parameters") or []:
        if isinstance(p, dict) and p.get("name"):
            scope[f"inputs.parameters.{p['name']}"] = str(p.get("value", "") if p.get("value") is not None else "")
    outputs = node.outputs or {}
    if outputs.get("result") is not None:
        scope["outputs.result"] = str(outputs["result"])
    if outputs.get("exitCode") is not None:
        scope["exitCode"] = str(outputs["exitCode"])
    for p in outputs.get("parameters") or []:
        if isinstance(p, dict) and p.get("name"):
            scope[f"outputs.parameters.{p['name']}"] = str(p.get("value", "") if p.get("value") is not None else "")
    live = {"duration": (None if done else start, end - start)}
    return scope, live


def _workflow_live(ctl: "Controller") -> tuple[float | None, float]:
    start = ctl.started_at or time.time()
    if ctl.finished_at is not None:
        return None, ctl.finished_at - start
    return start, time.time() - start


def compute(ctl: "Controller", decls: Any, scope: dict, live: dict, *, node_id: str | None,
            realtime_only: bool) -> None:
    """computeMetrics over ``decls`` (a ``metrics`` mapping's ``prometheus`` list)."""
    if not isinstance(decls, list):
        return
    live = dict(live, **{"workflow.duration": _workflow_live(ctl)})
    for decl in decls:
        if not isinstance(decl, dict) or (realtime_only and not is_realtime(decl)):
            continue
        try:
            _emit(ctl, decl, scope, live, node_id)
        except Exception as exc:   # a metric never breaks the run: Argo reports it and goes on
            report(ctl, f"unable to substitute parameters for metric '{decl.get('name')}': {exc}")


def _emit(ctl: "Controller", decl: dict, scope: dict, live: dict, node_id: str | None) -> None:
    raw_name = str(decl.get("name") or "")
    if not decl.get("help"):
        return report(ctl, f"metric '{raw_name}' must contain a help string under 'help: ' field")
    sub = lambda text: expr.substitute(str(text), scope)   # noqa: E731
    name, help_ = sub(raw_name), sub(decl["help"])
    labels = {}
    for label in decl.get("labels") or []:
        if isinstance(label, dict):
            labels[sub(label.get("key", ""))] = sub(label.get("value", ""))
    when = sub(decl.get("when") or "")
    if when.strip():
        try:
            if not expr.when(when):
                return
        except ExprError as exc:
            return report(ctl, f"unable to compute 'when' clause for metric '{ctl.name}': {exc}")
    if not NAME_RE.match(name):
        return report(ctl, f"could not construct metric '{name[:200]}': metric name is invalid: names may only "
                           "contain alphanumeric characters or '_'")
    bad = [k for k in labels if not NAME_RE.match(k)]
    if bad:
        return report(ctl, f"could not construct metric '{name}': metric label '{bad[0][:200]}' is invalid: "
                           "keys may only contain alphanumeric characters or '_'")
    if max([len(help_)] + [len(v) for v in labels.values()]) > MAX_TEXT:
        return report(ctl, f"could not construct metric '{name}': its help or a label value is over "
                           f"{MAX_TEXT} characters")
    kind = kind_of(decl)
    if not kind:
        return report(ctl, f"could not construct metric '{name}': invalid metric spec")
    body = decl[kind]
    since = None
    if is_realtime(decl):
        text = str(body.get("value") or "").strip()
        if not (text.startswith("{{") and text.endswith("}}")):
            return report(ctl, "real time metrics can only be used with metric variables")
        var = text[2:-2].strip()
        if var not in live:
            return report(ctl, f"'{var}' is not available as a real time metric")
        since, value = live[var]
        source = var
    else:
        source = None
        text = sub(body.get("value") or "").strip()
        if not _FLOAT_RE.match(text):
            return report(ctl, f"could not construct metric '{name}': strconv.ParseFloat: parsing "
                               f"{text[:200]!r}: invalid syntax")
        value = float(text)
    buckets = None
    if kind == "histogram":
        try:
            buckets = sorted(float(b) for b in body.get("buckets") or [])
        except (TypeError, ValueError):
            return report(ctl, f"could not construct metric '{name}': histogram buckets must be numbers")
    st = _state(ctl)
    if st["rows"] >= max_rows():
        st["dropped"] += 1
        return None
    st["rows"] += 1
    op = str(body.get("operation") or "Set") if kind == "gauge" and source is None else None
    row = (ctl.name, node_id, name, help_, kind, json.dumps(labels, sort_keys=True), value, time.time(),
           since, source, json.dumps(buckets) if buckets is not None else None, op)
    if ctl.store is not None:
        ctl.store.add_metrics_later([row])


# ---- hooks (kept one line each at the controller's completion points) --------------------------
def node_started(ctl: "Controller", tmpl: dict, node: Node) -> None:
    decls = (tmpl.get("metrics") or {}).get("prometheus") if isinstance(tmpl.get("metrics"), dict) else None
    if decls:
        scope, live = _node_scope(ctl, node)
        compute(ctl, decls, scope, live, node_id=node.id, realtime_only=True)


def node_done(ctl: "Controller", tmpl: dict, node: Node) -> None:
    """The node (or a retried attempt of it) completed: emit its template's metrics."""
    decls = (tmpl.get("metrics") or {}).get("prometheus") if isinstance(tmpl.get("metrics"), dict) else None
    if decls and node.phase in FULFILLED:
        scope, live = _node_scope(ctl, node)
        compute(ctl, decls, scope, live, node_id=node.id, realtime_only=False)


def run_started(ctl: "Controller") -> None:
    decls = (ctl.spec.get("metrics") or {}).get("prometheus") if isinstance(ctl.spec.get("metrics"), dict) else None
    if decls:
        scope = dict(ctl.globals, duration="0", status=PENDING)
        scope["resourcesDuration.cpu"] = scope["resourcesDuration.memory"] = "0"
        compute(ctl, decls, scope, {}, node_id=None, realtime_only=True)


def run_done(ctl: "Controller") -> None:
    decls = (ctl.spec.get("metrics") or {}).get("prometheus") if isinstance(ctl.spec.get("metrics"), dict) else None
    if not decls:
        return
    ctl.globals["workflow.status"] = ctl.phase
    end = ctl.finished_at or time.time()
    ctl.globals["workflow.duration"] = f"{end - (ctl.started_at or end):f}"
    root = ctl.node_by_name(ctl.name)
    if root is not None:
        scope, live = _node_scope(ctl, root)
    else:
        scope, live = dict(ctl.globals, duration="0", status=ctl.phase), {}
    compute(ctl, decls, scope, live, node_id=None, realtime_only=False)
