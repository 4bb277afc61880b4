"""Pieces of the ``kubernetes`` backend (the executor is :mod:`jupyter_flow.executors.kubernetes`).

* :mod:`.pods` builds the Pod for a step (and every Pod a workflow could create, for dry runs and
  schema validation) and reads output parameters back from the termination message.
* :mod:`.resource` runs ``resource`` templates against the API: one discovery request per
  group/version, plain REST calls for create/apply/delete/patch/get, Argo's success/failure
  conditions and ``jsonPath``/``jqFilter`` outputs.
"""
