"""``jupyter-flow server``: Argo Server's REST API on this machine (default 127.0.0.1:2746).

Auth: every request needs ``Authorization: Bearer <token>``. The token is ``--token``, else the
one kept in ``$JUPYTER_FLOW_HOME/argo-server.token`` (made at first start, mode 0600, never
logged elsewhere). ``--auth-mode none`` drops the check, and is refused unless the server
listens on loopback only. The server binds loopback unless ``--host`` says otherwise; TLS when
``--certfile``/``--keyfile`` are given.
"""
from __future__ import annotations

import ipaddress
import os
import secrets
import socket
import sys
from pathlib import Path

from . import DEFAULT_HOST, DEFAULT_PORT

TOKEN_FILE = "argo-server.token"


def is_loopback(host: str) -> bool:
    """Whether every address ``host`` names is a loopback address (``localhost`` resolved)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0].split("%")[0]).is_loopback for i in infos)


def load_token(home: Path) -> str:
    """The token kept in the home: read it, or make one (0600, created exclusively, so a file
    planted there beforehand, or a symlink, is never written through)."""
    path = home / TOKEN_FILE
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        token = secrets.token_urlsafe(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(token + "\n")
        return token
    with os.fdopen(fd) as fh:
        st = os.fstat(fh.fileno())
        if st.st_mode & 0o077 or st.st_uid != os.getuid():
            raise SystemExit(f"{path}: must belong to you and be readable by you only (chmod 600); "
                             "refusing to use it")
        token = fh.read().strip()
    if len(token) < 16:
        raise SystemExit(f"{path}: the token in it is too short; delete the file to make a new one")
    return token


def make_app(home: str | os.PathLike | None, token: str | None, auth_mode: str = "bearer"):
    from tornado import web
    from .handlers import ArgoHandler, NotFoundHandler
    from .routes import Operations
    return web.Application(
        [(r"/api/v1/(.*)", ArgoHandler), (r"/(.*)", NotFoundHandler)],
        jupyter_flow_argo_ops=Operations(home), jupyter_flow_argo_token=token,
        jupyter_flow_argo_auth=auth_mode)


def serve(*, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, token: str | None = None,
          auth_mode: str = "bearer", certfile: str | None = None, keyfile: str | None = None,
          home: str | os.PathLike | None = None, out=sys.stdout) -> int:
    """Run the server until interrupted. Returns the exit code."""
    import asyncio

    try:
        from tornado.httpserver import HTTPServer
    except ImportError:   # tornado comes with the `lab` extra (jupyter_server), not the core install
        raise SystemExit("jupyter-flow server needs tornado: pip install 'jupyter-flow[lab]' "
                         "(or pip install tornado)") from None

    from .. import config
    from ..httpbounds import MAX_BODY
    home_path = Path(home) if home else config.home()
    if auth_mode not in ("bearer", "none"):
        print(f"--auth-mode {auth_mode!r}: expected bearer or none", file=sys.stderr)
        return 2
    if auth_mode == "none":
        if not is_loopback(host):
            print(f"--auth-mode none is allowed on a loopback address only, not {host!r}", file=sys.stderr)
            return 2
        token = None
    elif not token:
        token = load_token(home_path)
    ssl_options = None
    if certfile or keyfile:
        import ssl
        if not (certfile and keyfile):
            print("TLS needs both --certfile and --keyfile", file=sys.stderr)
            return 2
        ssl_options = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ssl_options.load_cert_chain(certfile, keyfile)
    app = make_app(home, token, auth_mode)

    async def main() -> None:
        server = HTTPServer(app, ssl_options=ssl_options, max_body_size=MAX_BODY + 1,
                            idle_connection_timeout=3600)
        sockets = _bind(host, port)
        server.add_sockets(sockets)
        bound = sockets[0].getsockname()[1]
        scheme = "https" if ssl_options else "http"
        shown = f"[{host}]" if ":" in host else host
        print(f"jupyter-flow server: Argo Server API at {scheme}://{shown}:{bound} "
              f"(store {home_path})", file=out, flush=True)
        if token:
            print("    export ARGO_SERVER=" f"{shown}:{bound}" + ("" if ssl_options else " ARGO_HTTP1=true")
                  + (" ARGO_SECURE=false" if not ssl_options else ""), file=out)
            print(f"    export ARGO_TOKEN='Bearer {token}'", file=out, flush=True)
        else:
            print("    no authentication (--auth-mode none): any local user can use it", file=out, flush=True)
        if not is_loopback(host):
            print(f"    WARNING: listening on {host}, beyond this machine", file=out, flush=True)
        from ..store import open_store
        from ..store.retention import start_thread
        start_thread(open_store(home_path))   # ttlStrategy, podGC and keep, swept every minute
        await asyncio.Event().wait()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"jupyter-flow server: {exc}", file=sys.stderr)
        return 1
    return 0


def _bind(host: str, port: int) -> list:
    from tornado.netutil import bind_sockets
    return bind_sockets(port, address=host)
