"""Memory budgets: hostile workflows and expressions end in a clear error at bounded RSS.

Each case runs the real engine (or the expression evaluator) in a fresh interpreter with an
address-space cap and a wall-clock cap, and reports the error and the process's peak RSS
(``ru_maxrss``). Without budgets these grew the engine past 2.5 GB in under a minute
(``sprig.repeat`` built a 4 GB string), so the old engine fails on the caps. The run-level budgets
are lowered by their environment variables to keep each test short; their defaults are measured by
``benchmarks/hostile.py``.
"""
from __future__ import annotations

import json
import textwrap

import pytest

from .conftest import run_bounded

RSS_MB = 500

PRELUDE = textwrap.dedent("""
    import json, resource, sys, time
    from jupyter_flow.errors import JupyterFlowError
    def report(out):
        out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        print("RESULT " + json.dumps(out), flush=True)
""")

RUN = PRELUDE + textwrap.dedent("""
    import jupyter_flow
    wf = json.loads(sys.argv[1]) if len(sys.argv) > 1 else WF
    t = time.monotonic()
    run = jupyter_flow.submit(wf, wait=True)
    status = run.to_dict()["status"]
    report({"phase": run.phase, "message": status.get("message") or "", "nodes": len(run.nodes),
            "node_messages": sorted({n.get("message", "")[:300] for n in run.nodes.values()
                              if n.get("message") and not n["message"].startswith("child '")})[:5],
            "seconds": round(time.monotonic() - t, 1)})
""")

EXPR = PRELUDE + textwrap.dedent("""
    from jupyter_flow import expr
    t = time.monotonic()
    try:
        value = expr.evaluate(TEXT, {})
        out = {"ok": True, "summary": str(value)[:80]}
    except JupyterFlowError as e:
        out = {"ok": False, "type": type(e).__name__, "message": str(e)[:400]}
    out["seconds"] = round(time.monotonic() - t, 2)
    report(out)
""")


def _result(proc) -> dict:
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, f"exit {proc.returncode}\n{proc.stdout[-1500:]}\n{proc.stderr[-3000:]}"
    return json.loads(lines[-1][len("RESULT "):])


def run_workflow(wf: dict, tmp_path, *, env: dict | None = None, timeout: float = 240) -> dict:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    code = RUN.replace("WF\n", repr(wf) + "\n")
    return _result(run_bounded(code, timeout=timeout, memory_mb=2048,
                               env=dict({"JUPYTER_FLOW_HOME": str(home)}, **(env or {}))))


def evaluate(text: str, timeout: float = 60) -> dict:
    return _result(run_bounded(EXPR.replace("TEXT", repr(text)), timeout=timeout, memory_mb=1024))


def _wf(name: str, entry: str, templates: list[dict]) -> dict:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": name + "-"},
            "spec": {"entrypoint": entry, "templates": templates}}


TRUE = {"name": "t", "container": {"image": "busybox", "command": ["true"]}}


# -- bytes of one expression / substitution result --------------------------------------------------

@pytest.mark.parametrize("text", [
    "len(sprig.repeat(1000000, sprig.repeat(4000, 'a')))",               # the issue's 4 GB string
    "len(sprig.replace('a', sprig.repeat(100000, 'b'), sprig.repeat(100000, 'a')))",
    "len(sprig.join(',', map(1..100000, {sprig.repeat(100000, 'x')})))",
    "len(join(map(1..100000, {repeat('x', 100000)}), ','))",
    "len(sprig.cat(sprig.repeat(1000000, 'ab'), sprig.repeat(1000000, 'ab'), sprig.repeat(1000000, 'ab'), "
    "sprig.repeat(1000000, 'ab'), sprig.repeat(1000000, 'ab'), sprig.repeat(1000000, 'ab'), sprig.repeat(1000000, 'ab'), "
    "sprig.repeat(1000000, 'ab'), sprig.repeat(1000000, 'ab')))",
    "len(toJson(map(1..100000, {sprig.repeat(1000000, 'x')})))",
    "len(sprig.toJson(map(1..2000, {sprig.repeat(1000000, 'x')})))",
    "len(map(1..2000, {sprig.repeat(1000000, 'x')}))",                     # many big strings at once
])
def test_string_bombs_end_in_an_expr_error_at_bounded_rss(text):
    res = evaluate(text)
    assert not res["ok"] and res["type"] == "ExprError", res
    assert "string too long" in res["message"] or "memory budget exceeded" in res["message"], res
    assert res["rss_mb"] < RSS_MB, res


def test_the_string_error_says_how_to_raise_the_limit():
    res = evaluate("len(sprig.repeat(1000000, sprig.repeat(4000, 'a')))")
    assert "the limit is 16777216" in res["message"] and "JUPYTER_FLOW_MAX_STRING_BYTES" in res["message"]
    assert "limits.maxStringBytes" in res["message"]


def test_a_value_doubled_at_every_recursion_level_fails_the_run(tmp_path):
    """``{{inputs.parameters.s}}{{inputs.parameters.s}}`` passed down 100 levels is 2^100 bytes."""
    wf = _wf("double", "d", [{
        "name": "d", "inputs": {"parameters": [{"name": "s"}]},
        "steps": [[{"name": "deeper", "template": "d", "arguments": {"parameters": [
            {"name": "s", "value": "{{inputs.parameters.s}}{{inputs.parameters.s}}"}]}}]]}])
    wf["spec"]["arguments"] = {"parameters": [{"name": "s", "value": "abcdefgh" * 64}]}
    res = run_workflow(wf, tmp_path)
    assert res["phase"] == "Failed", res   # the recursion is steps: each level fails around the errored one
    assert any("string too long" in m for m in res["node_messages"]), res
    assert res["rss_mb"] < RSS_MB, res


# -- nodes created and loop items expanded per run --------------------------------------------------

def test_a_template_calling_itself_twice_per_level_ends_at_the_node_budget(tmp_path):
    wf = _wf("fork", "f", [{"name": "f", "steps": [[{"name": "a", "template": "f"}, {"name": "b", "template": "f"}]]}])
    res = run_workflow(wf, tmp_path, env={"JUPYTER_FLOW_MAX_NODES": "3000"})
    assert res["phase"] == "Error", res
    message = res["message"]
    assert "more than 3000 nodes" in message and "template 'f'" in message, res
    assert "JUPYTER_FLOW_MAX_NODES" in message and "limits.maxNodes" in message, res
    assert res["nodes"] <= 3000 and res["rss_mb"] < RSS_MB, res


def test_nested_loops_end_at_the_loop_items_budget(tmp_path):
    """The issue's nested withSequence (inner steps skipped by `when`), at 3,000 × 3,000."""
    wf = _wf("nest", "outer", [
        {"name": "outer", "steps": [[{"name": "o", "template": "inner", "withSequence": {"count": "3000"}}]]},
        {"name": "inner", "steps": [[{"name": "i", "template": "t", "when": "false",
                                      "withSequence": {"count": "3000"}}]]},
        TRUE])
    res = run_workflow(wf, tmp_path, env={"JUPYTER_FLOW_MAX_LOOP_ITEMS_TOTAL": "8000"})
    assert res["phase"] == "Error", res
    message = res["message"]
    assert "more than 8000 items in all" in message and "step 'i' of template 'inner'" in message, res
    assert "JUPYTER_FLOW_MAX_LOOP_ITEMS_TOTAL" in message, res
    assert res["nodes"] < 20_000 and res["rss_mb"] < RSS_MB, res


def test_the_node_budget_is_read_from_config_yaml(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.yaml").write_text("limits: {maxNodes: 2500}\n")
    wf = _wf("wide", "m", [{"name": "m", "steps": [[{"name": "s", "template": "t", "when": "{{item}} < 0",
                                                     "withSequence": {"count": "4000"}}]]}, TRUE])
    res = run_workflow(wf, tmp_path)
    assert res["phase"] == "Error" and "more than 2500 nodes" in res["message"], res
    assert "limits.maxNodes" in res["message"] and res["nodes"] <= 2500, res


def test_a_bad_budget_in_config_yaml_is_a_clear_error(tmp_path, monkeypatch):
    from jupyter_flow import config
    from jupyter_flow.errors import JupyterFlowError
    monkeypatch.setenv("JUPYTER_FLOW_HOME", str(tmp_path))
    monkeypatch.delenv("JUPYTER_FLOW_MAX_NODES", raising=False)
    (tmp_path / "config.yaml").write_text("limits: {maxNodes: lots}\n")
    with pytest.raises(JupyterFlowError, match=r"limits.maxNodes in .*config.yaml: expected a positive integer"):
        config.limit("maxNodes", "JUPYTER_FLOW_MAX_NODES", 10)
    monkeypatch.setenv("JUPYTER_FLOW_MAX_NODES", "77")          # the environment wins over the file
    assert config.limit("maxNodes", "JUPYTER_FLOW_MAX_NODES", 10) == 77


def test_a_legitimate_large_loop_passes_under_the_default_budgets(tmp_path):
    """20,000 items skipped by `when` (20,002 nodes): well inside every default budget."""
    wf = _wf("wide", "m", [{"name": "m", "steps": [[{"name": "s", "template": "t", "when": "{{item}} < 0",
                                                     "withSequence": {"count": "20000"}}]]}, TRUE])
    res = run_workflow(wf, tmp_path, env={"JUPYTER_FLOW_MAX_NODES": "", "JUPYTER_FLOW_MAX_LOOP_ITEMS_TOTAL": "",
                                          "JUPYTER_FLOW_MAX_STRING_BYTES": ""})
    # 20,002 nodes, less any two names whose 32-bit FNV ids collide (Argo's node ids do the same)
    assert res["phase"] == "Succeeded" and 19_990 <= res["nodes"] <= 20_002, res
    assert res["rss_mb"] < RSS_MB, res
