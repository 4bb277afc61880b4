from jupyter_flow.errors import LintError
from jupyter_flow.spec import Document, format_path, load

from .conftest import dedent


def test_format_path_argo_notation():
    assert format_path(("spec", "templates", 1, "container", "args")) == "spec.templates[1].container.args"
    assert format_path(()) == ""
    assert format_path(("spec", "steps", 0, 2)) == "spec.steps[0][2]"


def test_format_path_quotes_dotted_keys():
    path = ("metadata", "labels", "workflows.argoproj.io/no-test")
    assert format_path(path) == 'metadata.labels["workflows.argoproj.io/no-test"]'


def test_kind_and_name():
    doc = Document({"kind": "Workflow", "metadata": {"generateName": "hello-"}})
    assert doc.kind == "Workflow" and doc.name == "hello-"
    doc = Document({"kind": "WorkflowTemplate", "metadata": {"name": "t", "generateName": "x-"}})
    assert doc.name == "t"
    assert Document({}).name is None and Document({}).kind is None
    assert Document({}).filename == "<string>"


def test_kind_inferred_from_spec_shape():
    doc = Document({"spec": {"templates": []}})
    assert doc.kind == "Workflow" and doc.kind_inferred


def test_locate_falls_back_to_nearest_ancestor():
    doc = load(dedent("""
        spec:
          templates:
          - name: a
            container:
              image: x
        """))[0]
    assert doc.locate(("spec",)) == (1, 1)
    assert doc.locate(("spec", "templates", 0)) == (3, 5)
    assert doc.locate(("spec", "templates", 0, "container", "image")) == (5, 7)
    assert doc.locate_value(("spec", "templates", 0, "container", "image")) == (5, 14)
    # deeper than anything written: nearest ancestor
    assert doc.locate(("spec", "templates", 0, "container", "args", 3)) == (4, 5)
    assert doc.locate(("nope", "deeper")) == (1, 1)


def test_locate_unknown_for_dicts():
    doc = Document({"spec": {}})
    assert doc.locate(("spec",)) == (0, 0)
    err = doc.error(("spec",), "boom")
    assert isinstance(err, LintError) and str(err) == "<string>: spec: boom"


def test_error_renders_file_line_col_path():
    doc = load("a:\n  b: [1, 2]\n", filename="f.yaml")[0]
    assert str(doc.error(("a", "b"), "bad", at_value=True)) == "f.yaml:2:6: a.b: bad"
    assert str(doc.error(("a", "b", 1), "bad")) == "f.yaml:2:10: a.b[1]: bad"
