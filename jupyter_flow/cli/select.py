"""Which runs ``list`` and ``delete`` pick: phases, --running/--completed, --prefix, --since,
--older, --resubmitted and a label selector, as argo's flags mean them."""
from __future__ import annotations

import sys
import time

from .args import labels_match
from .output import FINISHED

PHASES = ("Pending", "Running", "Succeeded", "Failed", "Error")


def wanted_phases(text: str | None, verb: str) -> set[str] | None:
    """``--status Failed,error`` -> {"Failed", "Error"}; None (after saying why) for an unknown phase."""
    wanted = [p.strip() for p in (text or "").split(",") if p.strip()]
    unknown = [p for p in wanted if p.capitalize() not in PHASES]
    if unknown:
        print(f"{verb} --status: unknown phase {', '.join(unknown)}; phases: {', '.join(PHASES)}", file=sys.stderr)
        return None
    return {p.capitalize() for p in wanted}


def select_runs(a, wanted: set[str]) -> list:
    """The runs that ``list``/``delete``'s filters pick (phases, --running/--completed, --prefix,
    --since, --older, -l, --resubmitted), newest first."""
    from .. import api
    from ..api import PREVIOUS_WORKFLOW
    from ..errors import RunNotFound
    now = time.time()
    since, older = getattr(a, "since", None), getattr(a, "older", None)
    out = []
    for r in api.runs():
        try:
            rec = r._record()   # reconciles a run whose engine died, so its phase is the real one
        except RunNotFound:     # deleted meanwhile
            continue
        labels = (rec.workflow.get("metadata") or {}).get("labels") or {}
        if ((wanted and rec.phase not in wanted)
                or (getattr(a, "running", False) and rec.phase in FINISHED)
                or (a.completed and rec.phase not in FINISHED)
                or (a.prefix and not r.name.startswith(a.prefix))
                or (since is not None and rec.created_at < now - since)
                or (older is not None and (rec.finished_at is None or rec.finished_at > now - older))
                or (a.selector and not labels_match(labels, a.selector))
                or (a.resubmitted and PREVIOUS_WORKFLOW not in labels)):
            continue
        out.append(r)
    return out
