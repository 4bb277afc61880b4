"""Fetching an ``http`` input artifact on this machine, within a byte budget and a deadline.

Argo fetches it inside the step's pod; here the engine fetches it on the host before the step
starts, so the URL's server decides how much lands on this disk and for how long the step waits.
A response that never ends (or a huge ``Content-Length``) would fill the disk, one that drips a
byte at a time would hold the step for ever. Both are bounded:

* ``limits.maxArtifactBytes`` (``$JUPYTER_FLOW_MAX_ARTIFACT_BYTES``), 10 GiB by default: the
  bytes one artifact may bring; more errors the node and the partial file is removed;
* ``limits.artifactFetchSeconds`` (``$JUPYTER_FLOW_ARTIFACT_FETCH_SECONDS``), 900 s by default:
  the whole download: at the deadline a watchdog shuts the connection's sockets down, so a
  server dripping its headers or its TLS handshake cannot hold the step either.
"""
from __future__ import annotations

import http.client
import socket
import threading
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
    socks: list[socket.socket] = []
    fired = threading.Event()

    def expire() -> None:   # unblocks any read in progress, headers and TLS included
        fired.set()
        for sock in list(socks):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
    watchdog = threading.Timer(seconds, expire)
    watchdog.daemon = True
    watchdog.start()
    try:
        with _opener(socks, fired).open(url, timeout=min(_READ_TIMEOUT, float(seconds))) as resp, \
                open(target, "wb") as out:
            opened = True
            length = resp.headers.get("Content-Length")
            if length and length.strip().isdigit() and int(length) > budget:
                raise FetchError(f"it is {int(length)} bytes, over the limit of {budget} bytes "
                                 f"({_knob('maxArtifactBytes', 'JUPYTER_FLOW_MAX_ARTIFACT_BYTES')})")
            sock = getattr(getattr(getattr(resp, "fp", None), "raw", None), "_sock", None)
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or fired.is_set():
                    raise FetchError(_late(seconds, written))
                if sock is not None:
                    sock.settimeout(max(0.05, min(_READ_TIMEOUT, left)))
                chunk = resp.read1(min(_CHUNK, budget - written + 1))   # what has come, not a full chunk
                if not chunk:
                    if fired.is_set():
                        raise FetchError(_late(seconds, written))
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
        if fired.is_set() or (isinstance(exc, TimeoutError) and time.monotonic() >= deadline):
            raise FetchError(_late(seconds, written)) from None
        raise FetchError(f"{exc} (this machine may have no internet access)") from None
    finally:
        watchdog.cancel()


def _late(seconds: int, written: int) -> str:
    return (f"it took longer than {seconds} s ({written} bytes so far; "
            f"{_knob('artifactFetchSeconds', 'JUPYTER_FLOW_ARTIFACT_FETCH_SECONDS')})")


def _opener(socks: list, expired: threading.Event) -> urllib.request.OpenerDirector:
    """urllib's opener whose connections record their sockets in ``socks`` (for the watchdog)."""
    def recording(base):
        class Conn(base):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)

                def create(*a, **kw):
                    sock = socket.create_connection(*a, **kw)
                    socks.append(sock)
                    if expired.is_set():   # connected after the deadline: the read fails at once
                        sock.shutdown(socket.SHUT_RDWR)
                    return sock
                self._create_connection = create
        return Conn
    plain, tls = recording(http.client.HTTPConnection), recording(http.client.HTTPSConnection)

    class Plain(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(plain, req)

    class Tls(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(tls, req, context=self._context)
    return urllib.request.build_opener(Plain, Tls)


def _knob(key: str, env: str) -> str:
    return f"raise limits.{key} in config.yaml or ${env}"
