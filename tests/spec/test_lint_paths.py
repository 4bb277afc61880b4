"""Lint of step paths (issue 16.3): ``..`` in a declared path is an error, a ``hostPath`` volume a
warning, each at its line; the upstream corpus stays clean of both."""
from __future__ import annotations

from jupyter_flow.spec import load, validate
from jupyter_flow.spec.lint import lint_document

from .conftest import dedent

WF = dedent("""
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata:
      generateName: t-
    spec:
      entrypoint: main
      volumes:
      - name: root
        hostPath: {path: /}
      templates:
      - name: main
        inputs:
          artifacts:
          - name: rc
            path: /../../../../home/u/.bashrc
            raw: {data: x}
        outputs:
          artifacts:
          - name: out
            path: /tmp/../../etc
          parameters:
          - name: p
            valueFrom: {path: /tmp/ok/../x}
        container:
          image: alpine
          workingDir: /work/..
          volumeMounts:
          - {name: root, mountPath: /host}
          - {name: root, mountPath: /h2, subPath: ../..}
        volumes:
        - name: up
          hostPath: {path: /data/../etc}
    """)


def _issues():
    [doc] = load(WF, filename="wf.yaml")
    return [(e.severity, str(e)) for e in sorted(lint_document(doc), key=lambda e: (e.line, e.column))]


def test_dotdot_paths_are_errors_and_hostpath_a_warning_each_at_its_line():
    issues = _issues()
    assert ("warning", "wf.yaml:9:5: spec.volumes[0].hostPath: hostPath volume 'root' binds the host's '/' into "
            "the step: the local backends refuse it unless allowHostPaths in config.yaml lists it") in issues
    text = "\n".join(s for _, s in issues)
    for where in ("wf.yaml:15:9: spec.templates[0].inputs.artifacts[0].path",
                  "wf.yaml:20:9: spec.templates[0].outputs.artifacts[0].path",
                  "wf.yaml:23:21: spec.templates[0].outputs.parameters[0].valueFrom.path",
                  "wf.yaml:26:7: spec.templates[0].container.workingDir",
                  "wf.yaml:29:38: spec.templates[0].container.volumeMounts[1].subPath",
                  "wf.yaml:32:18: spec.templates[0].volumes[0].hostPath.path"):
        assert where in text, (where, text)
    assert sum(1 for sev, _ in issues if sev == "error") == 6, issues
    assert "'..'" in text


def test_the_upstream_corpus_has_neither():
    from tests.upstream import EXAMPLES
    bad = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        for doc in load(path.read_text(), filename=path.name):
            bad += [str(e) for e in validate(doc) if "'..'" in e.message or "hostPath" in e.message]
    assert bad == []
