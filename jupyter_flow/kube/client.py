"""The official ``kubernetes`` client, configured from kubeconfig or in-cluster (imported lazily)."""
from __future__ import annotations

import json
import os

from ..errors import JupyterFlowError


def kubeconfig_path(settings: dict) -> str:
    path = settings.get("kubeconfig") or os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")
    return os.path.expanduser(str(path).split(os.pathsep)[0])


def api_client(settings: dict, backend: str):
    """An ``ApiClient`` from ``settings`` (kubeconfig, context) or the pod's service account."""
    try:
        import kubernetes  # noqa: F401
        from kubernetes import client, config
    except ImportError:
        raise JupyterFlowError(f"backend {backend!r} needs the kubernetes client: "
                               "pip install 'jupyter-flow[kubernetes]'") from None
    path = kubeconfig_path(settings)
    if os.path.exists(path):
        try:
            return config.new_client_from_config(config_file=path, context=settings.get("context"))
        except config.ConfigException as exc:
            raise JupyterFlowError(f"backend {backend!r}: kubeconfig {path} is not usable: {exc}; fix it or "
                                   f"set {backend}.kubeconfig / {backend}.context in config.yaml") from None
    if os.environ.get("KUBERNETES_SERVICE_HOST"):
        conf = client.Configuration()
        config.load_incluster_config(client_configuration=conf)
        return client.ApiClient(conf)
    raise JupyterFlowError(
        f"backend {backend!r}: no Kubernetes configuration found (no kubeconfig at {path}, KUBECONFIG unset, "
        f"not running in a cluster); set KUBECONFIG or {backend}.kubeconfig in $JUPYTER_FLOW_HOME/config.yaml"
        + (", or argo.server and argo.token for an Argo Server" if backend == "argo" else "")
        + ", or run with --backend local")


def namespace(settings: dict, workflow: dict | None = None) -> str:
    ns = settings.get("namespace")
    if not ns and workflow and (workflow.get("metadata") or {}).get("namespace") not in (None, "", "default"):
        ns = workflow["metadata"]["namespace"]
    if not ns:
        try:
            from kubernetes import config
            _, ctx = config.list_kube_config_contexts(config_file=kubeconfig_path(settings))
            ns = (ctx.get("context") or {}).get("namespace")
        except Exception:
            ns = None
    return ns or "default"


def api_error(exc, backend: str, what: str, namespace: str) -> JupyterFlowError:
    """A clear message for an ApiException: 403 names the RBAC to grant."""
    status = getattr(exc, "status", None)
    reason = ""
    try:
        reason = json.loads(exc.body or "{}").get("message", "")
    except (ValueError, TypeError):
        reason = str(getattr(exc, "reason", "") or "")
    if status == 403:
        return JupyterFlowError(f"backend {backend!r}: {what}: forbidden (403) in namespace {namespace!r}: {reason}; "
                                "grant your user or service account RBAC for it in that namespace "
                                f"(kubectl create rolebinding ...) or set {backend}.namespace in config.yaml")
    if status == 401:
        return JupyterFlowError(f"backend {backend!r}: {what}: unauthorized (401): {reason}; refresh the "
                                "credentials in your kubeconfig (or the token)")
    if status == 404:
        return JupyterFlowError(f"backend {backend!r}: {what}: not found (404): {reason}; is the Argo Workflows "
                                "CRD installed in this cluster?" if "Workflow" in what else
                                f"backend {backend!r}: {what}: not found (404): {reason}")
    return JupyterFlowError(f"backend {backend!r}: {what}: {status or ''} {reason or exc}".strip())
