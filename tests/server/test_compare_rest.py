"""``GET jupyter-flow/api/compare?runs=A,B``: the lab's Compare tab's data, over real HTTP."""
from __future__ import annotations

from .helpers import PARAM
from .test_rest import api, submit_wait


async def test_compare_two_runs(jp_fetch):
    a = await submit_wait(jp_fetch, PARAM, parameters={"who": "ada"})
    b = await submit_wait(jp_fetch, PARAM, parameters={"who": "<b>bob</b>"})
    names = [a["metadata"]["name"], b["metadata"]["name"]]
    code, data = await api(jp_fetch, "compare", params={"runs": ",".join(names)})
    assert code == 200, data
    assert [r["name"] for r in data["runs"]] == names
    assert [(p["name"], p["values"], p["differs"]) for p in data["params"]] == [("who", ["ada", "<b>bob</b>"], True)]
    (main,) = [n for n in data["nodes"] if n["path"] == "main"]
    assert main["ids"] == names                   # the roots, matched though named after their runs
    assert [(o["name"], o["values"], o["differs"]) for o in main["outputs"]] == [
        ("exitCode", ["0", "0"], False), ("result", ["hi ada", "hi <b>bob</b>"], True)]
    # durations are whole seconds: on a loaded machine one echo may take two seconds more than the other
    assert [d for d in main["differs"] if d != "duration"] == ["outputs"]
    assert data["plots"]["durations"]["$schema"].endswith("/vega-lite/v5.json")


async def test_compare_refuses_bad_input(jp_fetch):
    a = (await submit_wait(jp_fetch, PARAM))["metadata"]["name"]
    for runs, status, why in [(None, 400, "2 or more"), (a, 400, "2 or more"), (f"{a},{a}", 400, "twice"),
                              (",".join([a] + [f"r{i}" for i in range(50)]), 400, "at most 50"),
                              (f"{a},../../etc", 400, "invalid workflow name"),
                              (f"{a},no-such-run", 404, "not found")]:
        code, data = await api(jp_fetch, "compare", params={"runs": runs} if runs is not None else {})
        assert code == status and why in data["message"], (runs, code, data)


async def test_compare_needs_auth(jp_fetch, http_server_client, jp_base_url):
    r = await http_server_client.fetch(jp_base_url.rstrip("/") + "/jupyter-flow/api/compare?runs=a,b",
                                       raise_error=False)
    assert r.code == 403
