import json

import pytest

from jupyter_flow.errors import SpecError
from jupyter_flow.spec import Document, load

from .conftest import dedent

WF = dedent("""
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata:
      generateName: hello-
    spec:
      entrypoint: main
      templates:
      - name: main
        container:
          image: alpine
          command: [echo, hi]
    """)


def test_load_text():
    [doc] = load(WF)
    assert isinstance(doc, Document)
    assert doc.kind == "Workflow" and doc.name == "hello-" and doc.filename == "<string>"
    assert doc.locate(("spec", "templates", 0, "container", "command")) == (11, 7)


def test_load_bytes_and_filename():
    [doc] = load(WF.encode(), filename="cell[3]")
    assert doc.filename == "cell[3]"


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".json"])
def test_load_path_str_and_pathlib(tmp_path, suffix):
    path = tmp_path / f"wf{suffix}"
    if suffix == ".json":
        from jupyter_flow.spec.yamlread import read_documents
        path.write_text(json.dumps(read_documents(WF)[0].data, indent=2))
    else:
        path.write_text(WF)
    for source in (path, str(path)):
        [doc] = load(source)
        assert doc.filename == str(path) and doc.name == "hello-"
        assert doc.locate(("spec", "entrypoint")) != (0, 0)


def test_missing_file_is_a_spec_error(tmp_path):
    with pytest.raises(SpecError) as info:
        load(str(tmp_path / "nope.yaml"))
    assert "file not found" in str(info.value)
    # a name given for the text does not hide which file was looked for
    with pytest.raises(SpecError) as info:
        load(str(tmp_path / "nope.json"), filename="cell.yaml")
    assert str(tmp_path / "nope.json") in str(info.value) and "cell.yaml" not in str(info.value)


def test_json_text_with_json_only_escapes():
    text = '{"kind": "Workflow", "metadata": {"name": "a\\/b"},\t"spec": {}}'
    [doc] = load(text)
    assert doc.name == "a/b"


def test_multi_document():
    docs = load(WF + "---\n" + WF.replace("hello-", "second-"))
    assert [d.name for d in docs] == ["hello-", "second-"]
    assert [d.index for d in docs] == [0, 1]
    assert docs[1].locate(("spec",)) == (17, 1)


def test_dict_is_copied_to_plain_data():
    src = {"kind": "Workflow", "spec": {"templates": []}}
    [doc] = load(src)
    assert doc.data == src and doc.data is not src
    assert doc.locate(("spec",)) == (0, 0)


class _HeraLike:
    """Stands in for a Hera Workflow: only ``to_dict`` is used."""

    def to_dict(self):
        return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
                "metadata": {"generateName": "hera-"}, "spec": {"entrypoint": "m", "templates": []}}


class _BuildOnly:
    class _Model:
        def model_dump(self, **kwargs):
            assert kwargs["by_alias"] and kwargs["exclude_none"]
            return {"kind": "Workflow", "metadata": {"name": "built"}}

    def build(self):
        return self._Model()


def test_hera_like_objects():
    [doc] = load(_HeraLike())
    assert doc.name == "hera-" and doc.kind == "Workflow"
    [doc] = load(_BuildOnly())
    assert doc.name == "built"


def test_unsupported_source():
    with pytest.raises(SpecError, match="cannot load a workflow from int"):
        load(42)


def test_top_level_list_is_an_error():
    with pytest.raises(SpecError) as info:
        load("- a\n- b\n", filename="x.yaml")
    [err] = info.value.errors
    assert (err.file, err.line, err.column) == ("x.yaml", 1, 1)
    assert "must be a mapping" in err.message


def test_yaml_syntax_error_position():
    with pytest.raises(SpecError) as info:
        load("kind: Workflow\nspec:\n  entrypoint: [a\n", filename="w.yaml")
    [err] = info.value.errors
    assert err.file == "w.yaml" and err.line == 4
    assert str(err).startswith("w.yaml:4:")


@pytest.mark.timeout(20)
@pytest.mark.parametrize("text", ["[" * 200_000 + "]" * 200_000, '{"a": ' * 100_000 + "1" + "}" * 100_000])
def test_hostile_json_like_text_is_bounded(text):
    with pytest.raises(SpecError, match="deeper than"):
        load(text)


def test_cyclic_or_deep_dicts_are_spec_errors():
    cyclic: dict = {"kind": "Workflow"}
    cyclic["self"] = cyclic
    with pytest.raises(SpecError):
        load(cyclic)
    deep: dict = {}
    node = deep
    for _ in range(100_000):
        node["a"] = {}
        node = node["a"]
    with pytest.raises(SpecError, match="too deeply"):
        load(deep)
