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


QUIET_AND_LOUD = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: logs-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: quiet, template: quiet}
      - {name: loud, template: loud}
  - name: quiet
    container: {image: busybox, command: ["true"]}
  - name: loud
    script:
      image: python:3.12
      command: [python]
      source: |
        import sys
        print("to stdout", flush=True)
        print("to stderr", file=sys.stderr, flush=True)
        sys.stderr.write("x" * 200000)
"""


def test_the_log_holds_both_streams_and_a_silent_step_has_an_empty_log(flow_home):
    # stderr reaches the log through the engine (the file is made on the first byte), so the
    # log must still hold both streams in order, all of a large stderr, and stdout stays the result
    run = jupyter_flow.submit(QUIET_AND_LOUD, wait=True, timeout=60)
    assert run.phase == "Succeeded"
    loud = run.logs("loud")
    assert loud.startswith("to stdout\nto stderr\n")
    assert loud.count("x") == 200000
    assert run.node("loud")["outputs"]["result"] == "to stdout"
    assert run.logs("quiet") == ""
    assert "quiet: " not in run.logs()
