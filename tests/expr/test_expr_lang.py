"""expr-lang semantics (jupyter_flow.expr.evaluate / compile / check)."""
from __future__ import annotations

import pytest

from jupyter_flow.errors import ExprError
from jupyter_flow.expr import check, compile, evaluate

ENV = {
    "inputs": {"parameters": {"my-p": "v", "n": "7", "list": '["a","b"]'}},
    "steps": {"a-b": {"outputs": {"result": "heads"}}},
    "xs": [1, 2, 3, 4],
    "users": [{"Name": "Jo", "Age": 30}, {"Name": "Al", "Age": 20}],
    "m": {"k": 1, "nested": {"x": "y"}},
    "nothing": None,
}


@pytest.mark.parametrize("src, expected", [
    # literals
    ("42", 42), ("0x2A", 42), ("0b101010", 42), ("0o52", 42), ("1_000", 1000), ("0.5", 0.5), (".5", 0.5),
    ("1e3", 1000.0), ("'single'", "single"), ('"dou\\"ble"', 'dou"ble'), ("`raw\\n`", "raw\\n"),
    ('"\\u00e9\\n"', "é\n"), ("true", True), ("false", False), ("nil", None),
    ("[1, 'a', nil]", [1, "a", None]), ("[1, 2,]", [1, 2]), ("{a: 1, 'b': 2, \"c\": 3}", {"a": 1, "b": 2, "c": 3}),
    ("{(1 + 1): 'two'}", {"2": "two"}), ("{}", {}), ("[]", []),
    # arithmetic: int stays int, '/' and '**' give float
    ("1 + 2 * 3", 7), ("(1 + 2) * 3", 9), ("7 / 2", 3.5), ("6 / 3", 2.0), ("7 % 3", 1), ("-7 % 3", -1),
    ("2 ** 10", 1024.0), ("2 ^ 3 ^ 2", 512.0), ("-2 ** 2", -4.0), ("1 + 1.5", 2.5), ("10 - 20", -10),
    ("9223372036854775807 + 1", -9223372036854775808), ("1 / 0", float("inf")),
    ("'a' + 'b'", "ab"), ("+3", 3), ("--3", 3),
    # comparisons and logic
    ("1 == 1.0", True), ("'1' == 1", False), ("[1] == [1.0]", False), ("[1, 'a'] == [1, 'a']", True),
    ("{a: 1} == {a: 1}", True), ("nil == nil", True), ("nothing == nil", True), ("true == 1", False),
    ("1 < 2", True), ("'abc' < 'abd'", True), ("1 < 2 < 3", True), ("3 > 2 > 2", False), ("2 >= 2", True),
    ("true && false", False), ("true and true", True), ("false || true", True), ("false or false", False),
    ("!true", False), ("not false", True), ("!(1 > 2)", True), ("false && undefined.x", False),
    ("true || 1", True),
    # membership and strings
    ("'a' in ['a', 'b']", True), ("2 in [1.0, 2.0]", True), ("'k' in m", True), ("'z' in m", False),
    ("'a' not in ['a']", False), ("'abc' contains 'b'", True), ("'abc' not contains 'z'", True),
    ("'abc' startsWith 'ab'", True), ("'abc' endsWith 'bc'", True), ("'abc' matches '^a.c$'", True),
    ("'abc' not matches 'x'", True), ("'abc' matches 'b'", True),
    # ranges, slices, member access
    ("1..4", [1, 2, 3, 4]), ("3..1", []), ("xs[0]", 1), ("xs[-1]", 4), ("xs[1:3]", [2, 3]), ("xs[:2]", [1, 2]),
    ("xs[2:]", [3, 4]), ("xs[:]", [1, 2, 3, 4]), ("xs[1:-1]", [2, 3]), ("'hello'[1:3]", "el"),
    ("m.k", 1), ("m['k']", 1), ("m.nested.x", "y"), ("m.missing", None), ("m?.nested?.x", "y"),
    ("nothing?.x", None), ("nothing?.x.y.z", None), ("nothing?.[0]", None), ("undefinedVar", None),
    ("inputs.parameters['my-p']", "v"), ("steps['a-b'].outputs.result", "heads"),
    ("$env['m'].k", 1),
    # nil coalescing and conditionals
    ("nothing ?? 'd'", "d"), ("m.missing ?? m.k", 1), ("0 ?? 1", 0), ("'' ?? 'x'", ""),
    ("1 ?? 2 ?? 3", 1), ("true ? 'y' : 'n'", "y"), ("false ? 'y' : 1 > 0 ? 'a' : 'b'", "a"),
    ("if 1 > 2 { 'a' } else if 2 > 1 { 'b' } else { 'c' }", "b"), ("nil ?: 'e'", "e"),
    ("let x = 2; let y = x * 3; y + 1", 7),
    # pipes
    ("'A,B' | lower() | split(',')", ["a", "b"]), ("xs | filter(# > 2) | map(# * 10)", [30, 40]),
    ("inputs.parameters.list | fromJSON() | join('-')", "a-b"),
    # predicates / closures
    ("filter(xs, # % 2 == 0)", [2, 4]), ("map(xs, {# + 1})", [2, 3, 4, 5]), ("all(xs, # > 0)", True),
    ("any(xs, # > 3)", True), ("none(xs, # > 4)", True), ("one(xs, # == 2)", True), ("count(xs, # > 1)", 3),
    ("count([true, false, true])", 2), ("find(xs, # > 2)", 3), ("findIndex(xs, # > 2)", 2),
    ("findLast(xs, # < 3)", 2), ("findLastIndex(xs, # < 3)", 1), ("filter(users, .Age > 25)[0].Name", "Jo"),
    ("map(users, #.Name)", ["Jo", "Al"]), ("map(xs, #index)", [0, 1, 2, 3]), ("reduce(xs, #acc + #)", 10),
    ("reduce(xs, #acc + #, 10)", 20), ("sum(xs)", 10), ("sum(xs, # * 2)", 20),
    ("sortBy(users, .Age)[0].Name", "Al"), ("groupBy(xs, # % 2 == 0)", {"false": [1, 3], "true": [2, 4]}),
    ("map(filter(xs, # > 1), {map([#], # * 2)})", [[4], [6], [8]]),
    ("filter([1, 3], {# > 1})", [3]),
    # builtins
    ("len('héllo')", 5), ("len(xs)", 4), ("len(m)", 2), ("abs(-3)", 3), ("abs(-2.5)", 2.5), ("ceil(1.2)", 2.0),
    ("floor(1.8)", 1.0), ("round(2.5)", 3.0), ("int('12')", 12), ("int(3.9)", 3), ("float('1.5')", 1.5),
    ("float(2)", 2.0), ("string(12)", "12"), ("string(1.5)", "1.5"), ("string(3.0)", "3"), ("string(nil)", "<nil>"),
    ("string([1, 'a'])", "[1 a]"), ("string(true)", "true"), ("trim('  x ')", "x"), ("trim('__x__', '_')", "x"),
    ("trimPrefix('abc', 'a')", "bc"), ("trimSuffix('abc', 'c')", "ab"), ("upper('a')", "A"), ("lower('A')", "a"),
    ("split('a,b,c', ',')", ["a", "b", "c"]), ("split('a,b,c', ',', 2)", ["a", "b,c"]), ("split('ab', '')", ["a", "b"]),
    ("splitAfter('a,b', ',')", ["a,", "b"]), ("replace('aXbX', 'X', '-')", "a-b-"), ("repeat('ab', 2)", "abab"),
    ("join(['a', 'b'], ',')", "a,b"), ("join(['a', 'b'])", "ab"), ("indexOf('apple pie', 'pie')", 6),
    ("lastIndexOf('aXaX', 'X')", 3), ("hasPrefix('abc', 'a')", True), ("hasSuffix('abc', 'c')", True),
    ("max(1, 5, 3)", 5), ("min(2, 1.5)", 1.5), ("max(xs)", 4), ("mean([1, 2, 3])", 2.0), ("median([1, 3, 2, 4])", 2.5),
    ("toJSON({b: 1, a: [1, 'x']})", '{\n  "a": [\n    1,\n    "x"\n  ],\n  "b": 1\n}'),
    ("fromJSON('{\"a\": [1, 2.5, null]}')", {"a": [1.0, 2.5, None]}), ("toBase64('hi')", "aGk="),
    ("fromBase64('aGk=')", "hi"), ("first(xs)", 1), ("last(xs)", 4), ("first([])", None),
    ("get(xs, 1)", 2), ("get(xs, 10)", None), ("get(m, 'k')", 1), ("get(m, 'zz')", None), ("take(xs, 2)", [1, 2]),
    ("keys({a: 1})", ["a"]), ("values({a: 1})", [1]), ("toPairs({a: 1})", [["a", 1]]),
    ("fromPairs([['a', 1]])", {"a": 1}), ("reverse([1, 2])", [2, 1]), ("uniq([1, 1, 2])", [1, 2]),
    ("concat([1], [2, 3])", [1, 2, 3]), ("flatten([1, [2, [3]]])", [1, 2, 3]), ("sort([3, 1, 2])", [1, 2, 3]),
    ("sort(['b', 'a'], 'desc')", ["b", "a"]), ("type(1)", "int"), ("type('a')", "string"), ("type(nil)", "nil"),
    ("bitand(12, 10)", 8), ("bitor(12, 10)", 14), ("bitnot(0)", -1), ("bitshl(1, 3)", 8),
    ("duration('1h30m').Seconds()", 5400.0), ("duration('1.5s').Milliseconds()", 1500),
    ("date('2024-01-02').Year()", 2024), ("date('2024-01-02T03:04:05Z').Format('2006/01/02 15h')", "2024/01/02 03h"),
    ("(date('2024-01-02') - date('2024-01-01')).Hours()", 24.0), ("now() > date('2020-01-01')", True),
    ("date('02.01.2024', '02.01.2006').Month()", 1),
    # comments and whitespace
    ("1 + /* two */ 2 // trailing", 3), ("\n  1\n  +\n  1\n", 2),
])
def test_evaluates(src: str, expected: object) -> None:
    got = evaluate(src, ENV)
    assert got == expected and type(got) is type(expected), (src, got)


@pytest.mark.parametrize("src, message", [
    ("1 +", "unexpected end of expression"),
    ("1 +* 2", "unexpected token *"),
    ("'abc", "literal not terminated"),
    ("a ?? b || c", "cannot be mixed"),
    ("[1, 2", "unexpected end"),
    ("{a 1}", "unexpected token"),
    ("foo(", "unexpected end"),
    ("a.", "expected name"),
    ("#", "unexpected token #"),
    ("1 2", "unexpected token 2"),
    ("'\\q'", "invalid char escape"),
    ("@", "unrecognized character"),
    ("filter(xs)", "expected at least"),
    ("let = 1; 2", "unexpected token ="),
])
def test_syntax_errors(src: str, message: str) -> None:
    with pytest.raises(ExprError) as info:
        check(src)
    assert message in str(info.value)
    assert info.value.position is not None
    assert info.value.expression == src


@pytest.mark.parametrize("src, message", [
    ("'a' + 1", "invalid operation: string + int"),
    ("1 < 'a'", "mismatched types int and string"),
    ("nothing.x", "cannot fetch x from <nil>"),
    ("xs[10]", "index out of range"),
    ("1 % 0", "integer divide by zero"),
    ("1.5 % 1", "invalid operation: float64 % int"),
    ("'a' && true", "non-bool"),
    ("1 ? 2 : 3", "non-bool"),
    ("int('1.5')", "invalid operation: int(1.5)"),
    ("float('x')", "invalid operation: float(x)"),
    ("len(1)", "invalid argument for len"),
    ("'a' in 'abc'", "operator in not defined"),
    ("'a' matches '('", "error parsing regexp"),
    ("filter(1, # > 0)", "cannot iterate"),
    ("all(xs, #)", "predicate should return boolean"),
    ("upper(1)", "expected string"),
    ("nothing()", "not callable"),
    ("upper('a', 'b')", "invalid number of arguments"),
    ("fromJSON('{')", "fromJSON"),
])
def test_runtime_errors(src: str, message: str) -> None:
    with pytest.raises(ExprError) as info:
        evaluate(src, ENV)
    assert message in str(info.value)


def test_error_offsets_point_at_the_failing_node() -> None:
    with pytest.raises(ExprError) as info:
        evaluate("1 + ('a' + 1)", {})
    assert info.value.position == 9
    with pytest.raises(ExprError) as info:
        check("1 + + ")
    assert info.value.position == 6


def test_compile_is_cached_and_reusable() -> None:
    program = compile("x * 2")
    assert compile("x * 2") is program
    assert program.run({"x": 2}) == 4 and program.run({"x": 3}) == 6
    assert evaluate("x", None) is None


def test_flat_env_is_expanded() -> None:
    assert evaluate("inputs.parameters['a-b'] + steps.s.outputs.result",
                    {"inputs.parameters.a-b": "x", "steps.s.outputs.result": "y"}) == "xy"


@pytest.mark.parametrize("depth", [150, 200, 1000])
def test_deep_nesting_is_an_expr_error(depth: int) -> None:
    for src in ["(" * depth + "1" + ")" * depth, "-" * depth + "1", "[" * depth + "]" * depth,
                "+".join(["1"] * depth), "!" * depth + "true", "a" + ".b" * depth, "x" + "[0]" * depth]:
        with pytest.raises(ExprError):
            evaluate(src, {})


def test_moderate_nesting_is_fine() -> None:
    assert evaluate("(" * 40 + "1" + ")" * 40, {}) == 1
    assert evaluate("+".join(["1"] * 60), {}) == 60


def test_references_for_template_analysis() -> None:
    program = compile("a.b.c + d ?? e.f")
    assert program.references[:2] == ("a", "a.b") or "a.b.c" in program.references
    assert program.roots == {"a", "d", "e"}
    guarded = compile("x.y ?? 'z'")
    assert "x.y" not in guarded.references and "x" in guarded.references
    assert compile("let v = 1; v").roots == frozenset()


def test_non_string_expression_is_expr_error() -> None:
    with pytest.raises(ExprError):
        compile(123)  # type: ignore[arg-type]
