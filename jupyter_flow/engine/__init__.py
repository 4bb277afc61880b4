"""The embedded engine: runs one Workflow's templates with Argo's semantics (``controller``).

A regular package (it was a namespace package), so that tools that read the import graph
(``lint-imports``, the layers contract in pyproject.toml) see it. Imports nothing: ``import
jupyter_flow`` stays light.
"""
