"""Property tests over arbitrary input: only ExprError is ever raised, and it says where (the
expression it was given, a position inside it); evaluation is deterministic, leaves its
environment as it was, agrees with ``check`` on what does not parse, and JSON round-trips."""
from __future__ import annotations

import copy
import json
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_flow.errors import ExprError
from jupyter_flow.expr import (check, check_when, depends, depends_tasks, evaluate, substitute,
                               when)

ENV = {"a": 1, "b": "x", "xs": [1, 2.5, "s", None], "m": {"k": [1]}, "n": None}
SCOPE = {"a": "1", "b.c": "x", "item": '{"k":1}', "item.k": "1", "nil": None}
ALPHABET = list("abxmkn#.?:!=<>&|+-*/%^()[]{},;'\"`\\ 0123456789_$@~\n") + [
    "in ", "not ", "and ", "or ", "nil", "true", "matches ", "contains ", "{{", "}}", "{{=", "..",
    "??", "?.", "**", "filter(", "map(", "len(", "asInt(", "sprig.", "jsonpath(", "#acc", "let ",
    "fromJSON(", "toJSON(", "xs", "m.k", "Succeeded", ".Failed", "&&", "||"]
SOUP = st.lists(st.sampled_from(ALPHABET), max_size=40).map("".join)
TEXT = st.one_of(st.text(max_size=60), SOUP)
FAST = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _only_expr_error(fn, *args, **kwargs) -> ExprError | None:  # type: ignore[no-untyped-def]
    """Call ``fn``; any error must be an ExprError with a reason, naming the text it was given."""
    try:
        fn(*args, **kwargs)
    except ExprError as e:
        assert e.reason and str(e).startswith(e.reason), (e.reason, str(e))
        return e
    return None


def _located(e: ExprError | None, src: str, *, position: bool = True) -> None:
    """The error names ``src`` itself and, for the expr-lang parser and ``depends``, a position in it."""
    if e is None:
        return
    assert e.expression == src, (e.expression, src)
    if position:
        assert e.position is not None and 0 <= e.position <= len(src), (e.position, src)
        assert f" at offset {e.position}" in str(e)


@FAST
@given(TEXT)
def test_expr_lang_errors_are_located_and_evaluation_is_deterministic(src: str) -> None:
    parse = _only_expr_error(check, src)
    _located(parse, src)
    env = copy.deepcopy(ENV)
    first, second = _outcome(src, env), _outcome(src, env)
    assert first == second                          # the same text, the same answer (or error)
    assert env == ENV                                # evaluation never changes its environment
    if parse is not None:                            # what does not parse does not evaluate either
        assert first == ("error", str(parse))


def _outcome(src: str, env: dict) -> tuple:
    e = _only_expr_error(evaluate, src, env)
    if e is not None:
        assert e.expression == src
        assert e.position is None or 0 <= e.position <= len(src), (e.position, src)
        return ("error", str(e))
    return ("value", repr(evaluate(src, env)))


@FAST
@given(TEXT)
def test_when_errors_name_the_condition(src: str) -> None:
    e = _only_expr_error(check_when, src)
    _located(e, src, position=False)                 # govaluate's messages carry no offset
    e2 = _only_expr_error(when, src)
    _located(e2, src, position=False)
    if e is not None:
        assert e2 is not None                        # a condition that does not check does not run


@FAST
@given(TEXT)
def test_depends_errors_are_located(src: str) -> None:
    results = {"a": {"Succeeded": True}, "b": {"Failed": True}}
    e = _only_expr_error(depends_tasks, src)
    _located(e, src)
    _located(_only_expr_error(depends, src, results), src)
    if e is None:
        assert all(name in src for name in depends_tasks(src))


@FAST
@given(TEXT)
def test_substitute_only_raises_expr_error(src: str) -> None:
    if "{{" not in src:
        assert substitute(src, SCOPE) == src                  # nothing to substitute: unchanged
    _only_expr_error(substitute, src, SCOPE)
    _only_expr_error(substitute, src, SCOPE, missing="error")
    _only_expr_error(substitute, "{{=" + src + "}}", SCOPE)


@FAST
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=3), c, max_size=3),
                    max_leaves=10),
       st.sampled_from(["toJSON(v)", "toJson(v)", "string(v)", "v + v", "v == v", "len(v)", "v[0]",
                        "sort(v)", "max(v)", "v?.a", "sprig.toString(v)", "sprig.empty(v)", "keys(v)",
                        "v in v", "v < v", "-v", "!v", "int(v)", "float(v)", "v ?? 1", "v[1:]"]))
def test_builtins_on_arbitrary_values(value: object, src: str) -> None:
    _only_expr_error(evaluate, src, {"v": value})
    _only_expr_error(substitute, "{{=" + src + "}}", {"v": value}, missing="error")


JSON = st.recursive(st.none() | st.booleans() | st.integers(-2**53, 2**53)
                    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=4), c, max_size=3),
                    max_leaves=12)


@FAST
@given(JSON)
def test_json_values_round_trip(value: object) -> None:
    """``fromJSON(toJSON(v))`` is ``v``, and ``{{=toJSON(v)}}`` is JSON that Python reads back as ``v``."""
    assert _same(evaluate("fromJSON(toJSON(v))", {"v": value}), value)
    assert _same(json.loads(substitute("{{=toJSON(v)}}", {"v": value}, missing="error")), value)


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and math.isclose(a, b, rel_tol=1e-15) \
            and not isinstance(a, bool) and not isinstance(b, bool)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b
