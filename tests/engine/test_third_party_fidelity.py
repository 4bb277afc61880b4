"""Divergences found by running Argo workflows written outside this repository (issue 17).

Each test is a small self-written workflow reproducing one pattern seen in third-party YAML
(tutorial repositories, Hera-generated files, CI pipelines), checked against what Argo does.
Real workflows, real processes.
"""
from __future__ import annotations

import textwrap

import yaml

from tests.engine.workflows import by_name, run


def load(text: str) -> dict:
    return yaml.safe_load(textwrap.dedent(text))


def test_yaml_bool_and_number_parameter_values_are_argo_strings():
    """Argo's AnyString turns YAML ``true``/``3``/``0.5`` into "true"/"3"/"0.5" wherever a
    parameter value is written: workflow arguments, suspend outputs' defaults and values."""
    r = run(load("""
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {generateName: types-}
        spec:
          entrypoint: main
          arguments:
            parameters:
            - {name: flag, value: true}
            - {name: nope, value: false}
            - {name: n, value: 3}
            - {name: ratio, value: 0.5}
          templates:
          - name: main
            steps:
            - - name: show
                template: show
            - - name: wait
                template: wait
          - name: show
            container:
              image: alpine:3.23
              command: [sh, -c]
              args: ["echo {{workflow.parameters.flag}} {{workflow.parameters.nope}} {{workflow.parameters.n}} {{workflow.parameters.ratio}}"]
          - name: wait
            suspend: {duration: "0"}
            outputs:
              parameters:
              - name: approved
                valueFrom: {default: false, supplied: {}}
              - name: fixed
                value: true
        """))
    assert r.phase == "Succeeded", r.to_dict()["status"].get("message")
    nodes = by_name(r)
    assert nodes["show"]["outputs"]["result"] == "true false 3 0.5"
    outs = {p["name"]: p["value"] for p in nodes["wait"]["outputs"]["parameters"]}
    assert outs == {"approved": "false", "fixed": "true"}


def test_parameters_given_at_submit_are_compact_json_like_argo_cli(tmp_path):
    """``argo submit -f params.yaml`` sends a list or map as the YAML's compact JSON
    (util.ReadParametersFile): ``[1,"a"]``, ``{"k":2}``, ``true``, ``1.5``."""
    from jupyter_flow.cli.args import parse_params
    pfile = tmp_path / "params.yaml"
    pfile.write_text('lst: [1, "a"]\nobj: {k: 2}\nflag: true\nn: 1.50\nnone: null\ns: text\n')
    assert parse_params([], [str(pfile)]) == {"lst": '[1,"a"]', "obj": '{"k":2}', "flag": "true",
                                              "n": "1.5", "none": "null", "s": "text"}
    r = run(load("""
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {generateName: given-}
        spec:
          entrypoint: show
          arguments:
            parameters:
            - {name: lst, value: x}
            - {name: obj, value: x}
          templates:
          - name: show
            container:
              image: alpine:3.23
              command: [echo, "{{workflow.parameters.lst}} {{workflow.parameters.obj}}"]
        """), parameters={"lst": [1, "a"], "obj": {"k": 2}})
    assert r.phase == "Succeeded"
    assert r.node(r.name)["outputs"]["result"] == '[1,"a"] {"k":2}'


def test_downward_api_env_has_local_answers():
    """``env[].valueFrom.fieldRef``/``resourceFieldRef`` (POD_NAME, POD_NAMESPACE, NODE_NAME, a
    memory limit) take the values the step's Pod would have instead of erroring the step; a field
    with no local counterpart (metadata.uid) still errors naming the step."""
    r = run(load("""
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {generateName: downward-, namespace: team-a}
        spec:
          entrypoint: main
          serviceAccountName: runner
          podMetadata: {labels: {app: demo}}
          templates:
          - name: main
            steps:
            - - {name: show, template: show}
          - name: show
            metadata: {annotations: {owner: me}}
            container:
              image: alpine:3.23
              resources: {limits: {memory: 64Mi, cpu: 500m}}
              env:
              - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
              - {name: NS, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
              - {name: APP, valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}}
              - {name: OWNER, valueFrom: {fieldRef: {fieldPath: "metadata.annotations['owner']"}}}
              - {name: SA, valueFrom: {fieldRef: {fieldPath: spec.serviceAccountName}}}
              - {name: IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
              - {name: MEM, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}}
              - {name: CPU, valueFrom: {resourceFieldRef: {containerName: main, resource: limits.cpu}}}
              - {name: MCPU, valueFrom: {resourceFieldRef: {resource: requests.cpu, divisor: 1m}}}
              command: [sh, -c]
              args: ["echo $POD_NAME={{pod.name}} $NS $APP $OWNER $SA $IP $MEM $CPU $MCPU"]
        """))
    assert r.phase == "Succeeded", r.to_dict()["status"].get("message")
    pod, rest = by_name(r)["show"]["outputs"]["result"].split(" ", 1)
    name, same = pod.split("=")
    assert name == same and name.startswith(r.name + "-show-")
    assert rest == "team-a demo me runner 127.0.0.1 64 1 500"

    r = run(load("""
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {generateName: downward-uid-}
        spec:
          entrypoint: main
          templates:
          - name: main
            container:
              image: alpine:3.23
              env: [{name: UID, valueFrom: {fieldRef: {fieldPath: metadata.uid}}}]
              command: [sh, -c, "echo $UID"]
        """))
    assert r.phase == "Error"
    assert "env UID comes from fieldRef" in r.node(r.name)["message"]


INIT = """
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {generateName: init-}
    spec:
      entrypoint: main
      volumes:
      - {name: scratch, emptyDir: {}}
      templates:
      - name: main
        initContainers:
        - name: fetch
          image: alpine:3.23
          command: [sh, -c, "echo fetched > /work/a.txt"]
          mirrorVolumeMounts: true
        - name: second
          image: alpine:3.23
          command: [sh, -c, "echo second > /elsewhere/b.txt; exit CODE"]
          volumeMounts: [{name: scratch, mountPath: /elsewhere}]
        container:
          image: alpine:3.23
          volumeMounts: [{name: scratch, mountPath: /work}]
          command: [sh, -c, "cat /work/a.txt /work/b.txt"]
    """


def test_init_containers_run_before_main_sharing_the_pods_empty_dir():
    """A template's initContainers run in order before main, and an emptyDir is one directory
    for the whole Pod (here mounted at different paths, and with mirrorVolumeMounts)."""
    r = run(load(INIT.replace("CODE", "0")))
    assert r.phase == "Succeeded", r.to_dict()["status"].get("message")
    assert r.node(r.name)["outputs"]["result"] == "fetched\nsecond"


def test_a_failing_init_container_fails_the_step_before_main_starts():
    r = run(load(INIT.replace("CODE", "3")))
    assert r.phase == "Failed"
    node = r.node(r.name)
    assert node["message"] == "second: Error (exit code 3)"   # operator.go inferFailedReason
    assert "outputs" not in node or "result" not in (node.get("outputs") or {})


def test_a_sidecar_with_mirror_volume_mounts_shares_mains_empty_dir():
    r = run(load("""
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {generateName: mirror-}
        spec:
          entrypoint: main
          volumes:
          - {name: scratch, emptyDir: {}}
          templates:
          - name: main
            sidecars:
            - name: writer
              image: alpine:3.23
              command: [sh, -c, "echo from-sidecar > /work/s.txt.part && mv /work/s.txt.part /work/s.txt; sleep 30"]
              mirrorVolumeMounts: true
            container:
              image: alpine:3.23
              volumeMounts: [{name: scratch, mountPath: /work}]
              command: [sh, -c, "for i in $(seq 200); do [ -f /work/s.txt ] && break; sleep 0.1; done; cat /work/s.txt"]
        """))
    assert r.phase == "Succeeded", r.to_dict()["status"].get("message")
    assert r.node(r.name)["outputs"]["result"] == "from-sidecar"


GO_NULLS = """
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata:
      generateName: nulls-
      creationTimestamp: null
      labels: null
    spec:
      entrypoint: main
      arguments:
        parameters: null
      templates:
      - name: main
        container: null
        inputs: {}
        metadata: {}
        script:
          image: alpine:3.23
          command: [sh]
          source: echo ran
          resources: {limits: null}
    status:
      startedAt: null
      finishedAt: null
    """


def test_nulls_written_by_go_tools_read_as_absent():
    """YAML serialised by Go (KFP's compiler, kubectl -o yaml) writes unset fields as null; Go's
    decoder leaves them at their zero value, so lint is clean and the workflow runs."""
    import jupyter_flow
    assert jupyter_flow.lint(textwrap.dedent(GO_NULLS)) == []
    r = run(load(GO_NULLS))
    assert r.phase == "Succeeded", r.to_dict()["status"].get("message")
    assert r.node(r.name)["outputs"]["result"] == "ran"


def test_submit_refuses_a_workflow_argument_without_value_as_argo_submit_does():
    """``argo lint`` allows ``spec.arguments.parameters: [{name: p}]`` (a value comes at submit);
    ``argo submit`` refuses it unless -p gives one (validate.go validateArgumentsValues)."""
    import jupyter_flow
    import pytest
    from jupyter_flow.errors import SpecError
    text = textwrap.dedent("""\
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {generateName: noval-}
        spec:
          entrypoint: show
          arguments:
            parameters:
            - {name: greeting, value: hi}
            - name: who
          templates:
          - name: show
            inputs: {parameters: [{name: greeting}, {name: who}]}
            container: {image: alpine:3.23, command: [echo, "{{inputs.parameters.greeting}} {{inputs.parameters.who}}"]}
        """)
    assert jupyter_flow.lint(text) == []
    with pytest.raises(SpecError) as err:
        jupyter_flow.submit(text)
    assert "spec.arguments.who.value or spec.arguments.who.valueFrom is required" in str(err.value)
    assert ":9:" in str(err.value)   # the line of the argument
    r = run(load(text), parameters={"who": "you"})
    assert r.phase == "Succeeded" and r.node(r.name)["outputs"]["result"] == "hi you"


def test_item_json_is_go_json_utf8_and_html_escaped():
    """``{{item}}`` of a map is Go's json.Marshal text: non-ASCII as UTF-8 (not \\u00e9) and
    < > & escaped as \\u003c \\u003e \\u0026; ``{{item.key}}`` is the raw string."""
    r = run(load("""
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {generateName: items-}
        spec:
          entrypoint: main
          templates:
          - name: main
            steps:
            - - name: each
                template: show
                withItems:
                - {city: "Zürich", note: "a & <b>"}
                arguments:
                  parameters:
                  - {name: whole, value: "{{item}}"}
                  - {name: city, value: "{{item.city}}"}
          - name: show
            inputs: {parameters: [{name: whole}, {name: city}]}
            container:
              image: alpine:3.23
              command: [printf, "%s|%s", "{{inputs.parameters.whole}}", "{{inputs.parameters.city}}"]
        """))
    assert r.phase == "Succeeded", r.to_dict()["status"].get("message")
    out = [n for n in r.nodes.values() if n.get("type") == "Pod"][0]["outputs"]["result"]
    assert out == '{"city":"Zürich","note":"a \\u0026 \\u003cb\\u003e"}|Zürich'
