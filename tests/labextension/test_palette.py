"""One phase palette (#22): the lab's header and runs-panel colours (model.ts PHASE_COLORS) are the
kernel's (picture/style.py), which also styles the graph in the widget and the run view."""
from __future__ import annotations

import re
from pathlib import Path

from jupyter_flow.picture.style import PHASE_COLOURS, stylesheet

MODEL_TS = Path(__file__).resolve().parents[2] / "labextension" / "src" / "model.ts"


def test_the_lab_palette_is_the_kernels():
    text = MODEL_TS.read_text()
    block = re.search(r"PHASE_COLORS: Record<string, string> = \{(.*?)\};", text, re.S).group(1)
    lab = {k: v.lower() for k, v in re.findall(r"(\w+): '(#[0-9A-Fa-f]{6})'", block)}
    assert lab == PHASE_COLOURS
    styled = {s["selector"][len("node."):]: s["style"]["background-color"] for s in stylesheet()
              if re.fullmatch(r"node\.\w+", s["selector"]) and "background-color" in s["style"]}
    assert {p: styled[p] for p in PHASE_COLOURS} == PHASE_COLOURS
