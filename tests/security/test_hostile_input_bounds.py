"""Hostile documents and expressions end in a clear error or at bounded cost, never a hang/OOM.

Each case runs in a fresh interpreter capped at 2 GB of address space and a wall-clock
budget, and must print a project error (or a bounded result): a hang fails on the timeout,
a runaway allocation on the memory cap.
"""
from __future__ import annotations

import json
import textwrap

import pytest

from .conftest import run_bounded

PRELUDE = textwrap.dedent("""
    import json, sys, time
    from jupyter_flow import spec, expr
    from jupyter_flow.errors import JupyterFlowError, SpecError, ExprError
    def report(fn, *a):
        t = time.monotonic()
        try:
            r = fn(*a)
            out = {"ok": True, "summary": str(r)[:80]}
        except JupyterFlowError as e:
            out = {"ok": False, "type": type(e).__name__, "message": str(e)[:300]}
            if isinstance(e, SpecError):
                out["line"] = e.errors[0].line
        out["seconds"] = round(time.monotonic() - t, 2)
        print("RESULT " + json.dumps(out))
""")


def bounded(code: str, timeout: float = 60) -> dict:
    proc = run_bounded(PRELUDE + textwrap.dedent(code), timeout=timeout)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, f"exit {proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return json.loads(lines[-1][len("RESULT "):])


def test_billion_laughs_alias_bomb_is_refused():
    res = bounded("""
        lol = "a: &a [x,x,x,x,x,x,x,x,x]\\n" + "".join(
            f"{chr(98+i)}: &{chr(98+i)} [" + ",".join([f"*{chr(97+i)}"] * 9) + "]\\n" for i in range(9))
        report(spec.load, "kind: Workflow\\n" + lol)
    """, timeout=60)
    assert not res["ok"] and "alias bomb" in res["message"] and res["line"] > 0


@pytest.mark.parametrize("shape", ["flow", "block", "json"])
def test_deeply_nested_documents_are_refused_with_a_position(shape):
    res = bounded(f"""
        shape = {shape!r}
        if shape == "flow":
            text = "kind: Workflow\\nx: " + "[" * 200000 + "]" * 200000
        elif shape == "block":
            text = "kind: Workflow\\nspec:\\n" + "".join(" " * (i + 1) + f"k{{i}}:\\n" for i in range(5000))
        else:
            text = "{{" + '"a":{{' * 200000 + "}}" * 200001
        report(spec.load, text)
    """, timeout=60)
    assert not res["ok"] and "nests deeper" in res["message"] and res["line"] > 0


def test_deeply_nested_dict_is_refused():
    res = bounded("""
        d = {}
        for _ in range(100000):
            d = {"a": d}
        report(spec.load, {"kind": "Workflow", "spec": d})
    """)
    assert not res["ok"] and "deep" in res["message"]


def test_fifty_megabyte_document_loads_at_bounded_cost():
    res = bounded("""
        big = ("kind: Workflow\\nmetadata: {name: x}\\nspec:\\n  entrypoint: m\\n  templates:\\n  - name: m\\n"
               "    container: {image: a, command: [echo], args: ['" + "x" * (50 * 1024 * 1024) + "']}\\n")
        report(lambda t: [spec.validate(d) for d in spec.load(t)], big)
    """, timeout=120)
    assert res["ok"] and res["seconds"] < 60


def test_fifty_megabyte_file_of_many_keys_hits_the_node_limit(tmp_path):
    path = tmp_path / "big.yaml"
    with open(path, "w") as f:
        f.write("kind: Workflow\n")
        line = "".join(f"k{i}: v\n" for i in range(1000))
        while f.tell() < 49 * 1024 * 1024:
            f.write(line.replace("k", f"k{f.tell()}_"))
    res = bounded(f"report(spec.load, {str(path)!r})", timeout=180)
    assert not res["ok"] and "more than" in res["message"] and "nodes" in res["message"]


def test_oversized_file_is_refused_without_reading(tmp_path):
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as f:
        f.truncate(51 * 1024 * 1024)
    res = bounded(f"report(spec.load, {str(path)!r})", timeout=30)
    assert not res["ok"] and "too large" in res["message"]


@pytest.mark.parametrize("expression,needle", [
    ("map(1..100000, {map(1..100000, {#})})", "memory budget exceeded"),
    ("reduce(1..1000000, #acc + 'aaaaaaaaaa', '')", "memory budget exceeded"),
    ("len(1..100000000)", "range too large"),
    ("toJson(1..5000000)", "memory budget exceeded"),
    ("sprig.indent(1000000000, 'a')", "string too long"),
    ("sprig.nindent(1000000000, 'a\\nb')", "string too long"),
])
def test_expensive_expressions_end_in_an_expr_error(expression, needle):
    res = bounded(f"report(expr.evaluate, {expression!r}, {{}})", timeout=60)
    assert not res["ok"] and res["type"] == "ExprError" and needle in res["message"], res
    assert res["seconds"] < 20


def test_ordinary_regexes_still_work():
    from jupyter_flow import expr
    assert expr.evaluate("'a.b.c' matches '^[a-z]+(\\\\.[a-z]+)*$'", {}) is True
    assert expr.evaluate("sprig.regexMatch('^(ab)+c$', 'ababc')", {}) is True
    assert expr.when("'foo-bar' =~ '^[a-z]+(-[a-z]+)*$'") is True


@pytest.mark.parametrize("loop", [
    {"withSequence": {"count": "1000000000"}},
    {"withSequence": {"start": "0", "end": "999999999"}},
    "withParam",
])
def test_huge_loops_fail_with_a_clear_error(loop):
    res = bounded(f"""
        from jupyter_flow.engine.loops import expand
        loop = {loop!r}
        if loop == "withParam":
            loop = {{"withParam": json.dumps(list(range(200_001)))}}
        step = dict({{"name": "s", "template": "t"}}, **loop)
        report(expand, step, {{}})
    """, timeout=60)
    assert not res["ok"] and "the limit is 100000" in res["message"], res
    assert res["seconds"] < 10


def test_hundred_thousand_item_loop_expands_at_bounded_cost():
    res = bounded("""
        from jupyter_flow.engine.loops import expand
        step = {"name": "s", "template": "t", "withSequence": {"count": "100000"},
                "arguments": {"parameters": [{"name": "x", "value": "{{item}}"}]}}
        report(lambda: len(expand(step, {})))
    """, timeout=120)
    assert res["ok"] and res["summary"] == "100000"


def test_loop_of_huge_count_fails_the_node_not_the_engine(store):
    """In a real run: the step fails with the loop error; the run ends, the engine survives."""
    import jupyter_flow
    run = jupyter_flow.submit({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "huge-"},
        "spec": {"entrypoint": "main", "templates": [
            {"name": "main", "steps": [[{"name": "many", "template": "echo", "withSequence": {"count": "1000000000"}}]]},
            {"name": "echo", "container": {"image": "busybox", "command": ["true"]}}]}}, store=store)
    assert run.wait(60) == "Failed"   # Argo: a step group whose loop cannot expand errors; the steps node fails
    messages = " ".join(n.get("message", "") for n in run.nodes.values())
    assert "the limit is 100000" in messages
