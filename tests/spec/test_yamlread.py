import time

import pytest

from jupyter_flow.spec.yamlread import MAX_DEPTH, YamlLoadError, read_documents, resolve_plain

from .conftest import dedent


def test_positions_for_keys_values_and_items():
    raw = read_documents(dedent("""
        spec:
          entrypoint: main
          args: [a, "b"]
          list:
          - x: 1
          -   y
        """))[0]
    keys, values = raw.key_positions, raw.value_positions
    assert keys[("spec",)] == (1, 1)
    assert keys[("spec", "entrypoint")] == (2, 3) and values[("spec", "entrypoint")] == (2, 15)
    assert keys[("spec", "args", 0)] == (3, 10) and keys[("spec", "args", 1)] == (3, 13)
    assert keys[("spec", "list", 0)] == (5, 5)
    assert keys[("spec", "list", 0, "x")] == (5, 5) and values[("spec", "list", 0, "x")] == (5, 8)
    assert keys[("spec", "list", 1)] == (6, 7)


@pytest.mark.parametrize("text,value", [
    ("yes", True), ("on", True), ("off", False), ("True", True), ("~", None), ("", None),
    ("12", 12), ("0x1f", 31), ("0755", 493), ("1_000", 1000), ("-3", -3), ("1.5", 1.5),
    (".inf", float("inf")),
    ("12:30", "12:30"),            # no sexagesimal (go-yaml keeps it a string)
    ("2024-01-01", "2024-01-01"),  # no timestamps
    ("1.2.3", "1.2.3"), ("y", "y"), ("08", "08"), ("hello", "hello"),
])
def test_plain_scalar_typing(text, value):
    assert resolve_plain(text) == value


def test_quoted_and_tagged_scalars():
    data = read_documents('a: "yes"\nb: !!str 12\nc: !!int "7"\nd: \'1.5\'\n')[0].data
    assert data == {"a": "yes", "b": "12", "c": 7, "d": "1.5"}


def test_boolean_looking_keys_stay_strings_with_warning():
    raw = read_documents("on: 1\nyes: 2\nplain: 3\n")[0]
    assert raw.data == {"on": 1, "yes": 2, "plain": 3}
    warnings = [i for i in raw.issues if i[2] == "warning"]
    assert [w[0] for w in warnings] == [("on",), ("yes",)]


def test_duplicate_key_warns_last_wins():
    raw = read_documents("a: 1\nb: 2\na: 3\n")[0]
    assert raw.data == {"a": 3, "b": 2}
    assert raw.issues[0][:3] == (("a",), 'duplicate key "a" (the last one wins)', "warning")
    assert raw.issues[0][3] == (3, 1)


def test_anchors_aliases_and_merge_keys_are_copies():
    raw = read_documents(dedent("""
        base: &b {image: alpine, args: [x]}
        one:
          <<: *b
          args: [y]
        two: *b
        """))[0]
    data = raw.data
    assert data["one"] == {"image": "alpine", "args": ["y"]}
    assert data["two"] == {"image": "alpine", "args": ["x"]}
    data["two"]["args"].append("z")
    assert data["base"]["args"] == ["x"]


def test_multi_document_skips_empty():
    docs = read_documents("---\na: 1\n---\n---\n# only a comment\n---\nb: 2\n")
    assert [d.data for d in docs] == [{"a": 1}, {"b": 2}]


def test_syntax_error_has_line_and_column():
    with pytest.raises(YamlLoadError) as info:
        read_documents("a: 1\nb: [1, 2\nc: 3\n", "bad.yaml")
    err = info.value.error
    assert err.file == "bad.yaml" and err.line == 3 and err.column >= 1
    assert "YAML syntax error" in err.message


def test_unsupported_tag_rejected():
    with pytest.raises(YamlLoadError, match="unsupported YAML tag"):
        read_documents("a: !!python/object:os.system x\n")


def test_complex_keys_rejected():
    with pytest.raises(YamlLoadError, match="complex"):
        read_documents("? [a, b]\n: 1\n")


# --- hostile input: bounded time and memory ------------------------------------------

def _billion_laughs(levels: int = 12) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.timeout(20)
def test_billion_laughs_is_refused_quickly():
    start = time.perf_counter()
    with pytest.raises(YamlLoadError, match="alias bomb"):
        read_documents(_billion_laughs())
    assert time.perf_counter() - start < 3


@pytest.mark.timeout(20)
@pytest.mark.parametrize("text", [
    "[" * 200_000 + "]" * 200_000,           # libyaml's composer would segfault
    "{a: " * 50_000 + "1" + "}" * 50_000,
    "a:\n" + "".join(" " * (i + 1) + "a:\n" for i in range(3000)),
    "- " * 5000 + "x\n",
])
def test_deep_nesting_is_refused_quickly(text):
    start = time.perf_counter()
    with pytest.raises(YamlLoadError, match=f"deeper than {MAX_DEPTH}"):
        read_documents(text)
    assert time.perf_counter() - start < 3


def test_recursive_alias_refused():
    with pytest.raises(YamlLoadError, match="recursive alias"):
        read_documents("a: &x [1, *x]\n")


def test_moderate_aliasing_is_fine():
    data = read_documents(_billion_laughs(4))[0].data
    assert len(data["a3"]) == 9 and data["a3"][0][0][0][0] == "lol"


@pytest.mark.parametrize("text, hint", [
    ("spec:\n  container:\n\timage: x\n", "a tab character: YAML indents with spaces only"),
    ("spec:\n  container:\n    image: x\n   command: [a]\n", "check this line's indentation"),
    ("spec:\n  - a\n - b\n", ""),
])
def test_syntax_errors_say_what_to_do_about_tabs_and_indentation(text, hint):
    with pytest.raises(YamlLoadError) as info:
        read_documents(text, "w.yaml")
    message = info.value.error.message
    assert message.startswith("YAML syntax error") and hint in message
