"""``jupyter_flow.compare``: real runs of one small workflow with different parameters, outputs
and artifacts (text, CSV, PNG, hostile text), compared node by node."""
from __future__ import annotations

import base64
import json

import pytest

import jupyter_flow
from jupyter_flow.comparison import MAX_RUNS, compare, node_paths
from jupyter_flow.comparison.plots import MIME
from jupyter_flow.errors import JupyterFlowError
from tests.engine.workflows import run, sh, wf

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 8
HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def _octal(data: bytes) -> str:
    return "".join(f"\\{b:03o}" for b in data)


def doc(tag_color: str = "blue"):
    train = (
        "printf 'loss {{inputs.parameters.lr}}\\nline two\\n' > /tmp/report.txt; "
        "printf 'epoch,loss,acc\\n1,0.5,0.7\\n2,{{inputs.parameters.lr}},0.8\\n' > /tmp/m.csv; "
        f"printf '{_octal(PNG)}{{{{inputs.parameters.lr}}}}' > /tmp/plot.png; "
        "printf '%s' \"$NOTE\" > /tmp/note.txt; "
        "printf '<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(3)\"/>' > /tmp/pic.png; "
        "echo {{inputs.parameters.lr}} > /tmp/lr; awk 'BEGIN{print 1-{{inputs.parameters.lr}}}' > /tmp/acc")
    t = sh("train", train,
           inputs={"parameters": [{"name": "lr"}, {"name": "note"}]},
           outputs={"parameters": [{"name": "lr", "valueFrom": {"path": "/tmp/lr"}},
                                           {"name": "acc", "valueFrom": {"path": "/tmp/acc"}}],
                    "artifacts": [{"name": "report", "path": "/tmp/report.txt"},
                                  {"name": "table", "path": "/tmp/m.csv"},
                                  {"name": "plot", "path": "/tmp/plot.png"},
                                  {"name": "note", "path": "/tmp/note.txt"},
                                  {"name": "pic", "path": "/tmp/pic.png"}]},
           metrics={"prometheus": [{"name": "accuracy", "help": "validation accuracy",
                                    "labels": [{"key": "split", "value": "val"},
                                               {"key": "note", "value": "{{inputs.parameters.note}}"}],
                                    "gauge": {"value": "{{outputs.parameters.acc}}", "realtime": False}}]})
    t["container"]["env"] = [{"name": "NOTE", "value": "{{inputs.parameters.note}}"}]
    d = wf([
        {"name": "main", "dag": {"tasks": [
            {"name": "prep", "template": "prep"},
            {"name": "train", "template": "train", "dependencies": ["prep"],
             "arguments": {"parameters": [{"name": "lr", "value": "{{workflow.parameters.lr}}"},
                                          {"name": "note", "value": "{{workflow.parameters.note}}"}]}}]}},
        sh("prep", "echo same"), t])
    d["spec"]["arguments"] = {"parameters": [{"name": "lr", "value": "0.1"}, {"name": "epochs", "value": "3"},
                                             {"name": "note", "value": "x"}]}
    return d


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    import os
    home = tmp_path_factory.mktemp("jf-compare")
    old = os.environ.get("JUPYTER_FLOW_HOME")
    os.environ["JUPYTER_FLOW_HOME"] = str(home)
    try:
        a = run(doc(), parameters={"lr": "0.1", "note": "plain"})
        b = run(doc(), parameters={"lr": "0.25", "note": HOSTILE})
        assert a.phase == b.phase == "Succeeded"
        yield home, a, b
    finally:
        if old is None:
            os.environ.pop("JUPYTER_FLOW_HOME", None)
        else:
            os.environ["JUPYTER_FLOW_HOME"] = old


@pytest.fixture
def cmp(two, monkeypatch):
    home, a, b = two
    monkeypatch.setenv("JUPYTER_FLOW_HOME", str(home))
    return compare(a.name, b)


def test_params_that_differ(cmp, two):
    _, a, b = two
    assert cmp.names == [a.name, b.name]
    assert {p["name"]: p["values"] for p in cmp.differing_params} == {"lr": ["0.1", "0.25"],
                                                                       "note": ["plain", HOSTILE]}
    assert [p["name"] for p in cmp.params if not p["differs"]] == ["epochs"]


def test_nodes_matched_by_path_across_runs(cmp, two):
    _, a, b = two
    paths = {n["path"]: n for n in cmp.nodes}
    assert set(paths) == {"main", "main/prep", "main/train"}
    train, prep = paths["main/train"], paths["main/prep"]
    # node ids differ per run, the path matched them
    assert train["ids"][0] != train["ids"][1] and None not in train["ids"]
    assert "outputs" in train["differs"] and "artifacts" in train["differs"]
    assert "missing" not in train["differs"]
    assert prep["differs"] == []
    lr = next(o for o in train["outputs"] if o["name"] == "parameter.lr")
    assert lr["values"] == ["0.1", "0.25"] and lr["differs"]


def test_node_paths_follow_boundaries_and_number_repeats():
    nodes = {"w": {"displayName": "w", "templateName": "main", "startedAt": "2026-01-01T00:00:00Z"},
             "a1": {"displayName": "a", "boundaryID": "w", "startedAt": "2026-01-01T00:00:01Z"},
             "a2": {"displayName": "a", "boundaryID": "w", "startedAt": "2026-01-01T00:00:02Z"},
             "c": {"displayName": "c", "boundaryID": "a1", "startedAt": "2026-01-01T00:00:03Z"},
             "l": {"displayName": "t(1:{\"lr\":\"0.1\"})", "boundaryID": "w", "startedAt": "2026-01-01T00:00:04Z"}}
    assert node_paths(nodes) == {"w": "main", "a1": "main/a", "a2": "main/a#2", "c": "main/a/c", "l": "main/t(1)"}


def _art(cmp, name):
    train = next(n for n in cmp.nodes if n["path"].endswith("train"))
    return next(a for a in train["artifacts"] if a["name"] == name)


def test_text_artifact_as_unified_diff(cmp, two):
    _, a, b = two
    rep = _art(cmp, "report")
    assert rep["kind"] == "text" and rep["differs"] and rep["diffs"][0] is None
    diff = rep["diffs"][1]["diff"]
    assert f"--- {a.name}/report" in diff and f"+++ {b.name}/report" in diff
    assert "-loss 0.1" in diff and "+loss 0.25" in diff and " line two" in diff


def test_csv_artifact_as_table_delta(cmp):
    d = _art(cmp, "table")["diffs"][1]
    assert d["kind"] == "csv" and d["rows"] == [2, 2] and not d["columns_added"]
    assert d["changes"] == [{"row": 2, "column": "loss", "a": "0.1", "b": "0.25", "delta": pytest.approx(0.15)}]


def test_images_side_by_side_only_verified_raster(cmp):
    plot = _art(cmp, "plot")
    assert plot["kind"] == "image"
    assert [base64.b64decode(u.split(",", 1)[1]) for u in plot["images"]] == [PNG + b"0.1", PNG + b"0.25"]
    assert all(u.startswith("data:image/png;base64,") for u in plot["images"])
    pic = _art(cmp, "pic")            # SVG named .png: same in both runs, and never an image
    assert pic["kind"] != "image" and not pic["differs"] and pic["images"] is None


def test_hostile_artifact_and_parameter_stay_escaped(cmp):
    note = _art(cmp, "note")
    assert HOSTILE in note["diffs"][1]["diff"]          # the data is kept as text ...
    page = cmp._repr_mimebundle_()["text/html"]
    assert "<script" not in page and "<img src=x" not in page and "onerror=alert" not in page.replace(
        "onerror=alert(2)&gt;", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page   # ... and shown escaped
    assert page.count("<img ") == 2 and page.count('src="data:image/png;base64,') == 2
    assert "onload" not in page.replace("onload=&quot;", "")


def test_plots_are_vega_lite_v5(cmp):
    jsonschema = pytest.importorskip("jsonschema")
    altair = pytest.importorskip("altair")
    from pathlib import Path
    schema = json.loads((Path(altair.__file__).parent / "vegalite" / "v5" / "schema" /
                         "vega-lite-schema.json").read_text())
    specs = cmp.plots()
    for spec in specs.values():
        jsonschema.Draft7Validator(schema).validate(spec)
    nodes = {v["node"] for v in specs["durations"]["data"]["values"]}
    assert any(n.endswith("train") for n in nodes)
    bundle = cmp.plot("durations")._repr_mimebundle_()
    assert MIME == "application/vnd.vegalite.v5+json" and bundle[MIME]["$schema"].endswith("/v5.json")
    with pytest.raises(JupyterFlowError, match="no 'heatmap' plot"):
        cmp.plot("heatmap")
    assert "scatter" not in compare(*cmp._handles, store=None).plots("no-such-metric")


def test_metrics_side_by_side_and_their_plots(cmp, two):
    """Run.metrics (from the steps' metrics.prometheus), matched by name and node path: the node
    ids and a label (the hostile note) differ per run, the row is one."""
    jsonschema = pytest.importorskip("jsonschema")
    altair = pytest.importorskip("altair")
    from pathlib import Path
    assert cmp.metrics == [{"name": "accuracy", "node": "main/train", "values": [0.9, 0.75], "differs": True,
                            "labels": [{"split": "val", "note": "plain"}, {"split": "val", "note": HOSTILE}]}]
    schema = json.loads((Path(altair.__file__).parent / "vegalite" / "v5" / "schema" /
                         "vega-lite-schema.json").read_text())
    specs = cmp.plots()
    assert set(specs) == {"scatter", "parallel", "durations"}
    for spec in specs.values():
        jsonschema.Draft7Validator(schema).validate(spec)
    assert {(v["parameter"], v["value"], v["metric"]) for v in specs["scatter"]["data"]["values"]} == {
        ("lr", 0.1, 0.9), ("lr", 0.25, 0.75)}
    axes = {v["axis"] for v in specs["parallel"]["data"]["values"]}
    assert axes == {"lr", "accuracy @ main/train"}
    page = cmp._repr_mimebundle_()["text/html"]
    assert "accuracy" in page and "0.75" in page and "<script" not in page


def test_to_frame(cmp):
    pytest.importorskip("pandas")
    f = cmp.to_frame()
    assert list(f["param.lr"]) == ["0.1", "0.25"]
    assert any(col.startswith("duration.") and col.endswith("train") for col in f.columns)


def test_bad_calls_are_clear_errors(two, monkeypatch):
    home, a, b = two
    monkeypatch.setenv("JUPYTER_FLOW_HOME", str(home))
    with pytest.raises(JupyterFlowError, match="at least 2"):
        compare(a)
    with pytest.raises(JupyterFlowError, match="given twice"):
        compare(a, a.name)
    with pytest.raises(JupyterFlowError, match=f"at most {MAX_RUNS}"):
        compare(*[a] * (MAX_RUNS + 1))
    with pytest.raises(JupyterFlowError, match="not found"):
        compare(a, "no-such-run")
    assert jupyter_flow.compare([a, b]).names == [a.name, b.name]   # one iterable of runs


def test_an_experiment_compares_its_runs():
    exp = jupyter_flow.sweep(doc(), {"lr": ["0.5", "0.75"]}, wait=True)
    c = jupyter_flow.compare(exp)
    assert sorted(c.names) == sorted(exp.runs.names)
    assert sorted(next(p for p in c.params if p["name"] == "lr")["values"]) == ["0.5", "0.75"]


def test_artifact_link_out_of_the_run_is_not_read(two, monkeypatch, tmp_path):
    """A stored artifact replaced by a link to a file outside the run's directory is not read."""
    home, a, b = two
    monkeypatch.setenv("JUPYTER_FLOW_HOME", str(home))
    c = compare(a, b)
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET\n")
    train = next(n for n in c.nodes if n["path"].endswith("train"))
    from jupyter_flow.store import open_store
    st = open_store(home)
    node = b.nodes[train["ids"][1]]
    art = next(x for x in node["outputs"]["artifacts"] if x["name"] == "report")
    target = st.artifact_dir(b.name) / art["local"]["key"]
    saved = target.read_bytes()
    target.unlink()
    target.symlink_to(secret)
    try:
        c2 = compare(a, b)
        rep = _art(c2, "report")
        assert rep["digests"][1] is None and "TOP SECRET" not in json.dumps(c2.to_dict(plots=False))
    finally:
        target.unlink()
        target.write_bytes(saved)


def test_loop_children_match_by_index_though_their_items_differ():
    d = wf([{"name": "main", "steps": [[{"name": "t", "template": "echo", "withParam": "{{workflow.parameters.items}}",
                                         "arguments": {"parameters": [{"name": "x", "value": "{{item}}"}]}}]]},
            sh("echo", "echo {{inputs.parameters.x}}", inputs={"parameters": [{"name": "x"}]})])
    d["spec"]["arguments"] = {"parameters": [{"name": "items", "value": "[]"}]}
    a = run(d, parameters={"items": '["a", "b"]'})
    b = run(d, parameters={"items": '["a", "c"]'})
    c = compare(a, b)
    loop = {n["path"]: n for n in c.nodes if n["type"] == "Pod"}
    assert sorted(p.rsplit("/", 1)[1] for p in loop) == ["t(0)", "t(1)"], sorted(loop)
    assert all(None not in n["ids"] for n in loop.values())
    first, second = sorted(loop.values(), key=lambda n: n["path"])
    assert "missing" not in first["differs"] and "outputs" not in first["differs"]
    assert next(o for o in second["outputs"] if o["name"] == "result")["values"] == ["b", "c"]


def test_a_duration_differs_beyond_the_resolution_of_argos_timestamps():
    """Timestamps are whole seconds: 0 s against 1 s is one step crossing a second, not a difference;
    two seconds apart (and at least half the shorter) is."""
    from jupyter_flow.comparison import _durations_differ
    assert not _durations_differ([0.0, 1.0])
    assert not _durations_differ([5.0, None])
    assert _durations_differ([0.0, 2.0])
    assert _durations_differ([2.0, 5.0])
    assert not _durations_differ([10.0, 12.0])      # 20 %: not worth showing
    assert _durations_differ([10.0, 15.0, 11.0])
