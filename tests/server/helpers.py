"""Workflow documents shared by the server tests."""
from __future__ import annotations

import time

HELLO = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: hello-
spec:
  entrypoint: main
  templates:
  - name: main
    container:
      image: busybox
      command: [echo]
      args: ["hello world"]
"""

PARAM = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: param-
spec:
  entrypoint: main
  arguments:
    parameters: [{name: who, value: nobody}]
  templates:
  - name: main
    inputs:
      parameters: [{name: who}]
    container:
      image: busybox
      command: [echo]
      args: ["hi {{inputs.parameters.who}}"]
"""

FAIL = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: fail-
spec:
  entrypoint: main
  templates:
  - name: main
    container:
      image: busybox
      command: [sh, -c]
      args: ["echo failing; exit 3"]
"""

SLEEP = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: sleepy-
spec:
  entrypoint: main
  templates:
  - name: main
    container:
      image: busybox
      command: [sh, -c]
      args: ["echo started; sleep 60"]
"""

APPROVE = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: approve-
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: approve
        template: gate
    - - name: after
        template: say
  - name: gate
    suspend: {}
  - name: say
    container:
      image: busybox
      command: [echo]
      args: ["approved"]
"""

XSS = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: xss-
spec:
  entrypoint: main
  templates:
  - name: main
    container:
      image: busybox
      command: [sh, -c]
      args: ["echo '<img src=x onerror=\\"window.__jfPwned=1\\">'; echo '<script>window.__jfPwned=2</script>'"]
"""

ARTIFACT = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: art-
spec:
  entrypoint: main
  templates:
  - name: main
    container:
      image: busybox
      command: [sh, -c]
      args: ["echo artifact-body > /tmp/out.txt"]
    outputs:
      artifacts:
      - name: out
        path: /tmp/out.txt
        archive: {none: {}}
"""

# `contaner` is a typo: an unknown field on line 11, column 5
TYPO = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: typo-
spec:
  entrypoint: main
  templates:
  - name: main
    container:
      image: busybox
    contaner:
      command: [echo]
"""


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.05):
    """Poll ``predicate`` until it returns a truthy value; fail the test on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {predicate}")
        time.sleep(interval)
