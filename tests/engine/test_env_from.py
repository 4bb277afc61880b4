"""``envFrom`` and ``env[].valueFrom`` Secret/ConfigMap references off-cluster: one rule for both.

Values come from ``$JUPYTER_FLOW_HOME/values.yaml`` when it holds them (with ``prefix`` and
``optional`` as the kubelet applies them); otherwise the node errors saying it needs a cluster
or a local value. Real workflows, real processes.
"""
from __future__ import annotations

import json

from tests.engine.workflows import by_name, run, wf

PRINT = "import json, os; print(json.dumps({k: v for k, v in os.environ.items() if k.startswith('JF_')}))"


def step(env=None, env_from=None, name="main"):
    c = {"image": "python:3.12", "command": ["python3", "-c", PRINT]}
    if env is not None:
        c["env"] = env
    if env_from is not None:
        c["envFrom"] = env_from
    return {"name": name, "container": c}


VALUES = """\
secrets:
  db:
    JF_USER: admin
    JF_PASS: s3cr3t
    not a name: skipped
configMaps:
  settings:
    JF_MODE: fast
    JF_USER: from-config
    LEVEL: 3
    ENABLED: true
"""


def printed(r, node):
    return json.loads(node["outputs"]["result"])


def test_env_from_and_value_from_read_the_values_file(flow_home):
    (flow_home / "values.yaml").write_text(VALUES)
    r = run(wf([step(
        env_from=[{"configMapRef": {"name": "settings"}},
                  {"secretRef": {"name": "db"}},                           # later source wins: JF_USER=admin
                  {"configMapRef": {"name": "settings"}, "prefix": "JF_CM_"},
                  {"secretRef": {"name": "absent", "optional": True}}],    # optional and absent: nothing
        env=[{"name": "JF_MODE", "value": "slow"},                        # env overrides envFrom
             {"name": "JF_URL", "value": "db://$(JF_USER):$(JF_PASS)@$(JF_CM_LEVEL)"},
             {"name": "JF_KEY", "valueFrom": {"secretKeyRef": {"name": "db", "key": "JF_PASS"}}},
             {"name": "JF_CM", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "JF_MODE"}}},
             {"name": "JF_OPT", "valueFrom": {"secretKeyRef": {"name": "db", "key": "nope", "optional": True}}},
             {"name": "JF_OPT2", "valueFrom": {"configMapKeyRef": {"name": "gone", "key": "k", "optional": True}}}])]))
    assert r.phase == "Succeeded", r.to_dict()["status"].get("message")
    env = printed(r, r.node(r.name))
    assert env == {"JF_MODE": "slow", "JF_USER": "admin", "JF_PASS": "s3cr3t", "JF_CM_JF_MODE": "fast",
                   "JF_CM_JF_USER": "from-config", "JF_CM_LEVEL": "3", "JF_CM_ENABLED": "true",
                   "JF_URL": "db://admin:s3cr3t@3", "JF_KEY": "s3cr3t", "JF_CM": "fast"}


def test_without_a_local_value_env_from_and_value_from_fail_alike(flow_home):
    doc = wf([{"name": "main", "dag": {"failFast": False, "tasks": [
        {"name": "from-secret", "template": "from-secret"}, {"name": "from-cm", "template": "from-cm"},
        {"name": "key-ref", "template": "key-ref"}, {"name": "missing-key", "template": "missing-key"}]}},
        step(name="from-secret", env_from=[{"secretRef": {"name": "db"}}]),
        step(name="from-cm", env_from=[{"configMapRef": {"name": "settings"}, "prefix": "X_"}]),
        step(name="key-ref", env=[{"name": "JF_P", "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}}}]),
        step(name="missing-key", env=[{"name": "JF_P", "valueFrom": {"configMapKeyRef": {"name": "present",
                                                                                          "key": "nope"}}}])])
    (flow_home / "values.yaml").write_text("configMaps:\n  present: {other: 1}\n")
    r = run(doc)
    nodes = by_name(r)
    assert r.phase == "Error" or r.phase == "Failed"
    values = str(flow_home / "values.yaml")
    for name, what in [("from-secret", "secretRef db"), ("from-cm", "configMapRef settings"),
                       ("key-ref", "secretKeyRef db/pw"), ("missing-key", "configMapKeyRef present/nope")]:
        node = nodes[name]
        assert node["phase"] == "Error", node
        assert what in node["message"] and "needs a cluster or a local value" in node["message"], node["message"]
        assert values in node["message"]
        assert "outputs" not in node or "result" not in (node.get("outputs") or {})   # never started
    assert "has no key 'nope' in ConfigMap 'present'" in nodes["missing-key"]["message"]


def test_a_broken_values_file_is_named(flow_home):
    (flow_home / "values.yaml").write_text("secrets: [1, 2]\n")
    r = run(wf([step(env_from=[{"secretRef": {"name": "db"}}])]))
    node = r.node(r.name)
    assert node["phase"] == "Error"
    assert str(flow_home / "values.yaml") in node["message"] and "secrets" in node["message"]


def test_a_step_without_cluster_references_never_reads_the_values_file(flow_home):
    (flow_home / "values.yaml").write_text(": not yaml [")
    r = run(wf([step(env=[{"name": "JF_A", "value": "1"}])]))
    assert r.phase == "Succeeded"
    assert printed(r, r.node(r.name)) == {"JF_A": "1"}


# ---- parameters from a ConfigMap: the same values file (common.ProcessArgs, setGlobalParameters) ----

CM_PRINT = {"image": "busybox", "command": ["echo"], "args": ["{{inputs.parameters.message}}"]}


def cm_param(**vf):
    return {"name": "message", "valueFrom": {"configMapKeyRef": {"name": "simple-parameters", "key": "msg"}, **vf}}


def test_input_and_global_parameters_from_a_config_map_read_the_values_file(flow_home):
    (flow_home / "values.yaml").write_text("configMaps:\n  simple-parameters: {msg: hello from the values file}\n")
    # arguments-parameters-from-configmap.yaml
    r = run(wf([{"name": "main", "inputs": {"parameters": [cm_param()]}, "container": CM_PRINT}]))
    assert r.phase == "Succeeded", r.to_dict()["status"].get("message")
    assert r.node(r.name)["outputs"]["result"] == "hello from the values file"
    # global-parameters-from-configmap-referenced-as-local-variable.yaml: a global parameter,
    # passed on as the entrypoint's argument, and seen as {{workflow.parameters.message}}
    doc = wf([{"name": "main", "inputs": {"parameters": [{"name": "message"}]},
               "container": dict(CM_PRINT, args=["{{inputs.parameters.message}}/{{workflow.parameters.message}}"])}],
             arguments={"parameters": [cm_param()]})
    r = run(doc)
    assert r.phase == "Succeeded", r.to_dict()["status"].get("message")
    assert r.node(r.name)["outputs"]["result"] == "hello from the values file/hello from the values file"


def test_parameters_from_a_missing_config_map_take_the_default_or_error(flow_home):
    r = run(wf([{"name": "main", "inputs": {"parameters": [cm_param(default="fallback")]}, "container": CM_PRINT}]))
    assert r.phase == "Succeeded" and r.node(r.name)["outputs"]["result"] == "fallback"
    r = run(wf([{"name": "main", "inputs": {"parameters": [cm_param()]}, "container": CM_PRINT}]))
    message = r.node(r.name)["message"]
    assert r.phase == "Error" and message.startswith(
        "unable to retrieve inputs.parameters.message from ConfigMap: ConfigMap 'simple-parameters' does not exist")
    assert str(flow_home / "values.yaml") in message
    r = run(wf([{"name": "main", "container": {"image": "busybox", "command": ["true"]}}],
               arguments={"parameters": [cm_param()]}))
    assert r.phase == "Error" and not r.nodes
    assert r.to_dict()["status"]["message"].startswith(
        "failed to set global parameter message from configmap with name simple-parameters and key msg: "
        "ConfigMap 'simple-parameters' does not exist")
