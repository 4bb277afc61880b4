"""Where jupyter-flow keeps its state, and the few knobs a user may set.

Everything lives under one home directory so that a kernel, the CLI and the server extension
see the same runs: ``$JUPYTER_FLOW_HOME`` or ``~/.jupyter-flow``.
"""
from __future__ import annotations

import copy
import os
import time
from pathlib import Path


_homes: dict[tuple[str | None, str | None], Path] = {}


def home() -> Path:
    """The state directory (created on first use; asked for several times per submit, so the
    directory is made, and its path built, once per process and setting, not once per call).

    It is the user's alone: 0700 whatever the umask (``privatefs.private_home``), as Jupyter
    does for its runtime directory; it holds parameter values, logs and artifacts."""
    key = (os.environ.get("JUPYTER_FLOW_HOME"), os.environ.get("HOME"))
    path = _homes.get(key)
    if path is None:
        path = Path(key[0] or Path.home() / ".jupyter-flow")
        from .privatefs import private_home
        private_home(path)
        _homes[key] = path
    return path


def max_processes() -> int:
    """Local cap on concurrently running step processes (Argo itself has no default limit).

    ``JUPYTER_FLOW_MAX_PROCESSES`` overrides; the default keeps a laptop responsive while
    still letting wide fan-outs overlap their process start-up.
    """
    value = os.environ.get("JUPYTER_FLOW_MAX_PROCESSES")
    if value:
        return max(1, int(value))
    return max(4, (os.cpu_count() or 2) * 4)


def allowed_host_paths() -> list[str]:
    """``allowHostPaths`` in ``config.yaml``: the host directories a workflow's ``hostPath``
    volumes may bind (each entry and everything below it), for the backends that run steps on
    this machine. Empty by default: a workflow from elsewhere must not reach ``/`` or ``~``."""
    value = load_config().get("allowHostPaths") or []
    if isinstance(value, str):
        value = [value]
    return [os.path.expanduser(v) for v in value if isinstance(v, str) and v.strip()]


def namespace() -> str:
    """The namespace a run gets when its Workflow names none (Argo puts it in the namespace it was
    submitted to): ``$JUPYTER_FLOW_NAMESPACE``, else ``namespace:`` in ``config.yaml``, else
    ``default``. What ``jupyter-flow server``'s Argo clients see and filter by."""
    value = os.environ.get("JUPYTER_FLOW_NAMESPACE")
    if not value:
        value = load_config().get("namespace") or "default"
    return str(value)


def limit(key: str, env: str, default: int) -> int:
    """A budget: ``$env`` if set, else ``limits.<key>`` in ``$JUPYTER_FLOW_HOME/config.yaml``, else
    ``default``. A value that is not a positive integer is an error naming where it came from::

        limits: {maxNodes: 500000, maxLoopItems: 200000, maxLoopItemsTotal: 500000,
                 maxStringBytes: 67108864}
    """
    from .errors import JupyterFlowError
    value: object = os.environ.get(env)
    where = env
    if not value:
        value = (load_config().get("limits") or {}).get(key)
        where = f"limits.{key} in {home() / 'config.yaml'}"
    if value in (None, ""):
        return default
    try:
        number = int(value)   # type: ignore[call-overload]
    except (TypeError, ValueError):
        number = 0
    if number < 1 or isinstance(value, bool):
        raise JupyterFlowError(f"{where}: expected a positive integer, got {value!r}")
    return number


_config_cache: dict[str, tuple[tuple, dict]] = {}


def load_config() -> dict:
    """``$JUPYTER_FLOW_HOME/config.yaml`` (empty when absent).

    Read on every submit (three times), so the parsed file is kept while its size and mtime stay
    the same: one ``stat`` per call instead of a read and a YAML parse. A file changed in the last
    second is read again every time (two writes in one mtime tick can look the same). Callers get
    a copy.
    """
    path = home() / "config.yaml"
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return {}
    key = (st.st_mtime_ns, st.st_size, st.st_ino)
    cached = _config_cache.get(str(path))
    if cached is not None and cached[0] == key and time.time() - st.st_mtime > 1.0:
        return copy.deepcopy(cached[1])
    import yaml

    from .errors import JupyterFlowError
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise JupyterFlowError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise JupyterFlowError(f"{path}: expected a mapping (backend: NAME, NAME: {{settings}})")
    _config_cache[str(path)] = (key, data)
    return copy.deepcopy(data)

def keep() -> tuple[int | None, float | None]:
    """``keep: {runs: N, days: D}`` in ``config.yaml``: the store keeps at most N finished runs and
    none finished over D days ago (``store/retention.py``; running runs are never deleted). Either may
    be left out. A value that is not a number of 0 or more (``runs`` a whole one) is ignored with a
    warning on stderr: a typo must not delete runs."""
    import sys
    try:
        value = load_config().get("keep")
    except Exception as exc:   # a config.yaml that does not parse: its own commands say so
        print(f"jupyter-flow: keep: {exc}", file=sys.stderr)
        return None, None
    if value is None:
        return None, None
    if not isinstance(value, dict):
        print(f"jupyter-flow: keep in {home() / 'config.yaml'}: expected {{runs: N, days: D}}, got {value!r}",
              file=sys.stderr)
        return None, None
    out: list = []
    for key, whole in (("runs", True), ("days", False)):
        raw = value.get(key)
        ok = (raw is None or (isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0)
              or (not whole and isinstance(raw, float) and raw >= 0 and raw == raw and raw != float("inf")))
        if not ok:
            print(f"jupyter-flow: keep.{key} in {home() / 'config.yaml'}: expected a "
                  f"{'whole ' if whole else ''}number of 0 or more, got {raw!r}; ignored", file=sys.stderr)
            raw = None
        out.append(raw if raw is None or whole else float(raw))
    return out[0], out[1]
