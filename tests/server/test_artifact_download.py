"""Artifact downloads whose file names or sizes a step chose (issue 16.7), against the real server.

A step names the files of a directory artifact: a name with a quote, a tab, a carriage return or
non-Latin-1 text went into ``Content-Disposition`` as it was (tornado refuses control characters
in a header: a 500; a non-Latin-1 name broke the response), and a quote let the name add its own
parameters to the header. A big artifact was buffered whole in the server's memory before the
first byte left (``write`` without ``flush``): a step writing a few GB could exhaust the Jupyter
server's memory when the user clicked it.
"""
from __future__ import annotations

import re
import tracemalloc
from urllib.parse import unquote

import pytest

from .test_rest import pod, submit_wait


async def _stored(jp_fetch, flow_home):
    wf = await submit_wait(jp_fetch)
    name, node = wf["metadata"]["name"], pod(wf)["id"]
    from jupyter_flow.store import open_store
    root = open_store(flow_home).artifact_dir(name) / node / "out"
    root.mkdir(parents=True)
    return name, node, root


@pytest.mark.parametrize("filename", ['a"; filename*=UTF-8\'\'evil.html; x=".txt', "tab\there.txt",
                                      "cr\rhere.txt", "naïve-日本.txt"])
async def test_a_hostile_file_name_downloads_with_a_safe_header(jp_fetch, flow_home, filename):
    name, node, root = await _stored(jp_fetch, flow_home)
    (root / filename).write_bytes(b"payload")
    r = await jp_fetch("jupyter-flow", "api", "runs", name, "artifacts", node, "out", filename, raise_error=False)
    assert r.code == 200, r.body[:300]
    assert r.body == b"payload"
    disposition = r.headers["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    # exactly two parameters, read with quoted strings as RFC 6266 reads them: the ASCII
    # stand-in, and filename* holding the file's own name
    params = re.findall(r';\s*([^=;\s]+)=("(?:[^"\\]|\\.)*"|[^;]*)', disposition)
    assert [k for k, _ in params] == ["filename", "filename*"]
    assert re.fullmatch(r';\s*filename="[^"\\]*";\s*filename\*=[^;]*', disposition[len("attachment"):])
    charset, _, encoded = dict(params)["filename*"].partition("''")
    assert charset == "UTF-8" and unquote(encoded) == filename
    assert all(0x20 <= ord(c) < 0x7f for c in disposition)


async def test_a_big_artifact_is_streamed_not_buffered(jp_fetch, flow_home):
    name, node, root = await _stored(jp_fetch, flow_home)
    size = 48 << 20
    with open(root / "big.bin", "wb") as fh:
        fh.truncate(size)
    received = 0

    def count(chunk: bytes) -> None:
        nonlocal received
        received += len(chunk)

    tracemalloc.start()
    try:
        r = await jp_fetch("jupyter-flow", "api", "runs", name, "artifacts", node, "out", "big.bin",
                           streaming_callback=count, request_timeout=60)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert r.code == 200 and received == size
    assert peak < 12 << 20, f"the server held {peak >> 20} MB for a {size >> 20} MB artifact"
