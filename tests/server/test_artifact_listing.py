"""A directory artifact's listing is capped (issue 16.3, red-team follow-up), against the real
server: a step decides how many files its output holds, and the listing of a directory of more
than 10,000 entries used to be every name, built and sorted whole in the server's memory."""
from __future__ import annotations

import os

from jupyter_flow.server.listing import MAX_ENTRIES

from .test_artifact_download import _stored
from .test_rest import api


async def test_a_huge_directory_lists_the_first_entries_and_says_it_is_truncated(jp_fetch, flow_home):
    name, node, root = await _stored(jp_fetch, flow_home)
    count = MAX_ENTRIES + 25
    for i in range(count):
        os.close(os.open(root / f"f{i:06d}", os.O_CREAT | os.O_WRONLY, 0o600))
    (root / "a-dir").mkdir()
    code, listing = await api(jp_fetch, "runs", name, "artifacts", node, "out")
    assert code == 200
    assert listing["truncated"] is True and listing["total"] == count + 1
    assert len(listing["entries"]) == MAX_ENTRIES
    assert listing["entries"][:3] == ["a-dir/", "f000000", "f000001"]
    assert listing["entries"][-1] == f"f{MAX_ENTRIES - 2:06d}"
    assert listing["key"] == f"{node}/out"


async def test_a_small_directory_is_listed_whole(jp_fetch, flow_home):
    name, node, root = await _stored(jp_fetch, flow_home)
    (root / "b.txt").write_text("b")
    (root / "a").mkdir()
    code, listing = await api(jp_fetch, "runs", name, "artifacts", node, "out")
    assert code == 200
    assert listing["entries"] == ["a/", "b.txt"]
    assert listing["truncated"] is False and listing["total"] == 2
