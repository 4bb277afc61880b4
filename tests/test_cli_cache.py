"""``jupyter-flow submit --cache/--continue`` and ``jupyter-flow cache list|clear|explain`` as a
user runs them (real engine processes; steps count their runs in a file outside /tmp)."""
from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml

from tests.test_cli import cli, get_json, nodes_by_display

WF = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {{generateName: cc-}}
spec:
  entrypoint: main
  arguments: {{parameters: [{{name: lr, value: "0.1"}}]}}
  templates:
  - name: main
    dag:
      tasks:
      - {{name: prep, template: prep}}
      - name: train
        template: train
        depends: prep
        arguments: {{parameters: [{{name: lr, value: "{{{{workflow.parameters.lr}}}}"}}]}}
  - name: prep
    script: {{image: python, command: [sh], source: "echo run >> {marks}/prep\\necho prepared"}}
  - name: train
    inputs: {{parameters: [{{name: lr}}]}}
    script:
      image: python
      command: [sh]
      source: "echo run >> {marks}/train\\ntest -e {marks}/ok || exit 2\\necho lr={{{{inputs.parameters.lr}}}}"
"""


@pytest.fixture
def marks():
    path = Path(tempfile.mkdtemp(dir="/var/tmp", prefix="jf-marks-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _count(marks, step):
    p = marks / step
    return len(p.read_text().splitlines()) if p.exists() else 0


def _file(tmp_path, marks):
    f = tmp_path / "wf.yaml"
    f.write_text(WF.format(marks=marks))
    return str(f)


def test_submit_cache_hits_show_in_the_tree_and_cache_commands(tmp_path, marks):
    (marks / "ok").touch()
    f = _file(tmp_path, marks)
    cli("submit", f, "--cache", "--wait", "-o", "name")
    out = cli("submit", f, "--cache", "--wait").stdout
    assert _count(marks, "prep") == _count(marks, "train") == 1
    assert re.search(r"↺ prep\s+prep\s+\S+\s+\S+\s+\(cached\)", out), out
    name = cli("submit", f, "--cache", "-p", "lr=0.01", "--wait", "-o", "name").stdout.strip()
    assert _count(marks, "prep") == 1 and _count(marks, "train") == 2
    nodes = nodes_by_display(get_json(name))
    assert nodes["prep"]["memoizationStatus"]["cacheName"] == "jupyter-flow"
    assert "memoizationStatus" not in nodes["train"]
    why = cli("cache", "explain", name, "train").stdout
    assert "input `lr` 0.1 → 0.01" in why and "source" not in why
    assert "cache hit" in cli("cache", "explain", name, "prep").stdout
    listed = cli("cache", "list").stdout.splitlines()
    assert listed[0].split() == ["KEY", "TEMPLATE", "RUN", "NODE", "AGE"] and len(listed) == 4   # prep, 2 x train
    listed_json = json.loads(cli("cache", "list", "-o", "json").stdout)
    assert len(listed_json) == 3 and {e["ident"] for e in listed_json} == {"cc/prep", "cc/train"}
    assert "cleared 3 cached steps" in cli("cache", "clear").stdout
    assert len(cli("cache", "list").stdout.splitlines()) == 1
    cli("submit", f, "--cache", "--wait", "-o", "name")
    assert _count(marks, "prep") == 2   # the cleared cache misses


def test_submit_continue_after_fixing_a_failed_step(tmp_path, marks):
    f = _file(tmp_path, marks)
    failed = cli("submit", f, "--wait", "-o", "name", check=False).stdout.strip()
    assert get_json(failed)["status"]["phase"] == "Failed"
    (marks / "ok").touch()
    fixed = cli("submit", f, "--continue", failed, "--wait", "-o", "name").stdout.strip()
    assert get_json(fixed)["status"]["phase"] == "Succeeded"
    assert _count(marks, "prep") == 1 and _count(marks, "train") == 2
    why = cli("cache", "explain", fixed, "train").stdout
    assert "same key, not reused: it failed there" in why


def test_continue_from_an_unknown_run_is_refused(tmp_path, marks):
    proc = cli("submit", _file(tmp_path, marks), "--continue", "no-such-run", check=False)
    assert proc.returncode == 1 and "no-such-run" in proc.stderr and "not found" in proc.stderr
    proc = cli("submit", _file(tmp_path, marks), "--continue", "../x", check=False)
    assert proc.returncode == 1 and "metadata.name" in proc.stderr
    assert cli("list", "-o", "name").stdout.strip() == ""


def test_cache_explain_errors(tmp_path, marks):
    assert cli("cache", "explain", "nope", "x", check=False).returncode == 1
    assert cli("cache", "explain", "only-one", check=False).returncode == 1


def test_argo_dry_run_turns_cache_into_memoize(tmp_path, marks):
    out = cli("submit", _file(tmp_path, marks), "--cache", "--backend", "argo", "--dry-run", "-o", "yaml").stdout
    wf = yaml.safe_load(out)
    tmpls = {t["name"]: t for t in wf["spec"]["templates"]}
    assert "memoize" not in tmpls["main"]          # a dag is not a step
    prep, train = tmpls["prep"]["memoize"], tmpls["train"]["memoize"]
    assert prep["cache"] == {"configMap": {"name": "jupyter-flow-cache"}} and prep["maxAge"]
    assert re.fullmatch(r"jf1-[0-9a-f]{32}", prep["key"])    # Argo's ^[a-zA-Z0-9][-a-zA-Z0-9]*$
    assert train["key"].endswith("-{{=sprig.sha256sum(toJson(inputs.parameters))}}")
    # the key Argo computes from it is a valid ConfigMap cache key
    from jupyter_flow import expr
    final = expr.substitute(train["key"], {"inputs.parameters.lr": "0.1; rm -rf /"})
    assert re.fullmatch(r"[a-zA-Z0-9][-a-zA-Z0-9]*", final) and len(final) <= 253
    plain = yaml.safe_load(cli("submit", _file(tmp_path, marks), "--backend", "argo", "--dry-run",
                               "-o", "yaml").stdout)
    assert not any("memoize" in t for t in plain["spec"]["templates"])


def test_argo_keeps_a_templates_own_memoize_and_opt_out(tmp_path, marks):
    doc = yaml.safe_load(WF.format(marks=marks))
    doc["spec"]["templates"][1]["memoize"] = {"key": "mine", "maxAge": "1h", "cache": {"configMap": {"name": "c"}}}
    doc["spec"]["templates"][2]["metadata"] = {"annotations": {"jupyter-flow.io/cache": "false"}}
    f = tmp_path / "m.yaml"
    f.write_text(yaml.safe_dump(doc))
    wf = yaml.safe_load(cli("submit", str(f), "--cache", "--backend", "argo", "--dry-run", "-o", "yaml").stdout)
    tmpls = {t["name"]: t for t in wf["spec"]["templates"]}
    assert tmpls["prep"]["memoize"]["key"] == "mine" and "memoize" not in tmpls["train"]
    proc = cli("submit", str(f), "--continue", "x", "--backend", "argo", "--dry-run", check=False)
    assert proc.returncode == 1


def test_explain_escapes_a_hostile_parameter_value(tmp_path, marks):
    (marks / "ok").touch()
    f = _file(tmp_path, marks)
    cli("submit", f, "--wait", "-o", "name")
    # the value breaks the step's script (it fails): explain still tells why it ran
    name = cli("submit", f, "-p", "lr=\x1b[2Jx\nfake line", "--wait", "-o", "name", check=False).stdout.strip()
    out = cli("cache", "explain", name, "train").stdout
    assert "\x1b" not in out and "\nfake line" not in out
    assert "input `lr` 0.1 → " in out
