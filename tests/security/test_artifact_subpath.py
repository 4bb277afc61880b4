"""A hostile ``subPath`` on an artifact argument is refused, never looked up.

``subPath`` is workflow text (or a step's output, through a tag). It must be a relative path that
stays inside the referenced artifact: ``..`` components, absolute paths, and a path through a link
the producing step stored in its artifact are errors of the consuming node, which never runs.
"""
from __future__ import annotations

import pytest

from jupyter_flow.engine.artifact_refs import clean_subpath, with_subpath
from jupyter_flow.engine.artifacts import ArtifactError
from tests.engine.workflows import ALPINE, by_name, run, wf


@pytest.mark.parametrize("sub", ["../other", "a/../../x", "/etc/passwd", "..", "a\\..\\b", "a\x00b"])
def test_escaping_subpaths_are_refused(sub):
    with pytest.raises(ArtifactError):
        clean_subpath(sub)
    with pytest.raises(ArtifactError):
        with_subpath({"name": "a", "local": {"key": "n1/a"}}, sub)


def test_clean_subpaths_join_the_key():
    rec = with_subpath({"name": "a", "local": {"key": "n1/a"}}, "./d//f.txt")
    assert rec["local"]["key"] == "n1/a/d/f.txt"
    assert with_subpath({"name": "a", "http": {"url": "https://h/x/y"}}, "z")["http"]["url"] == "https://h/x/y/z"
    with pytest.raises(ArtifactError, match="key unsupported"):
        with_subpath({"name": "a", "raw": {"data": "x"}}, "f")


def _consumer_of(sub: str, producer_script: str):
    return wf([
        {"name": "main", "steps": [
            [{"name": "make", "template": "make"}],
            [{"name": "use", "template": "read", "arguments": {"artifacts": [
                {"name": "in", "from": "{{steps.make.outputs.artifacts.out}}", "subPath": sub}]}}]]},
        {"name": "make", "outputs": {"artifacts": [{"name": "out", "path": "/tmp/out"}]},
         "container": dict(ALPINE, args=[producer_script])},
        {"name": "read", "inputs": {"artifacts": [{"name": "in", "path": "/tmp/in"}]},
         "container": dict(ALPINE, args=["cat /tmp/in; echo RAN"])},
    ])


@pytest.mark.parametrize("sub", ["../../../../etc/hostname", "/etc/hostname"])
def test_a_run_with_an_escaping_subpath_errors_the_consumer(sub):
    r = run(_consumer_of(sub, "mkdir -p /tmp/out && echo x > /tmp/out/f"))
    use = by_name(r)["use"]
    assert use["phase"] == "Error" and "subPath" in use["message"], use
    assert r.phase == "Failed"   # steps around the errored consumer
    assert "RAN" not in r.logs(use["id"])


def test_a_subpath_through_a_stored_link_is_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    r = run(_consumer_of("link/secret.txt", f"mkdir -p /tmp/out && ln -s {tmp_path} /tmp/out/link"))
    use = by_name(r)["use"]
    assert use["phase"] == "Error" and "leaves the artifact" in use["message"], use
    assert "TOP-SECRET" not in r.logs(use["id"])
