"""Argo's expression functions: asInt, asFloat, toJson, jsonpath, string, sprig.*"""
from __future__ import annotations

import json

import pytest

from jupyter_flow.errors import ExprError
from jupyter_flow.expr import evaluate

CONFIG = json.dumps({"employees": [{"name": "Baris", "age": 43}, {"name": "Mo", "age": 42},
                                   {"name": "Jai", "age": 44}], "a": "x", "n": 1, "deep": {"k": [1, 2]}})


@pytest.mark.parametrize("src, expected", [
    ("asInt('42')", 42), ("asInt(3.7)", 3), ("asFloat('1.5')", 1.5), ("asFloat(2)", 2.0),
    ("asInt('-5') * 10", -50), ("string(asFloat('2'))", "2"),
    ("toJson([1, 'a', nil, true])", '[1,"a",null,true]'), ("toJson({b: 1, a: 2})", '{"a":2,"b":1}'),
    ("toJson('<&>')", '"\\u003c\\u0026\\u003e"'), ("toJson(1.0)", "1"), ("toJson(0.000001)", "0.000001"),
    ("toJson(1e21)", "1e+21"), ("toJson(1e-7)", "1e-7"),
    ("jsonpath(c, '$.a')", "x"), ("jsonpath(c, '$.n')", 1.0), ("jsonpath(c, '$.deep.k[1]')", 2.0),
    ("jsonpath(c, \"$['a']\")", "x"), ("jsonpath(c, '$.deep.k[-1]')", 2.0),
    ("jsonpath(c, '$.employees[*].name')", ["Baris", "Mo", "Jai"]),
    ("jsonpath(c, '$.employees[0:1]')", [{"name": "Baris", "age": 43.0}]),
    ("jsonpath(c, '$.employees[?(@.name==\"Baris\")].age')", [43.0]),
    ("jsonpath(c, '$.employees[?(@.age>42 && @.age<44)].age')", [43.0]),
    ("jsonpath(c, '$.employees[?(@.age < 43 || @.name == \"Jai\")].name')", ["Mo", "Jai"]),
    ("jsonpath(c, '$.employees[?(!(@.age == 42))].name')", ["Baris", "Jai"]),
    ("jsonpath(c, '$.employees[?(@.name =~ \"^J\")].name')", ["Jai"]),
    ("jsonpath(c, '$..name')", ["Baris", "Mo", "Jai"]),
    ("jsonpath(c, '$.employees[0,2].name')", ["Baris", "Jai"]),
    ("jsonpath(c, '$.employees[::2].age')", [43.0, 44.0]),
    ("jsonpath('[{\"value\": \"true\"}]', '$[0].value')", "true"),
    ("jsonpath(c, '$')", json.loads(CONFIG, parse_int=float)),
])
def test_argo_functions(src: str, expected: object) -> None:
    assert evaluate(src, {"c": CONFIG}) == expected


@pytest.mark.parametrize("src", [
    "jsonpath(c, '$.nope')", "jsonpath(c, 'a')", "jsonpath('{', '$')", "jsonpath(1, '$')",
    "jsonpath(c, '$.employees[5]')", "jsonpath(c, '$[')", "asInt('x')", "asFloat([])",
])
def test_argo_function_errors(src: str) -> None:
    with pytest.raises(ExprError):
        evaluate(src, {"c": CONFIG})


@pytest.mark.parametrize("src, expected", [
    ("sprig.trim('  a ')", "a"), ("sprig.upper('a')", "A"), ("sprig.lower('A')", "a"),
    ("sprig.replace('bar', 'baz', 'foobar')", "foobaz"), ("sprig.splitList(',', 'a,b')", ["a", "b"]),
    ("sprig.join('-', ['a', 1])", "a-1"), ("sprig.toString(12)", "12"), ("sprig.toString(1.5)", "1.5"),
    ("sprig.atoi('12')", 12), ("sprig.atoi('x')", 0), ("sprig.int('0x10')", 16), ("sprig.int('7.0')", 7),
    ("sprig.int(3.9)", 3), ("sprig.add(1, 2.9, '3')", 6), ("sprig.sub(5, 2)", 3), ("sprig.mul(2, 3, 4)", 24),
    ("sprig.div(7, 2)", 3), ("sprig.div(-7, 2)", -3), ("sprig.mod(7, 3)", 1), ("sprig.max(1, 9, 3)", 9),
    ("sprig.min(4, 2, 8)", 2), ("sprig.addf(1.5, 1)", 2.5), ("sprig.divf(1, 4)", 0.25),
    ("sprig.default('d', '')", "d"), ("sprig.default('d', 'x')", "x"), ("sprig.default('d', nil)", "d"),
    ("sprig.empty('')", True), ("sprig.empty(0)", True), ("sprig.empty([1])", False),
    ("sprig.coalesce('', nil, 'z')", "z"), ("sprig.ternary('y', 'n', true)", "y"),
    ("sprig.b64enc('hello')", "aGVsbG8="), ("sprig.b64dec('aGVsbG8=')", "hello"),
    ("sprig.contains('b', 'abc')", True), ("sprig.hasPrefix('a', 'abc')", True), ("sprig.hasSuffix('c', 'abc')", True),
    ("sprig.quote('a', 'b')", '"a" "b"'), ("sprig.squote('a')", "'a'"), ("sprig.substr(1, 3, 'hello')", "el"),
    ("sprig.trunc(3, 'hello')", "hel"), ("sprig.trunc(-3, 'hello')", "llo"), ("sprig.list(1, 'a')", [1, "a"]),
    ("sprig.dict('a', 1, 'b', 2)", {"a": 1, "b": 2}), ("sprig.toJson({a: [1]})", '{"a":[1]}'),
    ("sprig.fromJson('{\"a\": 1}').a", 1.0), ("sprig.fromJson('{')", None), ("sprig.trimPrefix('a', 'abc')", "bc"),
    ("sprig.trimSuffix('c', 'abc')", "ab"), ("sprig.trimAll('-', '--a--')", "a"), ("sprig.repeat(2, 'ab')", "abab"),
    ("sprig.title('hello world')", "Hello World"), ("sprig.nospace(' a b ')", "ab"), ("sprig.cat('a', nil, 'b')", "a b"),
    ("sprig.indent(2, 'a\\nb')", "  a\n  b"), ("sprig.snakecase('FooBar')", "foo_bar"), ("sprig.kebabcase('FooBar')", "foo-bar"),
    ("sprig.first([1, 2])", 1), ("sprig.last([1, 2])", 2), ("sprig.rest([1, 2])", [2]), ("sprig.initial([1, 2])", [1]),
    ("sprig.append([1], 2)", [1, 2]), ("sprig.prepend([1], 0)", [0, 1]), ("sprig.concat([1], [2])", [1, 2]),
    ("sprig.reverse([1, 2])", [2, 1]), ("sprig.uniq([1, 1])", [1]), ("sprig.without([1, 2], 1)", [2]),
    ("sprig.has(1, [1])", True), ("sprig.compact(['', 'a'])", ["a"]), ("sprig.get({a: 1}, 'a')", 1),
    ("sprig.get({a: 1}, 'b')", ""), ("sprig.hasKey({a: 1}, 'a')", True), ("sprig.keys({a: 1})", ["a"]),
    ("sprig.pick({a: 1, b: 2}, 'a')", {"a": 1}), ("sprig.omit({a: 1, b: 2}, 'a')", {"b": 2}),
    ("sprig.until(3)", [0, 1, 2]), ("sprig.seq(3)", "1 2 3"), ("sprig.regexMatch('^a', 'abc')", True),
    ("sprig.regexFind('b+', 'abbbc')", "bbb"), ("sprig.regexReplaceAll('a(x*)b', '-ab-axxb-', '${1}W')", "-W-xxW-"),
    ("sprig.regexSplit(',', 'a,b,c', -1)", ["a", "b", "c"]), ("sprig.sha256sum('a')[:8]", "ca978112"),
    ("sprig.base('/a/b.txt')", "b.txt"), ("sprig.ext('b.txt')", ".txt"), ("sprig.dir('/a/b')", "/a"),
    ("sprig.date('2006', '2024-05-06T07:08:09Z')", "2024"),
    ("sprig.date('2006-01-02 15:04:05 Mon Jan', '2024-05-06T07:08:09Z')", "2024-05-06 07:08:09 Mon May"),
    ("sprig.dateInZone('15:04 MST', '2024-05-06T07:08:09Z', 'UTC')", "07:08 UTC"),
    ("sprig.htmlDate('2024-05-06T07:08:09Z')", "2024-05-06"), ("sprig.duration(95)", "1m35s"),
    ("sprig.int(sprig.date('2006', now())) > 2000", True), ("sprig.typeOf(1)", "int"), ("sprig.kindOf([])", "slice"),
])
def test_sprig(src: str, expected: object) -> None:
    got = evaluate(src, {})
    assert got == expected, (src, got)


def test_sprig_has_no_env_functions() -> None:
    with pytest.raises(ExprError):
        evaluate("sprig.env('HOME')", {})
    with pytest.raises(ExprError):
        evaluate("sprig.expandenv('$HOME')", {})
    with pytest.raises(ExprError):
        evaluate("sprig.div(1, 0)", {})
    with pytest.raises(ExprError):
        evaluate("sprig.fail('boom')", {})


def test_sprig_b64dec_garbage_returns_error_text() -> None:
    assert "illegal base64" in evaluate("sprig.b64dec('%%%')", {})


def test_weather_example_from_expression_reusing_verbose_snippets() -> None:
    weather = '{"weekWeather": "eyJ0ZW1wcyI6IFszNCwgMjcsIDE1LCA1NywgNDZdfQo="}'
    src = """
        map([
            jsonpath(sprig.b64dec(jsonpath(workflow.parameters.weather, '$.weekWeather')), '$.temps')
          ], {
            toJson({
              avg: sprig.add(#[0], #[1], #[2], #[3], #[4]) / 5,
              min: sprig.min(#[0], #[1], #[2], #[3], #[4]),
              max: sprig.max(#[0], #[1], #[2], #[3], #[4])
            })
        })[0]
    """
    out = evaluate(src, {"workflow.parameters.weather": weather})
    assert out == '{"avg":35.8,"max":57,"min":15}'
    assert evaluate("jsonpath(p, '$.avg')", {"p": out}) == 35.8
