"""Lint of daemon steps: ``.ip`` only of a daemon (validate.go), probes the local engine cannot run."""
from __future__ import annotations

import subprocess
import sys

from .test_lint import _lint, _wf

STEPS = """
- name: main
  steps:
  - - name: server
      template: %s
  - - name: client
      template: client
      arguments:
        parameters: [{name: url, value: "http://{{steps.server.ip}}:80/"}]
- name: server
  daemon: true
  container:
    image: nginx
    readinessProbe: {httpGet: {path: /, port: 80}}
- name: plain
  container: {image: alpine, command: [sleep, "1"]}
- name: client
  inputs: {parameters: [{name: url}]}
  container: {image: alpine, command: [wget, "{{inputs.parameters.url}}"]}
"""


def test_ip_of_a_daemon_step_is_clean():
    assert _lint(_wf(STEPS % "server")) == []


def test_ip_of_a_step_that_is_no_daemon_is_refused_at_its_line():
    assert _lint(_wf(STEPS % "plain")) == [
        "wf.yaml:15:36: spec.templates[0].steps[1][0].arguments.parameters[0].value: failed to resolve "
        "{{steps.server.ip}}: only a daemon step has an ip (its template sets no `daemon: true`)"]


def test_dag_task_ip_and_grpc_probe_warning():
    text = _wf("""
        - name: main
          dag:
            tasks:
            - {name: db, template: db}
            - {name: job, template: job, depends: db, arguments: {parameters: [{name: host, value: "{{tasks.job2.ip}}"}]}}
            - {name: job2, template: job, depends: db, arguments: {parameters: [{name: host, value: "{{tasks.db.ip}}"}]}}
        - name: db
          daemon: true
          container:
            image: redis
            readinessProbe: {grpc: {port: 6379}}
        - name: job
          inputs: {parameters: [{name: host}]}
          container: {image: alpine, command: [echo, "{{inputs.parameters.host}}"]}
        """)
    out = _lint(text)
    assert len(out) == 3, out
    assert "failed to resolve {{tasks.job2.ip}}" in out[0] and "tasks[1]" in out[0]
    # job does not depend on job2 either (validate.go validateDAGTaskArgumentDependency, lint_refs)
    assert "missing dependency 'job2' for parameter 'host'" in out[1] and "tasks[1]" in out[1]
    assert "grpc readinessProbe runs only on a cluster" in out[2]


def test_cli_lint_reports_it(tmp_path):
    path = tmp_path / "wf.yaml"
    path.write_text(_wf(STEPS % "plain"))
    proc = subprocess.run([sys.executable, "-m", "jupyter_flow.cli", "lint", str(path)], capture_output=True,
                          text=True)
    assert proc.returncode == 1
    assert "failed to resolve {{steps.server.ip}}" in proc.stdout + proc.stderr
