"""Output artifacts found and copied out of a run (``Run.artifacts``, ``Run.copy_artifacts``,
``jupyter-flow cp``), with a real run that writes a file and a directory artifact."""
from __future__ import annotations

import pytest

from jupyter_flow.artifacts import FoundArtifact, copy, search
from jupyter_flow.errors import JupyterFlowError
from tests.engine.workflows import run, sh, wf

DOC = wf([
    {"name": "main", "steps": [[{"name": "make", "template": "make"}, {"name": "note", "template": "note"}]]},
    sh("make", "echo hello > /tmp/out.txt; mkdir -p /tmp/tree/sub; echo deep > /tmp/tree/sub/f.txt",
       outputs={"artifacts": [{"name": "greeting", "path": "/tmp/out.txt"},
                              {"name": "tree", "path": "/tmp/tree"}]}),
    sh("note", "echo note > /tmp/n.txt", outputs={"artifacts": [{"name": "greeting", "path": "/tmp/n.txt"}]}),
])


@pytest.fixture
def done():
    r = run(DOC)
    assert r.phase == "Succeeded"
    return r


def _ids(r):
    return {n["displayName"]: n["id"] for n in r.nodes.values()}


def test_search_is_argos_filters(done):
    ids = _ids(done)
    every = done.artifacts()
    assert sorted((a.node_id, a.name, a.template) for a in every) == sorted(
        [(ids["make"], "greeting", "make"), (ids["make"], "tree", "make"), (ids["note"], "greeting", "note")])
    assert all(a.stored is not None and a.stored.exists() for a in every)
    assert [a.node_id for a in done.artifacts(artifact_name="tree")] == [ids["make"]]
    assert sorted(a.name for a in done.artifacts(template_name="make")) == ["greeting", "tree"]
    assert [a.template for a in done.artifacts(node_id=ids["note"])] == ["note"]
    assert done.artifacts(artifact_name="none") == []


def test_copy_lays_files_out_as_argo_cp(done, tmp_path):
    ids = _ids(done)
    written = done.copy_artifacts(tmp_path)
    base = tmp_path / "default" / done.name
    assert sorted(written) == sorted([base / ids["make"] / "outputs" / "greeting" / "greeting",
                                      base / ids["make"] / "outputs" / "tree" / "tree",
                                      base / ids["note"] / "outputs" / "greeting" / "greeting"])
    assert (base / ids["make"] / "outputs" / "greeting" / "greeting").read_text() == "hello\n"
    assert (base / ids["make"] / "outputs" / "tree" / "tree" / "sub" / "f.txt").read_text() == "deep\n"
    # a custom --path, and copying again over what is there
    out = done.copy_artifacts(tmp_path / "c", path="{workflowName}/{templateName}/{artifactName}",
                              artifact_name="greeting")
    assert sorted(p.relative_to(tmp_path / "c").as_posix() for p in out) == [
        f"{done.name}/make/greeting/greeting", f"{done.name}/note/greeting/greeting"]
    assert done.copy_artifacts(tmp_path / "c", path="{workflowName}/{templateName}/{artifactName}",
                               artifact_name="tree") == [tmp_path / "c" / done.name / "make" / "tree" / "tree"]
    assert done.copy_artifacts(tmp_path / "c", path="{workflowName}/{templateName}/{artifactName}",
                               artifact_name="tree") == [tmp_path / "c" / done.name / "make" / "tree" / "tree"]


def test_an_artifact_not_on_this_machine_is_a_clear_error_and_nothing_is_copied(tmp_path):
    nodes = {"w-1": {"templateName": "t", "outputs": {"artifacts": [
        {"name": "ok", "path": "/tmp/a", "local": {"key": "w-1/ok"}},
        {"name": "far", "path": "/tmp/b", "s3": {"key": "w/w-1/far.tgz"}},
        {"name": "sly", "path": "/tmp/c", "local": {"key": "../../etc/passwd"}}]}}}
    root = tmp_path / "store"
    (root / "w-1").mkdir(parents=True)
    (root / "w-1" / "ok").write_text("x")
    found = search(nodes, root)
    assert [(a.name, a.stored) for a in found] == [("ok", root / "w-1" / "ok"), ("far", None), ("sly", None)]
    with pytest.raises(JupyterFlowError, match="artifact 'far' of node w-1 is stored in s3, not on this machine"):
        copy(found, tmp_path / "out", workflow="w")
    assert not (tmp_path / "out").exists()
    gone = FoundArtifact("w-1", "t", "gone", root / "w-1" / "gone", {})
    with pytest.raises(JupyterFlowError, match="'gone' of node w-1: .* is missing from the run's directory"):
        copy([gone], tmp_path / "out", workflow="w")
