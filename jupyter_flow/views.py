"""How the API's objects show in Jupyter: a registry that the surfaces drawing them fill.

The API knows no surface. ``Run``, ``Experiment`` and ``Comparison`` answer ``_repr_mimebundle_``
(and ``Comparison.widget``) from here. The package declares the notebook's views in
``jupyter_flow.VIEWS`` by import path: they are registered at the first display and imported
then, so ``import jupyter_flow`` stays light and no API module imports the notebook. A surface
(or a test) may ``register`` its own. With no view, an object shows as text.
At the bottom of the layering: it imports nothing from the package.
"""
from __future__ import annotations

import importlib
import sys
from typing import Any, Callable

_hooks: dict[str, "Callable[..., Any] | str"] = {}
_declared = False


def register(kind: str, hook: "Callable[..., Any] | str") -> None:
    """How objects of ``kind`` ("run", "experiment", "comparison", "comparison-widget") display:
    a callable, or its ``"module:attr"`` import path (imported on first use)."""
    _hooks[kind] = hook


def hook(kind: str) -> "Callable[..., Any] | None":
    """The registered view of ``kind``, imported if it was given by path; None when none is."""
    global _declared
    if not _declared:   # the package's own views, unless a surface registered others first
        _declared = True
        package = sys.modules.get(__name__.rpartition(".")[0])
        for name, path in (getattr(package, "VIEWS", None) or {}).items():
            _hooks.setdefault(name, path)
    found = _hooks.get(kind)
    if isinstance(found, str):
        module, _, attr = found.partition(":")
        found = _hooks[kind] = getattr(importlib.import_module(module), attr)
    return found


def mimebundle(kind: str, obj: Any, plain: Callable[[], str], include=None, exclude=None) -> dict:
    """``obj``'s Jupyter display through the registered view, else ``{"text/plain": plain()}``."""
    view = hook(kind)
    if view is None:
        return {"text/plain": plain()}
    return view(obj, include=include, exclude=exclude)
