"""Fetching an ``http`` input artifact on this machine, within a byte budget and a deadline.

Argo fetches it inside the step's pod; here the engine fetches it on the host before the step
starts, so the URL's server decides how much lands on this disk and for how long the step waits.
A response that never ends (or a huge ``Content-Length``) would fill the disk, one that drips a
byte at a time would hold the step for ever. Both are bounded:

* ``limits.maxArtifactBytes`` (``$JUPYTER_FLOW_MAX_ARTIFACT_BYTES``), 10 GiB by default: the
  bytes one artifact may bring; more errors the node and the partial file is removed;
* ``limits.artifactFetchSeconds`` (``$JUPYTER_FLOW_ARTIFACT_FETCH_SECONDS``), 900 s by default:
  the whole download, checked between reads; each read waits at most what is left (and 20 s).
"""
from __future__ import annotations

import time
import urllib.request
from pathlib import Path

from ..config import limit

DEFAULT_MAX_BYTES = 10 * 1024 ** 3
DEFAULT_SECONDS = 900
_CHUNK = 1 << 16
_READ_TIMEOUT = 20.0


class FetchError(Exception):
    """The download failed or went over a budget (the message says which)."""


def max_bytes() -> int:
    return limit("maxArtifactBytes", "JUPYTER_FLOW_MAX_ARTIFACT_BYTES", DEFAULT_MAX_BYTES)


def max_seconds() -> int:
    return limit("artifactFetchSeconds", "JUPYTER_FLOW_ARTIFACT_FETCH_SECONDS", DEFAULT_SECONDS)


def fetch_http(url: str, target: Path) -> int:
    """Download ``url`` into ``target``; returns the bytes written. On any failure (over a budget
    included) the partial file is removed and :class:`FetchError` says why."""
    budget, seconds = max_bytes(), max_seconds()
    deadline = time.monotonic() + seconds
    written = 0
    opened = False
    try:
        with urllib.request.urlopen(url, timeout=min(_READ_TIMEOUT, float(seconds))) as resp, \
                open(target, "wb") as out:
            opened = True
            length = resp.headers.get("Content-Length")
            if length and length.strip().isdigit() and int(length) > budget:
                raise FetchError(f"it is {int(length)} bytes, over the limit of {budget} bytes "
                                 f"({_knob('maxArtifactBytes', 'JUPYTER_FLOW_MAX_ARTIFACT_BYTES')})")
            sock = getattr(getattr(getattr(resp, "fp", None), "raw", None), "_sock", None)
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise FetchError(f"it took longer than {seconds} s ({written} bytes so far; "
                                     f"{_knob('artifactFetchSeconds', 'JUPYTER_FLOW_ARTIFACT_FETCH_SECONDS')})")
                if sock is not None:
                    sock.settimeout(max(0.05, min(_READ_TIMEOUT, left)))
                chunk = resp.read1(min(_CHUNK, budget - written + 1))   # what has come, not a full chunk
                if not chunk:
                    return written
                written += len(chunk)
                if written > budget:
                    raise FetchError(f"it is over the limit of {budget} bytes "
                                     f"({_knob('maxArtifactBytes', 'JUPYTER_FLOW_MAX_ARTIFACT_BYTES')})")
                out.write(chunk)
    except FetchError:
        target.unlink(missing_ok=True)
        raise
    except Exception as exc:
        if opened:
            target.unlink(missing_ok=True)
        if isinstance(exc, TimeoutError) and time.monotonic() >= deadline:
            raise FetchError(f"it took longer than {seconds} s ({written} bytes so far; "
                             f"{_knob('artifactFetchSeconds', 'JUPYTER_FLOW_ARTIFACT_FETCH_SECONDS')})") from None
        raise FetchError(f"{exc} (this machine may have no internet access)") from None


def _knob(key: str, env: str) -> str:
    return f"raise limits.{key} in config.yaml or ${env}"
