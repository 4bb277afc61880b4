"""The local executor seen from a run: what a step that cannot start looks like to the user."""
from __future__ import annotations

import jupyter_flow

MISSING = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: missing-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: nope, template: nope}
  - name: nope
    container: {image: alpine:3.7, command: [jf-no-such-command-xyz, --flag]}
"""


def test_missing_command_fails_the_node_like_argo_and_names_the_fix(flow_home):
    # On Argo the container cannot start ("executable file not found") and the pod is Failed,
    # not Error: retryStrategy OnFailure / failFast / hooks depend on that difference.
    run = jupyter_flow.submit(MISSING, wait=True, timeout=30)
    assert run.phase == "Failed"
    node = next(n for n in run.nodes.values() if n["displayName"] == "nope")
    assert node["phase"] == "Failed"
    msg = node["message"]
    assert "'nope'" in msg and "jf-no-such-command-xyz" in msg and "not found" in msg
    assert "--backend container" in msg
