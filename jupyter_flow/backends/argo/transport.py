"""How the argo backend talks to a cluster: the Kubernetes API (CRD) or an Argo Server."""
from __future__ import annotations

import json
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Iterator

from ...errors import JupyterFlowError

GROUP, VERSION, PLURAL = "argoproj.io", "v1alpha1", "workflows"
WATCH_TIMEOUT = 60


class Gone(JupyterFlowError):
    """The Workflow no longer exists."""


class Transport:
    def create(self, ns: str, wf: dict) -> dict: ...
    def get(self, ns: str, name: str) -> dict: ...
    def watch(self, ns: str, name: str, resource_version: str | None) -> Iterator[dict]: ...
    def suspend(self, ns: str, name: str) -> None: ...
    def resume(self, ns: str, name: str, node: str | None) -> None: ...
    def shutdown(self, ns: str, name: str, strategy: str, message: str | None) -> None: ...
    def set_node(self, ns: str, name: str, node: str, parameters: dict, message: str | None,
                 phase: str | None = None) -> None: ...
    def retry(self, ns: str, name: str) -> None: ...
    def delete(self, ns: str, name: str) -> None: ...
    def pod_log(self, ns: str, wf_name: str, node: dict, follow: bool) -> Iterator[bytes]: ...


def pod_name(wf_name: str, node: dict) -> str:
    """Argo's (v2) pod name for a node of a workflow mirrored from the cluster (``engine.nodes.pod_name``)."""
    from ...engine.nodes import pod_name as argo_pod_name
    ref = node.get("templateRef") or {}
    return argo_pod_name(wf_name, node.get("name") or "", ref.get("template") or node.get("templateName") or "",
                         node["id"])


class KubeTransport(Transport):
    """The ``argoproj.io/v1alpha1`` custom resource through the official ``kubernetes`` client."""

    def __init__(self, settings: dict):
        from ...kube.client import api_client
        from kubernetes import client
        self.settings = settings
        self.api = api_client(settings, "argo")
        self.crd = client.CustomObjectsApi(self.api)
        self.core = client.CoreV1Api(self.api)

    def _call(self, what: str, ns: str, fn, *args, **kwargs):
        from kubernetes.client.exceptions import ApiException
        from ...kube.client import api_error
        try:
            return fn(*args, **kwargs)
        except ApiException as exc:
            if exc.status == 404 and what.startswith("get"):
                raise Gone(f"workflow not found in namespace {ns!r}") from None
            raise api_error(exc, "argo", what, ns) from None
        except Exception as exc:   # connection refused, TLS, DNS
            if type(exc).__module__.startswith(("urllib3", "ssl", "socket")) or isinstance(exc, OSError):
                raise JupyterFlowError(f"backend 'argo': {what}: cannot reach the Kubernetes API at "
                                       f"{self.api.configuration.host}: {exc}") from None
            raise

    def create(self, ns, wf):
        return self._call("create the Workflow", ns, self.crd.create_namespaced_custom_object,
                          GROUP, VERSION, ns, PLURAL, wf)

    def get(self, ns, name):
        return self._call("get the Workflow", ns, self.crd.get_namespaced_custom_object, GROUP, VERSION, ns, PLURAL, name)

    def watch(self, ns, name, resource_version):
        from kubernetes import watch
        w = watch.Watch()
        kwargs = dict(field_selector=f"metadata.name={name}", timeout_seconds=WATCH_TIMEOUT)
        if resource_version:
            kwargs["resource_version"] = resource_version
        try:
            for event in w.stream(self.crd.list_namespaced_custom_object, GROUP, VERSION, ns, PLURAL, **kwargs):
                if event["type"] == "DELETED":
                    raise Gone("the Workflow was deleted")
                if event["type"] in ("ADDED", "MODIFIED"):
                    yield event["object"]
        except Exception as exc:
            from kubernetes.client.exceptions import ApiException
            if isinstance(exc, ApiException):
                from ...kube.client import api_error
                if exc.status == 410:   # resource version too old: re-list
                    return
                raise api_error(exc, "argo", "watch the Workflow", ns) from None
            raise

    def _merge_patch(self, ns, name, patch, what):
        return self._call(what, ns, self.crd.patch_namespaced_custom_object, GROUP, VERSION, ns, PLURAL, name, patch)

    def _update(self, ns, name, fn, what):
        """GET, change, PUT with the fetched resourceVersion; retried on a conflict (409)."""
        from kubernetes.client.exceptions import ApiException
        from ...kube.client import api_error
        for _ in range(5):
            wf = self.get(ns, name)
            new = fn(wf)
            try:
                return self.crd.replace_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, name, new)
            except ApiException as exc:
                if exc.status != 409:
                    raise api_error(exc, "argo", what, ns) from None
        raise JupyterFlowError(f"backend 'argo': {what}: the Workflow kept changing (409 conflicts)")

    def suspend(self, ns, name):
        self._merge_patch(ns, name, {"spec": {"suspend": True}}, "suspend the Workflow")

    def resume(self, ns, name, node):
        from . import resume_object
        self._update(ns, name, lambda wf: resume_object(wf, node), "resume the Workflow")

    def shutdown(self, ns, name, strategy, message):
        self._merge_patch(ns, name, {"spec": {"shutdown": strategy}}, f"{strategy.lower()} the Workflow")

    def set_node(self, ns, name, node, parameters, message, phase=None):
        from . import set_node_object
        self._update(ns, name, lambda wf: set_node_object(wf, node, parameters, message, phase), "set node values")

    def retry(self, ns, name):
        from . import retry_object
        pods: list[str] = []

        def change(wf):
            new, drop = retry_object(wf)
            pods[:] = [pod_name(name, wf["status"]["nodes"][nid]) for nid in drop]
            return new
        self._update(ns, name, change, "retry the Workflow")
        from kubernetes.client.exceptions import ApiException
        for pod in pods:
            try:
                self.core.delete_namespaced_pod(pod, ns)
            except ApiException as exc:
                if exc.status != 404:
                    raise

    def delete(self, ns, name):
        from kubernetes.client.exceptions import ApiException
        try:
            self.crd.delete_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, name)
        except ApiException as exc:
            if exc.status != 404:
                from ...kube.client import api_error
                raise api_error(exc, "argo", "delete the Workflow", ns) from None

    def pod_log(self, ns, wf_name, node, follow):
        resp = self._call("read the pod log", ns, self.core.read_namespaced_pod_log, pod_name(wf_name, node), ns,
                          container="main", follow=follow, _preload_content=False)
        try:
            for chunk in resp.stream(4096):
                yield chunk
        finally:
            resp.release_conn()


class ServerTransport(Transport):
    """The Argo Server's REST API (``argo.server`` URL and ``argo.token`` bearer token)."""

    def __init__(self, settings: dict):
        self.base = settings["server"].rstrip("/")
        token = settings.get("token") or ""
        if token and not token.lower().startswith("bearer "):
            token = "Bearer " + token
        self.headers = {"Authorization": token} if token else {}
        self.context = None
        if settings.get("insecureSkipVerify"):
            self.context = ssl.create_default_context()
            self.context.check_hostname = False
            self.context.verify_mode = ssl.CERT_NONE
        self.poll = float(settings.get("pollInterval", 0.5))

    def _req(self, method: str, path: str, body: dict | None = None, what: str = "", ns: str = "",
             stream: bool = False):
        data = json.dumps(body).encode() if body is not None else None
        headers = dict(self.headers, **({"Content-Type": "application/json"} if data is not None else {}))
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            resp = urllib.request.urlopen(req, timeout=WATCH_TIMEOUT, context=self.context)
        except urllib.error.HTTPError as exc:
            text = exc.read().decode("utf-8", "replace")
            try:
                reason = json.loads(text).get("message", text)
            except ValueError:
                reason = text
            if exc.code == 404 and method == "GET":
                raise Gone(reason) from None
            if exc.code == 403:
                raise JupyterFlowError(f"backend 'argo': {what}: forbidden (403) in namespace {ns!r}: {reason}; "
                                       "the token's service account needs RBAC for workflows there") from None
            if exc.code == 401:
                raise JupyterFlowError(f"backend 'argo': {what}: unauthorized (401): set a valid argo.token "
                                       "(argo auth token)") from None
            raise JupyterFlowError(f"backend 'argo': {what}: {exc.code} {reason}") from None
        except urllib.error.URLError as exc:
            raise JupyterFlowError(f"backend 'argo': {what}: cannot reach the Argo Server at {self.base}: "
                                   f"{exc.reason}") from None
        if stream:
            return resp
        with resp:
            raw = resp.read()
        return json.loads(raw) if raw else {}

    def _wf(self, ns, name, suffix=""):
        return f"/api/v1/workflows/{urllib.parse.quote(ns)}/{urllib.parse.quote(name)}{suffix}"

    def create(self, ns, wf):
        return self._req("POST", f"/api/v1/workflows/{urllib.parse.quote(ns)}", {"namespace": ns, "workflow": wf},
                         "create the Workflow", ns)

    def get(self, ns, name):
        return self._req("GET", self._wf(ns, name), what="get the Workflow", ns=ns)

    def watch(self, ns, name, resource_version):
        last = None
        for _ in range(int(WATCH_TIMEOUT / self.poll)):
            obj = self.get(ns, name)
            rv = (obj.get("metadata") or {}).get("resourceVersion")
            if rv != last:
                last = rv
                yield obj
            time.sleep(self.poll)

    def suspend(self, ns, name):
        self._req("PUT", self._wf(ns, name, "/suspend"), {"namespace": ns, "name": name}, "suspend", ns)

    def resume(self, ns, name, node):
        body = {"namespace": ns, "name": name}
        if node:
            body["nodeFieldSelector"] = f"displayName={node}"
        self._req("PUT", self._wf(ns, name, "/resume"), body, "resume", ns)

    def shutdown(self, ns, name, strategy, message):
        verb = "stop" if strategy == "Stop" else "terminate"
        body = {"namespace": ns, "name": name, **({"message": message} if message and verb == "stop" else {})}
        self._req("PUT", self._wf(ns, name, f"/{verb}"), body, verb, ns)

    def set_node(self, ns, name, node, parameters, message, phase=None):
        body = {"namespace": ns, "name": name, "nodeFieldSelector": f"displayName={node}",
                "outputParameters": json.dumps(parameters), **({"message": message} if message else {}),
                **({"phase": phase} if phase else {})}
        self._req("PUT", self._wf(ns, name, "/set"), body, "set node values", ns)

    def retry(self, ns, name):
        self._req("PUT", self._wf(ns, name, "/retry"), {"namespace": ns, "name": name}, "retry", ns)

    def delete(self, ns, name):
        try:
            self._req("DELETE", self._wf(ns, name), what="delete the Workflow", ns=ns)
        except Gone:
            pass

    def pod_log(self, ns, wf_name, node, follow):
        query = urllib.parse.urlencode({"podName": pod_name(wf_name, node), "logOptions.container": "main",
                                        "logOptions.follow": "true" if follow else "false"})
        resp = self._req("GET", self._wf(ns, wf_name, f"/log?{query}"), what="read the pod log", ns=ns, stream=True)
        with resp:
            for line in resp:   # a stream of {"result": {"content": ..., "podName": ...}}
                line = line.strip()
                if not line:
                    continue
                try:
                    content = json.loads(line).get("result", {}).get("content", "")
                except ValueError:
                    continue
                yield (content + "\n").encode()
