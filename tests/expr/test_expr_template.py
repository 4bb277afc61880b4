"""``{{ }}`` / ``{{= }}`` substitution, tags and nested_env."""
from __future__ import annotations

import pytest

from jupyter_flow.errors import ExprError
from jupyter_flow.expr import Tag, evaluate, has_tags, nested_env, substitute, substitute_obj, tags, when

SCOPE = {
    "inputs.parameters.foo": "3",
    "inputs.parameters.my-p": "dash",
    "inputs.parameters": '[{"name":"foo","value":"3"}]',
    "workflow.name": "wf-1",
    "workflow.creationTimestamp": "2024-05-06T07:08:09Z",
    "workflow.creationTimestamp.Y": "2024",
    "steps.flip-coin.outputs.result": "heads",
    "item": '{"a":1,"b":"x"}',
    "item.a": "1",
    "item.b": "x",
    "tasks.producer.outputs.parameters.msg": None,
    "count": 5,
    "flags": ["a", "b"],
}


def test_tags() -> None:
    text = "a {{ x.y }} b {{=1 + 1}} {{ unterminated"
    assert tags(text) == [Tag("simple", "x.y", 2, 11), Tag("expr", "1 + 1", 14, 24)]
    assert tags("no tags") == []
    assert tags("{{}}") == [Tag("simple", "", 0, 4)]


@pytest.mark.parametrize("text, expected", [
    ("plain", "plain"),
    ("{{inputs.parameters.foo}}", "3"),
    ("{{ inputs.parameters.foo }}", "3"),
    ("x={{workflow.name}}/{{steps.flip-coin.outputs.result}}", "x=wf-1/heads"),
    ("{{count}} {{flags}}", '5 ["a","b"]'),
    ("{{unknown}} and {{ unknown.too }}", "{{unknown}} and {{ unknown.too }}"),
    ("{{=asInt(inputs.parameters.foo) * 10}}", "30"),
    ("{{= inputs.parameters['my-p'] }}", "dash"),
    ("{{=steps['flip-coin'].outputs.result == 'heads'}}", "true"),
    ("{{=1.0 * 3}} {{=1.5}} {{=7 / 2}} {{=1e6 * 1.0}}", "3 1.5 3.5 1000000"),
    ("{{=[1, 'a']}} {{={b: 1, a: [true, nil]} }}", '[1,"a"] {"a":[true,null],"b":1}'),
    ("{{=toJson(filter([1, 3], {# > 1}))}}", "[3]"),
    ("{{=item}}", '{"a":1,"b":"x"}'),
    ("{{=item.a}}-{{=item['b']}}-{{=get(item, 'c') ?? 'none'}}", "1-x-none"),
    ("{{=inputs.parameters}}", '[{"name":"foo","value":"3"}]'),
    ("{{=fromJSON(inputs.parameters)[0].name}}", "foo"),
    ("{{=jsonpath(inputs.parameters, '$[0].value')}}", "3"),
    ("{{=sprig.date('2006', workflow.creationTimestamp)}}", "2024"),
    ("{{=workflow.creationTimestamp.Y}}", "2024"),
    ("{{=tasks.producer.outputs.parameters.msg ?? 'expr-fallback'}}", "expr-fallback"),
    ("{{='<&>'}}", "<&>"),
    ("{{=['<']}}", '["\\u003c"]'),
    ("{{=date('2024-01-02T03:04:05Z')}}", "2024-01-02T03:04:05Z"),
    # late-bound or unavailable variables keep the tag for a later pass
    ("{{=retries}} {{=sprig.int(retries) + 1}}", "{{=retries}} {{=sprig.int(retries) + 1}}"),
    ("{{=workflow.status == 'Succeeded'}}", "{{=workflow.status == 'Succeeded'}}"),
    ("{{=lastRetry.exitCode}}", "{{=lastRetry.exitCode}}"),
    ("{{=steps.other.outputs.result}}", "{{=steps.other.outputs.result}}"),
    ("{{=unknownRoot + 1}}", "{{=unknownRoot + 1}}"),
    ("{{=nil}}", "{{=nil}}"),
    ("{{=asInt('x')}}", "{{=asInt('x')}}"),
    ("{{='workflow.status'}}", "workflow.status"),
])
def test_substitute_keep(text: str, expected: str) -> None:
    assert substitute(text, SCOPE) == expected


def test_substitution_happens_once() -> None:
    scope = {"a": "{{b}}", "b": "no", "c": "{{=1+1}}"}
    assert substitute("{{a}} {{=a}} {{c}}", scope) == "{{b}} {{b}} {{=1+1}}"


@pytest.mark.parametrize("text, message", [
    ("{{unknown}}", "failed to resolve {{unknown}}"),
    ("{{=steps.other.outputs.result}}", "steps.other.outputs.result is missing"),
    ("{{=retries}}", "retries is missing"),
    ("{{=asInt('x')}}", "invalid operation: int(x)"),
    ("{{=nil}}", "result is nil"),
])
def test_substitute_error(text: str, message: str) -> None:
    with pytest.raises(ExprError) as info:
        substitute(text, SCOPE, missing="error")
    assert message in str(info.value)


def test_absent_optional_simple_tag_is_always_an_error() -> None:
    with pytest.raises(ExprError, match="absent optional"):
        substitute("{{tasks.producer.outputs.parameters.msg}}", SCOPE)


def test_syntax_error_in_expression_tag_always_raises() -> None:
    with pytest.raises(ExprError) as info:
        substitute("ab {{=1 +}}", SCOPE)
    assert info.value.position == 3 + 3 + 3
    with pytest.raises(ExprError):
        substitute("{{=1 +}}", SCOPE, missing="error")
    with pytest.raises(ExprError):  # the tag ends at the first '}}', as in Argo (fasttemplate)
        substitute("{{={a: 1}}}", SCOPE)


def test_bad_missing_mode() -> None:
    with pytest.raises(ExprError):
        substitute("x", {}, missing="ignore")


def test_substitute_obj() -> None:
    obj = {"args": ["{{inputs.parameters.foo}}", 1, None, {"k": "{{=item.a}}"}],
           "{{workflow.name}}": ("{{x}}",), "n": 2.5}
    out = substitute_obj(obj, SCOPE)
    assert out == {"args": ["3", 1, None, {"k": "1"}], "wf-1": ("{{x}}",), "n": 2.5}
    assert obj["args"][0] == "{{inputs.parameters.foo}}"
    with pytest.raises(ExprError):
        substitute_obj({"a": "{{x}}"}, {}, missing="error")
    deep: list = []
    cur = deep
    for _ in range(600):
        cur.append([])
        cur = cur[0]
    with pytest.raises(ExprError):
        substitute_obj(deep, {})


def test_has_tags_says_whether_substitute_obj_could_change_anything() -> None:
    assert not has_tags({"name": "s1", "template": "t", "arguments": {"parameters": [{"name": "n", "value": 3}]}})
    assert not has_tags(["a", ("b", None, 2.5), {"k": "{ not a tag }"}])
    for tagged in ({"a": ["x", {"b": "{{inputs.parameters.p}}"}]}, {"{{workflow.name}}": 1}, ("{{=1}}",), "{{x}}"):
        assert has_tags(tagged)
    deep: list = []
    cur = deep
    for _ in range(600):
        cur.append([])
        cur = cur[0]
    assert has_tags(deep)   # too deep counts as tagged: substitute_obj is still the one to say so


def test_nested_env() -> None:
    env = nested_env(SCOPE)
    assert env["inputs"]["parameters"]["foo"] == "3"
    assert env["steps"]["flip-coin"]["outputs"]["result"] == "heads"
    assert env["item"] == {"a": "1", "b": "x"}  # the nested map wins for member access...
    assert env["item"].text == SCOPE["item"]  # ...and remembers its leaf text
    assert env["tasks"]["producer"]["outputs"]["parameters"] == {"msg": None}
    assert env["count"] == 5
    assert nested_env({"a.b": {"x": 1}})["a"]["b"] == {"x": 1}
    leaf_after = nested_env({"x.y": "1", "x": "leaf"})
    assert leaf_after["x"] == {"y": "1"} and leaf_after["x"].text == "leaf"
    assert evaluate("item.a + item.b", env) == "1x"
    assert evaluate("string(item)", env) == SCOPE["item"]
    assert evaluate("'p' + inputs.parameters", env) == "p" + SCOPE["inputs.parameters"]


def test_steps_when_expr_filter_e2e_flow() -> None:
    """e2e/functional__steps-when-expr-filter.yaml end to end: param, then per-item `when`."""
    list_tmpl = "{{= concat(['always'], inputs.parameters.test == 'true' ? ['test'] : []) | toJSON() }}"
    when_tmpl = ('"{{= get(item, \'type\') ?? \'always\' }}"\nin\n'
                 '("{{= inputs.parameters.list | fromJSON() | join(\'","\') }}","")\n')
    items = [{"name": "first", "type": ""}, {"name": "second", "type": "always"},
             {"name": "third", "type": "test"}, {"name": "fourth"}]
    import json
    for test, expected in (("true", [True, True, True, True]), ("false", [True, True, False, True])):
        lst = substitute(list_tmpl, {"inputs.parameters.test": test})
        assert json.loads(lst) == (["always", "test"] if test == "true" else ["always"])
        got = []
        for it in items:
            scope = {"inputs.parameters.list": lst, "item": json.dumps(it)}
            scope.update({f"item.{k}": v for k, v in it.items()})
            got.append(when(substitute(when_tmpl, scope, missing="error")))
        assert got == expected


def test_expression_tag_template_example() -> None:
    """examples/expression-tag-template-workflow.yaml."""
    assert substitute("{{=toJson(filter([1, 3], {# > 1}))}}", {}) == "[3]"
    assert substitute("{{=item}}", {"item": "3"}) == "3"
    assert substitute("hello {{=asInt(inputs.parameters.foo) * 10}} @ {{=sprig.date('2006', "
                      "workflow.creationTimestamp)}}", SCOPE) == "hello 30 @ 2024"


def test_destructure_json_complex_example() -> None:
    """examples/expression-destructure-json-complex.yaml."""
    config = ('{"employees": [{"name": "Baris", "age":43},{"name": "Mo", "age": 42}, '
              '{"name": "Jai", "age" :44}]}')
    scope = {"workflow.parameters.config": config}
    assert substitute("{{=jsonpath(workflow.parameters.config, '$.employees[?(@.name==\"Baris\")].age')}}",
                      scope) == "[43]"
    assert substitute("{{=jsonpath(workflow.parameters.config, '$.employees[?(@.age>42 && @.age<44)].age')}}",
                      scope) == "[43]"
    assert substitute("{{=jsonpath(workflow.parameters.config, '$.employees[0:1]')}}",
                      scope) == '[{"age":43,"name":"Baris"}]'
    assert substitute("{{=jsonpath(workflow.parameters.config, '$.employees[*].name')}}",
                      scope) == '["Baris","Mo","Jai"]'


def test_conditionals_example() -> None:
    scope = {"inputs.parameters.should-print": "true",
             "workflow.parameters.json": '[{"name":"should-print","value":"true"}]'}
    assert when(substitute("{{inputs.parameters.should-print}} == true", scope))
    assert when(substitute("{{= inputs.parameters[\"should-print\"] == 'true'}}", scope))
    assert when(substitute("{{=jsonpath(workflow.parameters.json, '$[0].value') == 'true'}}", scope))
