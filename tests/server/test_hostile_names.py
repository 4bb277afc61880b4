"""The REST API and hostile names (issue 16, item 2; the other ways in: tests/security/test_names_paths.py), over real HTTP (pytest-jupyter's server).

A new run's name must be a Workflow name; a row an older version stored under a bad name (``..``,
an absolute path) can still be read and deleted through the API, so the lab panel can remove it,
and deleting it removes nothing outside the home's ``runs/``.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.security.test_names_paths import HELLO, _old_row, intact, rows


@pytest.fixture
def sentinel(tmp_path):
    d = tmp_path / "project"
    d.mkdir()
    (d / "precious.txt").write_text("user data\n")
    return d


def _segment(name: str) -> str:
    """One URL path segment for ``name``, as the lab's ``encodeURIComponent`` makes it, with '.'
    encoded too (a bare '..' segment would be resolved away before it reached the server)."""
    return quote(name, safe="").replace(".", "%2E")


async def _raw(http_server_client, jp_base_url, jp_auth_header, name, method="GET"):
    """A request for ``runs/<name>`` built by hand: jp_fetch would encode the encoded segment again."""
    url = jp_base_url + "jupyter-flow/api/runs/" + _segment(name)
    r = await http_server_client.fetch(url, method=method, headers=dict(jp_auth_header), raise_error=False)
    return r.code, (json.loads(r.body) if r.body else None)


async def _call(jp_fetch, *parts, method="GET", body=None, params=None):
    kwargs = dict(method=method, raise_error=False, params=params)
    if body is not None:
        kwargs["body"] = json.dumps(body)
    r = await jp_fetch("jupyter-flow", "api", *parts, **kwargs)
    return r.code, (json.loads(r.body) if r.body else None)


async def test_rest_submit_refuses_hostile_names(jp_fetch, flow_home, sentinel):
    ok = HELLO.format(name="fine")
    for extra in ({"name": str(sentinel)}, {"name": ".."}, {"generateName": "../x-"},
                  {"generateName": str(sentinel) + "/"}):
        code, data = await _call(jp_fetch, "runs", method="POST", body={"yaml": ok, **extra})
        assert code in (400, 422), (extra, code, data)
    code, data = await _call(jp_fetch, "runs", method="POST",
                             body={"yaml": HELLO.format(name=json.dumps(str(sentinel))), "filename": "w.yaml"})
    assert code == 422
    assert any(e["path"] == "metadata.name" and e["line"] == 4 for e in data["errors"]), data
    assert intact(sentinel)
    assert rows(flow_home) == []


async def test_rest_reads_and_deletes_old_bad_rows_without_touching_anything_outside(
        jp_fetch, http_server_client, jp_base_url, jp_auth_header, flow_home, sentinel):
    (flow_home / "keep.txt").write_text("home file\n")
    names = [str(sentinel), "..", os.path.relpath(sentinel, flow_home / "runs")]
    for name in names:
        _old_row(flow_home, name)
    code, data = await _call(jp_fetch, "runs")
    assert code == 200 and set(names) <= {r["name"] for r in data["runs"]}
    for name in names:
        code, wf = await _raw(http_server_client, jp_base_url, jp_auth_header, name)
        assert code == 200 and wf["metadata"]["name"] == name, (name, code, wf)
        code, answer = await _raw(http_server_client, jp_base_url, jp_auth_header, name, method="DELETE")
        assert code == 200 and answer == {"name": name, "deleted": True}, (name, code, answer)
    assert rows(flow_home) == []
    assert intact(sentinel)
    assert (flow_home / "keep.txt").exists() and Path(flow_home / "runs").is_dir()
    code, _ = await _raw(http_server_client, jp_base_url, jp_auth_header, "/nope/never-stored", method="DELETE")
    assert code == 400


async def test_a_run_stored_as_dot_dot_is_deleted_by_query_as_the_lab_does(jp_fetch, flow_home, sentinel):
    # a browser resolves runs/%2E%2E/delete to /delete: the lab sends DELETE runs?name=.. instead
    (flow_home / "keep.txt").write_text("home file\n")
    for name in ("..", "."):
        _old_row(flow_home, name)
        code, answer = await _call(jp_fetch, "runs", method="DELETE", params={"name": name})
        assert code == 200 and answer == {"name": name, "deleted": True}, (code, answer)
    assert rows(flow_home) == []
    assert (flow_home / "keep.txt").exists() and (flow_home / "runs").is_dir()
    code, _ = await _call(jp_fetch, "runs", method="DELETE", params={"name": "never-stored"})
    assert code == 404
    code, _ = await _call(jp_fetch, "runs", method="DELETE")
    assert code == 400
