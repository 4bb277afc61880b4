"""The house rule (docs/architecture.md): no ``kubernetes`` import outside kube/ (the client code),
executors/kubernetes and backends/argo."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "jupyter_flow"
ALLOWED = ("kube/", "executors/kubernetes.py", "backends/argo/")


def test_kubernetes_is_imported_only_where_the_architecture_allows():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith(ALLOWED):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
            if any(n == "kubernetes" or n.startswith("kubernetes.") for n in names):
                offenders.append(f"{rel}:{node.lineno}")
    assert not offenders, offenders
