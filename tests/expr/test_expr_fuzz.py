"""Property tests: arbitrary input only ever raises ExprError (never another exception)."""
from __future__ import annotations

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


def _only_expr_error(fn, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
    try:
        fn(*args, **kwargs)
    except ExprError as e:
        assert isinstance(str(e), str)


@FAST
@given(TEXT)
def test_expr_lang_only_raises_expr_error(src: str) -> None:
    _only_expr_error(check, src)
    _only_expr_error(evaluate, src, ENV)


@FAST
@given(TEXT)
def test_when_only_raises_expr_error(src: str) -> None:
    _only_expr_error(check_when, src)
    _only_expr_error(when, src)


@FAST
@given(TEXT)
def test_depends_only_raises_expr_error(src: str) -> None:
    results = {"a": {"Succeeded": True}, "b": {"Failed": True}}
    _only_expr_error(depends_tasks, src)
    _only_expr_error(depends, src, results)


@FAST
@given(TEXT)
def test_substitute_only_raises_expr_error(src: str) -> None:
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
