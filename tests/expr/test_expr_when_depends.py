"""``when`` (govaluate semantics) and DAG ``depends`` logic."""
from __future__ import annotations

import pytest

from jupyter_flow.errors import ExprError
from jupyter_flow.expr import check_when, depends, depends_tasks, when


@pytest.mark.parametrize("text, expected", [
    ("", True),
    ("heads == heads", True), ("tails == heads", False), ("heads != tails", True),
    ("true", True), ("false", False), ("true == true", True), ("True == False", False),
    ("'a' == \"a\"", True), ("1 == 1.0", True), ("1 == '1'", False), ("01 == 1", True),
    ("5 < 10", True), ("10 < 9", False), ("2 <= 2", True), ("3 >= 4", False), ("0x10 == 16", True),
    ("abc < abd", True), ("'b' > 'a'", True), ("1 + 2 == 3", True), ("2 * 3 - 1 == 5", True),
    ("7 % 4 == 3", True), ("2 ** 3 == 8", True), ("10 / 4 == 2.5", True), ("-1 < 0", True),
    ("1 - -1 == 2", True), ("!false", True), ("!(1 > 2)", True), ("a + b == ab", True),
    ("heads =~ hea", True), ("tails =~ hea", False), ("tails !~ hea", True), ("'abc' =~ '^a.c$'", True),
    ("( heads == heads && tails == tails ) || ( heads == tails && tails == tails )", True),
    ("(heads == tails && tails == tails) || (tails == tails && tails == heads)", False),
    ("true && false || true", True), ("false && x == x", False), ("true || 1", True),
    ("'x' in ('x', 'y')", True), ("'z' in ('x', 'y')", False), ("\"\" in (\"always\",\"\")", True),
    ("1 in (1, 2)", True), ("[some value] == 'some value'", True), ("true ? true : false", True),
    ("false ? false : true", True), ("('a' ?? 'b') == 'a'", True),
    ("1 & 3 == 1", True), ("1 | 2 == 3", True), ("\"2024-01-02\" < \"2024-02-01\"", True),
    ("Succeeded == Succeeded", True), ("YES == YES", True), ("\"SUCCESS\" != \"SUCCESS\" && x == x", False),
    ("\n  heads == heads\n", True), ("v1 == v1", True), ("a_b == a_b", True),
])
def test_when(text: str, expected: bool) -> None:
    assert when(text) is expected


@pytest.mark.parametrize("text, message", [
    ("hello world == hello world", "Cannot transition token types from VARIABLE [hello] to VARIABLE [world]"),
    ("3abc == x", "Cannot transition token types from NUMERIC [3] to VARIABLE [abc]"),
    ("a.b == c", "Unable to access unexported field 'b'"),
    ("\"unclosed", "Unclosed string literal"),
    ("[unclosed", "Unclosed parameter bracket"),
    ("1 +", "Unexpected end of expression"),
    ("(a == b", "Unbalanced parenthesis"),
    ("x == $y", "Invalid token: '$' (hint: try wrapping the affected expression in quotes (\"))"),
    ("1.2.3 == x", "Unable to parse numeric value '1.2.3' to float64"),
    ("a. == b", "Hanging accessor"),
    ("foo(1) == 1", "Undefined function foo"),
    ("x =~ '('", "Unable to compile regexp pattern"),
    ("(" * 60 + "true" + ")" * 60, "nested too deeply"),
])
def test_when_parse_errors(text: str, message: str) -> None:
    with pytest.raises(ExprError) as info:
        check_when(text)
    assert str(info.value).startswith(f"Invalid 'when' expression '{text}': ")
    assert message in str(info.value)
    assert info.value.expression == text


@pytest.mark.parametrize("text, message", [
    ("heads", "Expected boolean evaluation for 'heads'. Got heads"),
    ("1 + 1", "Expected boolean evaluation for '1 + 1'. Got 2"),
    ("   ", "Expected boolean evaluation for '   '. Got <nil>"),
    ("a < 1", "Value 'a' cannot be used with the comparator '<', it is not a number"),
    ("a && true", "Value 'a' cannot be used with the logical operator '&&', it is not a bool"),
    ("a - 1 == 2", "cannot be used with the modifier '-', it is not a number"),
    ("Pod.Name == x", "No parameter 'Pod' found."),
    ("x in 'y'", "cannot be used with the comparator 'in'"),
])
def test_when_evaluation_errors(text: str, message: str) -> None:
    with pytest.raises(ExprError) as info:
        when(text)
    assert message in str(info.value)


DIAMOND = {
    "A": {"Succeeded": True},
    "B": {"Failed": True},
    "C": {"Skipped": True},
    "D": {"Daemoned": True},
    "E": {"Errored": True},
    "L": {"AnySucceeded": True, "Succeeded": False, "Failed": True},
    "my-task": {"Succeeded": True},
    "O": {"Omitted": True},
}


@pytest.mark.parametrize("expression, expected", [
    ("A", True), ("B", False), ("C", True), ("D", True), ("E", False), ("O", False),
    ("A && B", False), ("A && C && D", True), ("B || C", True), ("!B", True), ("!A", False),
    ("A && (B.Failed || B.Succeeded)", True), ("B.Failed && C", True), ("E.Errored", True),
    ("L.AnySucceeded", True), ("L.AllFailed", False), ("O.Omitted", True), ("my-task.Succeeded", True),
    ("my-task && !(B.Succeeded)", True), ("((A))", True), ("A&&C", True), ("  A  ", True),
    ("C.Succeeded || C.Skipped", True), ("!(A || B)", False),
])
def test_depends(expression: str, expected: bool) -> None:
    assert depends(expression, DIAMOND) is expected


def test_depends_continue_on_widens_bare_task() -> None:
    assert depends("B", DIAMOND) is False
    assert depends("B", DIAMOND, continue_on={"B": ["failed"]}) is True
    assert depends("E", DIAMOND, continue_on={"E": ["error"]}) is True
    assert depends("B.Succeeded", DIAMOND, continue_on={"B": ["failed"]}) is False


@pytest.mark.parametrize("expression, tasks", [
    ("A", {"A"}), ("A && (C.Succeeded || C.Failed)", {"A", "C"}),
    ("should-execute-2.Succeeded || should-not-execute", {"should-execute-2", "should-not-execute"}),
    ("stage-a && (stage-b || stage-b.Skipped)", {"stage-a", "stage-b"}), ("1st && 2nd", {"1st", "2nd"}),
])
def test_depends_tasks(expression: str, tasks: set[str]) -> None:
    assert depends_tasks(expression) == tasks


@pytest.mark.parametrize("expression, message", [
    ("", "empty"), ("A &&", "unexpected end"), ("A.Bogus", "task result 'Bogus' for task 'A' is invalid"),
    ("(A", "unexpected end"), ("A B", "unexpected"), ("A & B", "unexpected"), ("A )", "unexpected"),
    ("Z", "no result"), ("(" * 300 + "A" + ")" * 300, "too deeply"),
    (" && ".join(["A"] * 2000), "too long"),
])
def test_depends_errors(expression: str, message: str) -> None:
    with pytest.raises(ExprError) as info:
        depends(expression, DIAMOND)
    assert message in str(info.value)
