"""Argo Server's routes (``/api/v1/...``) mapped onto the operations, independent of HTTP.

``dispatch(ops, method, path, query, body)`` answers a dict (JSON, 200) or a stream (an object
with ``poll()`` and ``done``), or raises :class:`~.errors.ArgoError`. Paths Argo serves and
this server does not implement answer Unimplemented (501); unknown paths NotFound (404), both
in grpc-gateway's JSON shape.
"""
from __future__ import annotations

import platform
import re
from typing import Any, Callable, Mapping

from .errors import NOT_FOUND, RESOURCE_EXHAUSTED, UNIMPLEMENTED, ArgoError, invalid, unimplemented

Query = Mapping[str, str]
_SEG = r"([^/]+)"
_ROUTES: list[tuple[str, re.Pattern, Callable]] = []
# Argo's services this server leaves out (see docs/argo-server.md)
NOT_IMPLEMENTED = (
    ("archived-workflows", "the workflow archive"),
    ("archived-workflows-label-keys", "the workflow archive"),
    ("archived-workflows-label-values", "the workflow archive"),
    ("workflow-event-bindings", "workflow event bindings"),
    ("events", "the event endpoint (event bindings)"),
    ("event-sources", "Argo Events event sources"),
    ("sensors", "Argo Events sensors"),
    ("stream", "Argo Events streams"),
    ("sync", "synchronization limits (ConfigMap-backed)"),
    ("tracking", "tracking events"),
)


def route(method: str, pattern: str):
    def register(fn):
        _ROUTES.append((method, re.compile(pattern.replace("{}", _SEG) + r"/?\Z"), fn))
        return fn
    return register


def _bool(query: Query, name: str) -> bool:
    value = query.get(name)
    if value in (None, "", "false", "False", "0"):
        return False
    if value in ("true", "True", "1"):
        return True
    raise invalid(f"{name} must be true or false, not {value[:20]!r}")


def _int(query: Query, name: str) -> int | None:
    value = query.get(name)
    if value in (None, ""):
        return None
    if not re.fullmatch(r"-?[0-9]{1,9}", value, re.ASCII):
        raise invalid(f"{name} must be an integer, not {value[:20]!r}")
    return int(value)


# -- info ---------------------------------------------------------------------------------------
@route("GET", "version")
def _version(ops, query, body, *args):
    from importlib.metadata import PackageNotFoundError, version
    try:
        ours = version("jupyter-flow")
    except PackageNotFoundError:
        ours = "0.0.0"
    return {"version": f"v{ours}+jupyter-flow", "buildDate": "", "gitCommit": "", "gitTag": f"v{ours}",
            "gitTreeState": "clean", "goVersion": f"python{platform.python_version()}", "compiler": "cpython",
            "platform": f"{platform.system().lower()}/{platform.machine()}"}


@route("GET", "info")
def _info(ops, query, body, *args):
    return {"managedNamespace": "", "links": [], "columns": [], "modals": {}, "navColor": ""}


@route("GET", "userinfo")
def _userinfo(ops, query, body, *args):
    import getpass
    return {"subject": getpass.getuser(), "issuer": "jupyter-flow", "name": getpass.getuser(), "groups": [],
            "serviceAccountName": "", "serviceAccountNamespace": ""}


# -- workflows ----------------------------------------------------------------------------------
@route("GET", "workflows(?:/{})?")
def _list(ops, query, body, namespace=None):
    return ops.workflows.list(namespace or "", query.get("listOptions.labelSelector"),
                              query.get("listOptions.fieldSelector"), query.get("fields"),
                              query.get("nameFilter"), _int(query, "listOptions.limit"))


@route("POST", "workflows/{}")
def _create(ops, query, body, namespace):
    return ops.workflows.create(namespace, body)


@route("POST", "workflows/{}/lint")
def _lint(ops, query, body, namespace):
    return ops.workflows.lint(namespace, body)


@route("POST", "workflows/{}/submit")
def _submit(ops, query, body, namespace):
    return ops.workflows.submit(namespace, body)


@route("GET", "workflows/{}/{}")
def _get(ops, query, body, namespace, name):
    return ops.workflows.get(namespace, name, query.get("fields"))


@route("DELETE", "workflows/{}/{}")
def _delete(ops, query, body, namespace, name):
    return ops.workflows.delete(namespace, name)


@route("PUT", "workflows/{}/{}/(resume|suspend|stop|terminate|retry|resubmit|set)")
def _action(ops, query, body, namespace, name, action):
    return ops.workflows.action(namespace, name, action, body)


def _logs(ops, query, namespace, name, pod):
    from .streams import LogStream
    if query.get("logOptions.container") not in (None, "", "main"):
        raise invalid("only the main container has logs here")
    return LogStream(ops.workflows, namespace, name, pod_name=pod or query.get("podName"),
                     follow=_bool(query, "logOptions.follow"), grep=query.get("grep"),
                     selector=query.get("selector"), tail_lines=_int(query, "logOptions.tailLines"))


@route("GET", "workflows/{}/{}/log")
def _workflow_logs(ops, query, body, namespace, name):
    return _logs(ops, query, namespace, name, None)


@route("GET", "workflows/{}/{}/{}/log")
def _pod_logs(ops, query, body, namespace, name, pod):
    return _logs(ops, query, namespace, name, pod)


@route("GET", "workflow-events/{}")
def _watch(ops, query, body, namespace):
    from .streams import WatchStream
    return WatchStream(ops.workflows, namespace, label_selector=query.get("listOptions.labelSelector"),
                       field_selector=query.get("listOptions.fieldSelector"), fields=query.get("fields"),
                       timeout=_int(query, "listOptions.timeoutSeconds"))


# -- templates and cron -------------------------------------------------------------------------
def _template_routes(prefix: str, kind: str, namespaced: bool) -> None:
    ns = "/{}" if namespaced else ""

    def split(args):
        return (args[0], args[1:]) if namespaced else (None, args)

    route("GET", prefix + ns)(lambda ops, q, b, *a: ops.templates.list(kind, split(a)[0],
                                                                       q.get("listOptions.labelSelector")))
    route("POST", prefix + ns)(lambda ops, q, b, *a: ops.templates.create(kind, split(a)[0], b))
    route("POST", prefix + ns + "/lint")(lambda ops, q, b, *a: ops.templates.lint(kind, split(a)[0], b))
    route("GET", prefix + ns + "/{}")(lambda ops, q, b, *a: ops.templates.get(kind, split(a)[0], *split(a)[1]))
    route("PUT", prefix + ns + "/{}")(lambda ops, q, b, *a: ops.templates.update(kind, split(a)[0],
                                                                                 *split(a)[1], b))
    route("DELETE", prefix + ns + "/{}")(lambda ops, q, b, *a: ops.templates.delete(kind, split(a)[0],
                                                                                    *split(a)[1]))


_template_routes("workflow-templates", "WorkflowTemplate", True)
_template_routes("cluster-workflow-templates", "ClusterWorkflowTemplate", False)
_template_routes("cron-workflows", "CronWorkflow", True)
route("PUT", "cron-workflows/{}/{}/suspend")(lambda ops, q, b, ns, name: ops.templates.cron_suspend(ns, name, True))
route("PUT", "cron-workflows/{}/{}/resume")(lambda ops, q, b, ns, name: ops.templates.cron_suspend(ns, name, False))


class Operations:
    """The operations a request can reach, over one store."""

    def __init__(self, home=None):
        from .templates import TemplateOps
        from .workflows import WorkflowOps
        self.workflows = WorkflowOps(home)
        self.templates = TemplateOps(home)


def parse_body(raw: bytes | None) -> dict:
    """A request body as a JSON object, within the REST API's size and nesting bounds."""
    from ..httpbounds import BadRequest, json_body
    try:
        return json_body(raw)
    except BadRequest as exc:
        if exc.status == 413:
            raise ArgoError(RESOURCE_EXHAUSTED, exc.message, status=413) from None
        raise invalid(exc.message) from None


def dispatch(ops: Operations, method: str, path: str, query: Query, raw_body: bytes | None) -> Any:
    """Answer ``method path`` (path relative to ``/api/v1/``)."""
    path = path.strip("/")
    known = False
    for verb, pattern, fn in _ROUTES:
        m = pattern.match(path)
        if m is None:
            continue
        known = True
        if verb == method:
            body = parse_body(raw_body) if method in ("POST", "PUT") else {}
            return fn(ops, query, body, *m.groups())
    if known:
        raise ArgoError(UNIMPLEMENTED, "Method Not Allowed")
    head = path.split("/", 1)[0]
    for prefix, what in NOT_IMPLEMENTED:
        if head == prefix:
            raise unimplemented(what)
    raise ArgoError(NOT_FOUND, "Not Found")
