"""``resource`` templates on the ``kubernetes`` backend: what Argo's executor does with ``kubectl``.

Plain REST through the executor's ``ApiClient`` (the official client; this module imports nothing
from ``kubernetes``, per the house rule) instead of ``kubernetes.dynamic``: the
dynamic client reads every group's discovery document (tens of requests, cached on disk) before
the first call, while a resource step needs one: ``/api/v1`` or ``/apis/<group>/<version>`` for
the manifest's ``apiVersion`` gives the kind's plural and whether it is namespaced (``kubectl``
does the same). Only ``flags: [resource, name]`` (a ``json`` patch of e.g. ``pod NAME``) walks the
group list to find a resource by name, singular or short name.

Actions: create (POST), apply (merge patch, created when missing), patch (strategic/merge/json
content types), delete (a missing object is fine, as ``--ignore-not-found``), get. Conditions and
outputs are Argo's: comma-separated label-selector-style requirements on object fields, and
``valueFrom.jsonPath`` (kubectl's ``{.path}``) / ``valueFrom.jqFilter`` (``jq -rc``).
"""
from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
from typing import Any

from ..errors import JupyterFlowError
from ..store.paths import opener

PAST = {"create": "created", "apply": "configured", "patch": "patched", "delete": "deleted", "get": "read"}
PATCH_TYPES = {"strategic": "application/strategic-merge-patch+json", "merge": "application/merge-patch+json",
               "json": "application/json-patch+json"}


class ApiStatus(Exception):
    """A non-2xx answer (``status``, ``reason``, ``body`` as ``ApiException`` has them, for ``api_error``)."""

    def __init__(self, status: int, reason: str = "", body: str = ""):
        super().__init__(f"({status}) {reason}")
        self.status, self.reason, self.body = status, reason, body


class Rest:
    """Kinds to REST paths (one discovery request per group/version) and JSON calls."""

    def __init__(self, api_client):
        self.client = api_client
        self._lists: dict[str, list[dict]] = {}

    def call(self, method: str, path: str, body: Any = None, content_type: str = "application/json",
             query: list | None = None) -> dict:
        """One JSON request with the client's auth and TLS; a non-2xx status raises :class:`ApiStatus`."""
        headers = {"Accept": "application/json", "Content-Type": content_type}
        c = self.client
        try:
            if hasattr(c, "param_serialize"):   # newer generated clients: serialize, send, check the status
                method, url, headers, body, _ = c.param_serialize(method, path, query_params=query or [],
                                                                  header_params=headers, body=body,
                                                                  auth_settings=["BearerToken"])
                resp = c.call_api(method, url, header_params=headers, body=body)
                resp.read()
                if not 200 <= resp.status <= 299:
                    raise ApiStatus(resp.status, resp.reason or "", resp.data.decode(errors="replace"))
                data = resp.data
            else:   # older clients: call_api(resource_path, method, ...) raises ApiException itself
                data = c.call_api(path, method, query_params=query or [], body=body, header_params=headers,
                                  auth_settings=["BearerToken"], _preload_content=False,
                                  _return_http_data_only=True).data
        except ApiStatus:
            raise
        except Exception as exc:   # the client's ApiException (duck-typed: status/reason/body)
            if not isinstance(getattr(exc, "status", None), int) or not exc.status:
                raise
            raise ApiStatus(exc.status, str(getattr(exc, "reason", "") or ""), getattr(exc, "body", "") or "") from None
        return json.loads(data) if data else {}

    def resources(self, api_version: str) -> list[dict]:
        if api_version not in self._lists:
            path = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
            try:
                found = self.call("GET", path).get("resources") or []
            except ApiStatus as exc:
                if exc.status != 404:
                    raise
                raise JupyterFlowError(f"the cluster does not serve {api_version!r} (is its CRD installed?)") from None
            self._lists[api_version] = [r for r in found if "/" not in r.get("name", "")]
        return self._lists[api_version]

    def by_kind(self, api_version: str, kind: str) -> dict:
        for r in self.resources(api_version):
            if r.get("kind") == kind:
                return dict(r, apiVersion=api_version)
        raise JupyterFlowError(f"the cluster has no kind {kind!r} in {api_version!r} (is its CRD installed?)")

    def by_name(self, name: str) -> dict:
        """``kubectl patch pod X``: a resource by plural, singular, short name or kind."""
        want = name.lower()
        versions = ["v1"] + [g["preferredVersion"]["groupVersion"] for g in self.call("GET", "/apis").get("groups") or []]
        for gv in versions:
            for r in self.resources(gv):
                if want in [r.get("name"), r.get("singularName"), r.get("kind", "").lower(), *(r.get("shortNames") or [])]:
                    return dict(r, apiVersion=gv)
        raise JupyterFlowError(f"the cluster has no resource type {name!r}")

    @staticmethod
    def path(res: dict, namespace: str, name: str | None = None) -> str:
        gv = res["apiVersion"]
        base = "/api/v1" if gv == "v1" else f"/apis/{gv}"
        ns = f"/namespaces/{namespace}" if res.get("namespaced") else ""
        return f"{base}{ns}/{res['name']}" + (f"/{name}" if name else "")


def _split_requirements(cond: str) -> list[str]:
    parts, depth, buf = [], 0, ""
    for ch in cond:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(buf.strip())
            buf = ""
        else:
            buf += ch
    return [p for p in parts + [buf.strip()] if p]


def _field(obj: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(obj, list) and part.isdigit() and int(part) < len(obj):
            obj = obj[int(part)]
        elif isinstance(obj, dict):
            obj = obj.get(part)
        else:
            return None
    return obj


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def condition(obj: dict, cond: str) -> bool:
    """Argo's success/failure conditions: label-selector requirements on fields, all must hold.

    ``path == v`` (or ``=``), ``!=``, ``<``, ``>``, ``in (a, b)``, ``notin (a, b)``, ``path`` (exists),
    ``!path`` (absent). As in a label selector, ``!=`` and ``notin`` hold for an absent field.
    """
    for req in _split_requirements(cond):
        m = re.fullmatch(r"(!?)\s*([\w.\-/]+)\s*(?:(==|!=|=|<|>)\s*(.*?)|\s+(in|notin)\s*\((.*)\))?", req)
        if not m:
            raise JupyterFlowError(f"cannot parse condition {req!r}")
        neg, path, op, want, setop, items = m.groups()
        value = _field(obj, path)
        have = None if value is None else _text(value)
        if neg:
            ok = have is None and not op and not setop
        elif setop:
            members = {i.strip() for i in items.split(",")}
            ok = (have in members) if setop == "in" else (have is None or have not in members)
        elif not op:
            ok = have is not None
        elif op == "!=":
            ok = have is None or have != want.strip()
        elif have is None:
            ok = False
        elif op in ("=", "=="):
            ok = have == want.strip()
        else:
            try:
                a, b = float(have), float(want)
            except ValueError:
                return False
            ok = a < b if op == "<" else a > b
        if not ok:
            return False
    return True


def json_path(obj: dict, template: str) -> str:
    """kubectl's ``-o jsonpath={.a.b}``: lists print space-separated, maps as JSON."""
    from ..expr.jsonpath import query
    m = re.fullmatch(r"\s*\{\s*(.*?)\s*\}\s*", template)
    path = m.group(1) if m else template.strip()
    if not path.startswith("$"):
        path = "$" + ("" if path.startswith((".", "[")) else ".") + path
    value = query(obj, path)
    if isinstance(value, list) and re.search(r"\[\*\]|\.\*|\.\.|\[\?|,|:", path):
        return " ".join(_text(v) for v in value)
    return "" if value is None else _text(value)


def jq_filter(obj: dict, flt: str) -> str:
    """``jq -rc FILTER``: plain paths here, anything else with the ``jq`` program when installed."""
    if re.fullmatch(r"\.|(\.[A-Za-z_][\w-]*|\[\d+\])+", flt.strip()):
        value: Any = obj
        for key, idx in re.findall(r"\.([A-Za-z_][\w-]*)|\[(\d+)\]", flt.strip()):
            value = (value.get(key) if isinstance(value, dict) else None) if key else \
                (value[int(idx)] if isinstance(value, list) and int(idx) < len(value) else None)
        if value is None:
            return "null"
        return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    jq = shutil.which("jq")
    if jq is None:
        raise JupyterFlowError(f"jqFilter {flt!r} needs the jq program (apt-get install jq), or use jsonPath")
    out = subprocess.run([jq, "-rc", flt], input=json.dumps(obj), capture_output=True, text=True, timeout=30)
    if out.returncode:
        raise JupyterFlowError(f"jqFilter {flt!r}: {out.stderr.strip()}")
    return out.stdout.strip()


def outputs(tmpl: dict, obj: dict) -> dict:
    params = []
    for p in (tmpl.get("outputs") or {}).get("parameters") or []:
        vf = p.get("valueFrom") or {}
        if vf.get("jsonPath"):
            params.append({"name": p["name"], "value": json_path(obj, vf["jsonPath"])})
        elif vf.get("jqFilter"):
            params.append({"name": p["name"], "value": jq_filter(obj, vf["jqFilter"])})
    return {"parameters": params} if params else {}


def _target(rest: Rest, manifest: Any, flags: list[str]) -> tuple[dict, str | None]:
    """The resource type and object name: from the manifest, or ``flags: [resource, name]`` as kubectl."""
    positional = [f for f in flags if not f.startswith("-")]
    if len(positional) != len(flags) or len(positional) > 2:
        raise JupyterFlowError(f"flags {flags} are kubectl arguments; this backend understands only "
                               "[resource, name] (e.g. [pod, NAME]); run with --backend argo for others")
    meta = (manifest.get("metadata") or {}) if isinstance(manifest, dict) else {}
    if len(positional) == 2:
        return rest.by_name(positional[0]), positional[1]
    if not isinstance(manifest, dict) or not manifest.get("kind"):
        raise JupyterFlowError("the manifest has no apiVersion/kind; name the object with flags: [resource, name]")
    return rest.by_kind(manifest.get("apiVersion") or "v1", manifest["kind"]), meta.get("name")


def _act(rest: Rest, action: str, res: dict, kind: dict, ns: str, name: str | None, manifest: Any) -> dict:
    if action == "create":
        return rest.call("POST", rest.path(kind, ns), manifest)
    if not name:
        raise JupyterFlowError(f"{action} needs the object's metadata.name")
    path = rest.path(kind, ns, name)
    if action == "apply":
        try:
            return rest.call("PATCH", path, manifest, PATCH_TYPES["merge"])
        except ApiStatus as exc:
            if exc.status != 404:
                raise
            return rest.call("POST", rest.path(kind, ns), manifest)
    if action == "patch":
        strategy = res.get("mergeStrategy") or "strategic"
        if strategy not in PATCH_TYPES:
            raise JupyterFlowError(f"unknown mergeStrategy {strategy!r} (strategic, merge or json)")
        return rest.call("PATCH", path, manifest, PATCH_TYPES[strategy])
    if action == "delete":
        try:
            rest.call("DELETE", path)
        except ApiStatus as exc:
            if exc.status != 404:   # kubectl delete --ignore-not-found, as Argo runs it
                raise
        return manifest if isinstance(manifest, dict) else {}
    return rest.call("GET", path)


async def run(executor, step: str, tmpl: dict, workflow: dict, log_path) -> tuple[str, str, dict | None]:
    """Run one resource template through ``executor`` (its API client, thread pool and poll interval)."""
    import yaml
    from .client import api_error
    res = tmpl.get("resource") or {}
    action = res.get("action") or "create"
    if action not in PAST:
        return "Error", f"step {step!r}: unknown resource action {action!r}", None
    if res.get("manifestFrom"):
        return "Error", f"step {step!r}: manifestFrom needs artifacts in the cluster; run with --backend argo", None
    try:
        manifest = yaml.safe_load(res.get("manifest") or "")
    except yaml.YAMLError as exc:
        return "Error", f"step {step!r}: the manifest is not valid YAML: {exc}", None
    rest = Rest(executor._api)
    io = executor._io
    ns = ((manifest.get("metadata") or {}).get("namespace") if isinstance(manifest, dict) else None) \
        or executor.namespace(workflow)
    lines = []
    try:
        kind, name = await io(_target, rest, manifest, [str(f) for f in res.get("flags") or []])
        current = await io(_act, rest, action, res, kind, ns, name, manifest)
        name = (current.get("metadata") or {}).get("name") or name
        group = kind["apiVersion"].split("/")[0] if "/" in kind["apiVersion"] else ""
        lines.append(f"{kind.get('singularName') or kind['kind'].lower()}{'.' + group if group else ''}/{name} "
                     f"{PAST[action]}")
        if res.get("setOwnerReference"):
            lines.append("setOwnerReference: the kubernetes backend has no Workflow object to own it; "
                         "it is not deleted with the run")
        phase, message = "Succeeded", ""
        success, failure = res.get("successCondition"), res.get("failureCondition")
        while action != "delete" and (success or failure):
            if failure and condition(current, failure):
                phase, message = "Failed", f"failure condition {failure!r} matched"
                break
            if not success or condition(current, success):
                break
            if getattr(executor, "stopped", False):
                phase, message = "Failed", "workflow shutdown with strategy: Stop"
                break
            await asyncio.sleep(executor.poll)
            current = await io(rest.call, "GET", rest.path(kind, ns, name))
        outs = outputs(tmpl, current)
    except ApiStatus as exc:
        what = f"{action} {(manifest or {}).get('kind') if isinstance(manifest, dict) else 'the object'}"
        return "Error", f"step {step!r}: {api_error(exc, 'kubernetes', what, ns)}", None
    except JupyterFlowError as exc:
        return "Error", f"step {step!r}: {exc}", None
    except Exception as exc:   # noqa: BLE001 - a bad jsonPath, the connection: the node's message
        return "Error", f"step {step!r}: {type(exc).__name__}: {exc}", None
    finally:
        if log_path is not None and lines:
            with open(log_path, "a", opener=opener) as f:
                f.write("\n".join(lines) + "\n")
    return phase, message, outs
