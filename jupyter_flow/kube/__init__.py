"""The Kubernetes client code the ``kubernetes`` executor and the ``argo`` backend both stand on.

* :mod:`.client`: the official ``kubernetes`` client configured from kubeconfig or in-cluster,
  the namespace to use, and clear messages for API errors (a 403 names the RBAC to grant).
* :mod:`.resource`: ``resource`` templates against the API: one discovery request per
  group/version, plain REST calls for create/apply/delete/patch/get, Argo's success/failure
  conditions and ``jsonPath``/``jqFilter`` outputs.

Nothing here imports ``kubernetes`` at import time (it is an optional dependency, imported when
a run uses a cluster), and nothing here imports the engine, the executors or the backends.
"""
