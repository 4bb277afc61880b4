"""Argo's expression languages, implemented in Python without ``eval``.

* ``{{ name }}`` / ``{{= expr }}`` templates: ``substitute``, ``substitute_obj``, ``tags``, ``Tag``
* expr-lang (https://expr-lang.org) with Argo's functions: ``evaluate``, ``compile``, ``check``,
  ``nested_env``
* ``when:`` (govaluate): ``when``, ``check_when``
* DAG ``depends``: ``depends``, ``depends_tasks``

Only ``jupyter_flow.errors.ExprError`` escapes for bad input. Stdlib-only, so importing this
package is cheap; parsed programs are cached.
"""
from __future__ import annotations

from .depends import depends, depends_tasks
from .exprlang import Program, check, compile, evaluate
from .govaluate import check_when, when
from .scope import nested_env
from .template import Tag, has_tags, substitute, substitute_obj, tags

__all__ = [
    "Program", "Tag", "check", "check_when", "compile", "depends", "depends_tasks", "evaluate",
    "has_tags", "nested_env", "substitute", "substitute_obj", "tags", "when",
]
