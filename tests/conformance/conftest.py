"""Conformance suite settings (its summary line is written by tests/conftest.py)."""
from __future__ import annotations

import os

# Argo has no default cap on concurrently running pods; the local engine caps processes at
# 4 x cores by default (a laptop-friendly knob). Examples such as loops-param-result.yaml
# (11 parallel sleeps) assert Argo's unbounded fan-out, so the suite lifts the cap.
os.environ.setdefault("JUPYTER_FLOW_MAX_PROCESSES", "64")
