"""Key-only artifacts (``s3: {key: ...}`` and nothing else) live in the default artifact
repository, ``$JUPYTER_FLOW_HOME/artifact-repository``: an output is saved at its key, an input
reads its key, and the repository is shared by every workflow of the home, as Argo's default
bucket is. Keys are workflow text: one that leaves the repository is refused. Real processes."""
from __future__ import annotations

from tests.engine.workflows import by_name, logs, run, sh, wf


def _writer(key: str) -> dict:
    return sh("main", "mkdir -p /tmp/out && echo hello > /tmp/out/f && echo two > /tmp/out/g",
              outputs={"artifacts": [{"name": "out", "path": "/tmp/out", "archive": {"none": {}},
                                      "s3": {"key": key}}]})


def _reader(key: str, path: str = "/tmp/in") -> dict:
    return sh("main", f"cat {path}/f {path}/g",
              inputs={"artifacts": [{"name": "in", "path": path, "s3": {"key": key}}]})


def test_a_key_written_by_one_workflow_is_read_by_another(flow_home):
    first = run(wf([_writer("shared/{{workflow.name}}/dir/")]))
    assert first.phase == "Succeeded", first.to_dict()["status"].get("message")
    stored = flow_home / "artifact-repository" / "shared" / first.name / "dir"
    assert (stored / "f").read_text() == "hello\n"
    second = run(wf([_reader(f"shared/{first.name}/dir")]))
    assert second.phase == "Succeeded", second.to_dict()["status"].get("message")
    assert logs(second, second.name) == "hello\ntwo"


def test_a_key_prefix_reads_as_the_directory_of_its_keys(flow_home):
    doc = wf([
        {"name": "main", "steps": [[{"name": "a", "template": "put", "arguments": {"parameters": [
            {"name": "n", "value": "1"}]}}, {"name": "b", "template": "put", "arguments": {"parameters": [
                {"name": "n", "value": "2"}]}}], [{"name": "sum", "template": "sum"}]]},
        sh("put", "echo {{inputs.parameters.n}} > /tmp/v", inputs={"parameters": [{"name": "n"}]},
           outputs={"artifacts": [{"name": "v", "path": "/tmp/v", "archive": {"none": {}},
                                   "s3": {"key": "{{workflow.name}}/results/{{inputs.parameters.n}}"}}]}),
        sh("sum", "cat /tmp/in/1 /tmp/in/2",
           inputs={"artifacts": [{"name": "all", "path": "/tmp/in", "s3": {"key": "{{workflow.name}}/results"}}]}),
    ])
    r = run(doc)
    assert r.phase == "Succeeded", r.to_dict()["status"].get("message")
    assert logs(r, "sum") == "1\n2"


def test_a_missing_key_is_an_error_naming_it(flow_home):
    r = run(wf([_reader("nobody/wrote/this")]))
    assert r.phase == "Error"
    assert "nobody/wrote/this" in by_name(r)[r.name]["message"]


def test_keys_leaving_the_repository_are_refused(flow_home, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "f").write_text("secret\n")
    (outside / "g").write_text("secret\n")
    for key in ("../outside", "a/../../outside", "/etc", str(outside)):
        r = run(wf([_reader(key)]))
        assert r.phase == "Error", key
        assert "secret" not in r.logs(r.name)
        assert "key" in by_name(r)[r.name]["message"]
    w = run(wf([_writer("../escaped")]))
    assert w.phase == "Error"
    assert not (flow_home / "escaped").exists()
    # a link planted in the repository is not followed out of it
    repo = flow_home / "artifact-repository"
    repo.mkdir(exist_ok=True)
    (repo / "link").symlink_to(outside)
    r = run(wf([_reader("link")]))
    assert r.phase == "Error"
    assert "secret" not in r.logs(r.name)
    w = run(wf([_writer("link/x")]))
    assert w.phase == "Error"
    assert not (outside / "x").exists()
