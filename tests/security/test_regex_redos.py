"""Hostile regular expressions run in linear time (RE2, as Argo's Go ``regexp``) with Argo's answer.

Python's ``re`` backtracks: ``^(a|a)*$`` against 30 characters took 70 s and ``^(a?){40}a{40}$``
hours, holding the GIL (a CronWorkflow ``when`` using one stalled the whole Jupyter server). Each
hostile case runs in a fresh interpreter with a wall-clock cap, so the old engine fails on the cap
(or on its refusal of nested repetition) instead of hanging the suite.
"""
from __future__ import annotations

import json
import textwrap

import pytest

from .conftest import run_bounded

A30 = "a" * 30 + "!"
A40 = "a" * 40

# (surface, expression, Argo's answer); every one is exponential for a backtracking engine
HOSTILE = [
    ("when", f"'{A30}' =~ '^(a|a)*$'", False),
    ("when", f"'{A40}' =~ '^(a?){{40}}a{{40}}$'", True),
    ("when", f"'{A30}' !~ '(a+)+$'", True),
    ("expr", f"'{A30}' matches '^(a|a)*$'", False),
    ("expr", f"'{A40}' matches '^(a?){{40}}a{{40}}$'", True),
    ("expr", f"'{A30}' not matches '(\\\\w+\\\\s?)+$'", True),
    ("expr", f"sprig.regexMatch('^(a|a)*$', '{A30}')", False),
    ("expr", f"sprig.mustRegexMatch('^(a?){{40}}a{{40}}$', '{A40}')", True),
    ("expr", f"sprig.regexFind('(a|a)*!', '{A30}')", A30),
    ("expr", f"sprig.regexFindAll('(a|aa)+$', '{A30}', -1)", []),
    ("expr", f"sprig.regexReplaceAll('^(a|a)*$', '{A30}', 'x')", A30),
    ("expr", f"sprig.regexReplaceAllLiteral('(a?){{30}}a{{30}}', '{A30}', '$1')", "$1!"),
    ("expr", f"sprig.regexSplit('(a|a)*!', '{A30}', -1)", ["", ""]),
    ("expr", f"sprig.mustRegexSplit('(a|a)*$', 'b{A30}', -1)", ["b" + A30]),   # one empty match at the end
    ("expr", f"jsonpath('[{{\"n\": \"{A30}\"}}]', '$[?(@.n =~ \"^(a|a)*$\")]')", []),
    ("grep", f"{A30}\n^(a|a)*$", False),
]

PROBE = textwrap.dedent("""
    import json, sys, time
    from jupyter_flow import expr
    from jupyter_flow.cli.args import parse_regex
    cases = json.loads(sys.argv[1])
    for surface, text, _ in cases:
        t = time.monotonic()
        try:
            if surface == "when":
                value = expr.when(text)
            elif surface == "grep":
                line, pattern = text.split("\\n")
                value = parse_regex(pattern).search(line)
            else:
                value = expr.evaluate(text, {})
            out = {"ok": True, "value": value}
        except Exception as e:  # noqa: BLE001 - reported to the test
            out = {"ok": False, "error": f"{type(e).__name__}: {e}"[:300]}
        out["ms"] = round((time.monotonic() - t) * 1000, 1)
        print("RESULT " + json.dumps(out), flush=True)
""")


def _probe(cases: list, timeout: float = 30) -> list[dict]:
    import sys
    code = PROBE.replace("sys.argv[1]", repr(json.dumps(cases)))
    proc = run_bounded(code, timeout=timeout, memory_mb=1024)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return [json.loads(ln[len("RESULT "):]) for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]


@pytest.mark.parametrize("surface,text,answer", HOSTILE, ids=[f"{c[0]}-{i}" for i, c in enumerate(HOSTILE)])
def test_hostile_regex_finishes_in_milliseconds_with_argos_answer(surface, text, answer):
    (res,) = _probe([[surface, text, answer]])
    assert res["ok"], res
    assert res["value"] == answer, res
    assert res["ms"] < 500, res   # RE2 takes well under a millisecond; the old engine minutes


# Go's regexp (RE2 syntax and semantics) where Python's re answers differently
GO_SEMANTICS = [
    ("'é' =~ '^\\\\w$'", False),                          # \w is ASCII
    ("'x1' =~ '^\\\\D\\\\d\\\\z'", True),                 # \z exists
    ("'ab' =~ '(?i)^AB$'", True),
]

GO_EXPR = [
    ("sprig.regexFindAll('a*', 'baaab', -1)", ["", "aaa", ""]),    # no empty match right after a match
    ("sprig.regexFindAll('a.', 'paranormal', 2)", ["ar", "an"]),
    ("sprig.regexReplaceAll('a*', 'baaab', 'X')", "XbXbX"),
    ("sprig.regexReplaceAll('a(x*)b', '-ab-axxb-', '$1W')", "---"),  # $1W is the group named 1W
    ("sprig.regexReplaceAll('a(x*)b', '-ab-axxb-', '${1}W')", "-W-xxW-"),
    ("sprig.regexReplaceAll('a(?P<x>x*)b', '-axb-', '[$x|$$|$2|$]')", "-[x|$||$]-"),
    ("sprig.regexReplaceAllLiteral('a(x*)b', '-axb-', '${1}')", "-${1}-"),
    ("sprig.regexSplit('a*', 'abaabaccadaaae', 5)", ["", "b", "b", "c", "cadaaae"]),
    ("sprig.regexSplit('z+', 'pizza', -1)", ["pi", "a"]),
    ("sprig.regexSplit('z+', 'pizza', 0)", []),
    ("sprig.regexSplit('', '', -1)", []),
    ("sprig.regexSplit('x', '', -1)", [""]),
    ("sprig.regexFind('é+', 'aééb')", "éé"),
    ("sprig.regexQuoteMeta('a.b*c[d]-e')", "a\\.b\\*c\\[d\\]-e"),
    ("sprig.regexMatch('(', 'a')", False),            # sprig drops the compile error
    ("sprig.regexMatch('(?=a)', 'a')", False),
]


@pytest.mark.parametrize("text,answer", GO_SEMANTICS)
def test_when_regexes_follow_go_semantics(text, answer):
    from jupyter_flow import expr
    assert expr.when(text) is answer


def test_dollar_is_the_end_of_the_text():
    """Go's ``$`` (no ``m`` flag) matches only at the very end; Python's also before a final newline."""
    from jupyter_flow import expr
    assert expr.evaluate("s matches 'c$'", {"s": "abc\n"}) is False
    assert expr.evaluate("s matches '(?m)c$'", {"s": "abc\n"}) is True
    assert expr.evaluate("sprig.regexFindAll('[a-z]$', s, -1)", {"s": "ab\ncd\n"}) == []


@pytest.mark.parametrize("text,answer", GO_EXPR)
def test_sprig_regex_functions_follow_go_semantics(text, answer):
    from jupyter_flow import expr
    assert expr.evaluate(text, {}) == answer


@pytest.mark.parametrize("pattern,message", [
    ("(", "error parsing regexp: missing closing ): `(`"),
    ("\\\\Z", "error parsing regexp: invalid escape sequence: `\\Z`"),
    ("(?=a)", "error parsing regexp: invalid or unsupported Perl syntax: `(?=`"),
    ("(?<!a)b", "error parsing regexp: invalid"),
    ("(a)\\\\1", "error parsing regexp: invalid escape sequence: `\\1`"),
    ("a**", "error parsing regexp: invalid nested repetition operator: `**`"),
    ("x{1001}", "error parsing regexp: invalid repeat count: `{1001}`"),
])
def test_patterns_go_refuses_are_errors_with_gos_message(pattern, message):
    from jupyter_flow import expr
    from jupyter_flow.errors import ExprError
    with pytest.raises(ExprError, match="Unable to compile regexp pattern") as when_err:
        expr.when(f"'a' =~ '{pattern}'")
    assert message in str(when_err.value)
    with pytest.raises(ExprError) as matches_err:
        expr.evaluate(f"'a' matches '{pattern}'", {})
    assert message in str(matches_err.value)
    with pytest.raises(ExprError) as must_err:
        expr.evaluate(f"sprig.mustRegexFind('{pattern}', 'a')", {})
    assert message in str(must_err.value)
    with pytest.raises(ExprError) as find_err:   # regexp.MustCompile's panic, as expr-lang reports it
        expr.evaluate(f"sprig.regexFind('{pattern}', 'a')", {})
    assert "regexp: Compile(`" in str(find_err.value) and message in str(find_err.value)


def test_logs_grep_uses_go_syntax():
    import argparse

    from jupyter_flow.cli.args import parse_regex
    assert not parse_regex("c$").search("abc\n")
    with pytest.raises(argparse.ArgumentTypeError, match="invalid or unsupported Perl syntax"):
        parse_regex("(?=x)")


# -- the server's scheduler: a CronWorkflow's `when` never stalls the event loop -----------------------

def _cron_doc(name: str, when: str) -> dict:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "CronWorkflow", "metadata": {"name": name},
            "spec": {"schedules": ["* * * * *"], "when": when, "workflowSpec": {"entrypoint": "main", "templates": [
                {"name": "main", "container": {"image": "busybox", "command": ["true"]}}]}}}


def _serve_round_under_a_loop(store, name: str, done) -> float:
    """Start the scheduler thread as the server extension does (``Scheduler.start_thread``) while an
    asyncio loop runs a coroutine that wakes every 10 ms; return the longest gap between wake-ups
    until ``done(status)`` holds. The clock makes the second round find a due time."""
    import asyncio
    import time

    from jupyter_flow import cron

    t0 = 1_796_000_010.0
    calls = []

    def clock() -> float:
        calls.append(1)
        return t0 if len(calls) == 1 else t0 + 60

    sched = cron.Scheduler(store, clock=clock)

    async def watch() -> float:
        stop = sched.start_thread()
        gaps, last = [], time.monotonic()
        deadline = last + 90
        try:
            for i in range(1_000_000):
                await asyncio.sleep(0.01)
                now = time.monotonic()
                gaps.append(now - last)
                last = now
                if i % 10 == 0 and done(cron.get(name, store).get("status") or {}):
                    return max(gaps)
                assert now < deadline, "the round never finished"
        finally:
            stop.set()
        return max(gaps)

    return asyncio.run(watch())


def test_cron_when_with_a_hostile_regex_does_not_stall_the_server_loop(store):
    from jupyter_flow import api, cron
    hostile = "'" + "a" * 26 + "!' !~ '^(a|a)*$'"      # a backtracking engine holds the GIL for seconds
    cron.create(_cron_doc("redos", hostile), store)
    gap = _serve_round_under_a_loop(store, "redos", lambda st: st.get("lastScheduledTime"))
    assert gap < 1.0, f"the event loop stalled for {gap:.2f} s"
    status = cron.get("redos", store)["status"]
    assert status["lastScheduledTime"] and not status.get("conditions")   # `when` held: Argo's answer
    assert api.get(status["active"][0], store=store).wait(60) == "Succeeded"


def test_cron_when_over_its_time_budget_is_stopped_and_recorded(store, monkeypatch):
    from jupyter_flow import cron
    monkeypatch.setenv("JUPYTER_FLOW_CRON_EXPR_SECONDS", "0.5")
    cron.create(_cron_doc("slow", "{{= reduce(1..400000, #acc + #) > 0 }}"), store)   # seconds of Python
    gap = _serve_round_under_a_loop(store, "slow", lambda st: st.get("conditions"))
    assert gap < 1.0, f"the event loop stalled for {gap:.2f} s"
    status = cron.get("slow", store)["status"]
    message = status["conditions"][0]["message"]
    assert status["conditions"][0]["type"] == "SubmissionError"
    assert "spec.when: the expression took longer than 0.5 s" in message and "JUPYTER_FLOW_CRON_EXPR_SECONDS" in message
    assert not status.get("lastScheduledTime")
