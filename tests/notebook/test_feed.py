"""notebook/feed.py: the run's state for views, without a widget library."""
from __future__ import annotations

import random
import subprocess
import sys

from jupyter_flow.notebook.feed import Tally
from jupyter_flow.render import progress


def test_the_feed_imports_no_widget_library():
    code = ("import sys, jupyter_flow.notebook.feed as f; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('ipywidgets', 'traitlets', 'comm')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_tally_keeps_argo_progress_and_suspends_per_node():
    rnd = random.Random(3)
    types = ["Pod", "Suspend", "DAG", "StepGroup", "HTTP", "Retry"]
    phases = ["Pending", "Running", "Succeeded", "Failed", "Skipped", "Omitted", "Error"]
    nodes = {}
    for i in range(500):
        n = {"id": f"n{i}", "type": rnd.choice(types), "phase": rnd.choice(phases)}
        if rnd.random() < 0.2:
            n["progress"] = rnd.choice(["1/3", "3/3", "0/2", "bad", "5/2", "", "2/4\n", "\u0661/3", "0/0"])
        nodes[n["id"]] = n
    t = Tally()
    t.reset(nodes)
    assert t.progress() == progress(nodes)
    for _ in range(2000):                     # changes one at a time, as the feed applies them
        nid = f"n{rnd.randrange(500)}"
        nodes[nid] = dict(nodes[nid], phase=rnd.choice(phases), type=rnd.choice(types))
        t.put(nid, nodes[nid])
        assert t.progress() == progress(nodes)
    assert t.suspends == {k for k, n in nodes.items() if n["type"] == "Suspend" and n["phase"] == "Running"}
