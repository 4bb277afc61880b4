"""``kube``: the Kubernetes API server TEST DOUBLE with its kubelet double, a kubeconfig for it, namespace ``jobs``.

``fake``: the API double alone, with ``argo: {namespace: jobs}`` (``test_argo*.py`` script Argo's
controller on it). ``test_kubernetes_resources.py`` defines its own ``kube`` without pods running.
"""
from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from fakekube import FakeKube  # noqa: E402
from fakekubelet import ProcessKubelet  # noqa: E402


@pytest.fixture
def kube(flow_home, tmp_path, monkeypatch):
    fake = FakeKube()
    fake.kubelet = ProcessKubelet()
    monkeypatch.setenv("KUBECONFIG", str(fake.kubeconfig(tmp_path / "kubeconfig", namespace="jobs")))
    (flow_home / "config.yaml").write_text("kubernetes: {pollInterval: 0.02}\n")
    yield fake
    fake.close()


@pytest.fixture
def fake(flow_home, tmp_path, monkeypatch):
    f = FakeKube()
    monkeypatch.setenv("KUBECONFIG", str(f.kubeconfig(tmp_path / "kubeconfig")))
    (flow_home / "config.yaml").write_text("argo:\n  namespace: jobs\n")
    yield f
    f.close()
