"""HTTP templates, run by the engine itself (Argo runs them in its agent pod)."""
from __future__ import annotations

import asyncio
import urllib.error
import urllib.request
from typing import TYPE_CHECKING

from .. import expr
from ..errors import ExprError
from .nodes import ERROR, FAILED, RUNNING, SUCCEEDED

if TYPE_CHECKING:
    from .call import Call


class ResponseTooLarge(Exception):
    """A response body over the string budget: the engine would hold it whole (``outputs.result``)."""


def _read(resp, limit: int) -> str:
    data = resp.read(limit + 1)
    if len(data) > limit:
        raise ResponseTooLarge(f"the response body is over {limit} bytes (limits.maxStringBytes)")
    return data.decode("utf-8", "replace")


def _fetch(method: str, url: str, headers: dict, body: str | None, timeout: float):
    from ..expr.limits import max_string
    from .artifacts import fetch_problem
    # Argo's agent pod speaks HTTP only; here urllib would also open file:// (a host file, or
    # /dev/zero, read forever into memory): only http(s), and a body within the string budget
    refused = fetch_problem(url, "url")
    if refused:
        raise ValueError(refused)
    req = urllib.request.Request(url, method=method, headers=headers,
                                 data=body.encode() if body is not None else None)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), _read(resp, max_string())
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers or {}), _read(exc, max_string())


async def run_http(call: "Call", node, local: dict) -> None:
    ctl = call.ctl
    spec = expr.substitute_obj(call.tmpl.get("http") or {}, ctl.scope(local))
    ctl.set_phase(node, RUNNING)
    method = spec.get("method") or "GET"
    url = spec.get("url", "")
    headers = {h["name"]: str(h.get("value", "")) for h in spec.get("headers") or [] if "value" in h}
    try:
        status, resp_headers, body = await asyncio.get_running_loop().run_in_executor(
            None, _fetch, method, url, headers, spec.get("body"), float(spec.get("timeoutSeconds") or 30))
    except Exception as exc:
        ctl.set_phase(node, ERROR, f"http request {method} {url} failed: {exc} "
                                   "(this machine may have no network access)")
        return
    node.outputs = {"result": body}
    cond = spec.get("successCondition")
    if cond:
        env = {"request": {"method": method, "url": url, "body": spec.get("body") or "", "headers": headers},
               "response": {"statusCode": status, "body": body, "headers": resp_headers}}
        try:
            ok = expr.evaluate(cond, env) is True
        except ExprError as exc:
            ctl.set_phase(node, ERROR, f"successCondition: {exc}")
            return
    else:
        ok = 200 <= status < 300
    ctl.set_phase(node, SUCCEEDED if ok else FAILED,
                  "" if ok else f"received non-2xx response code: {status}" if not cond else
                  "successCondition evaluated false")
