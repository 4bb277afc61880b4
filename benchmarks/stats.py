"""How sure a ratio is: a bootstrap interval for the ratio of medians, and the verdict it allows.

Why: on this shared 2-CPU machine the same W1 comparison came out at 1.249x, 1.31x and 1.28x in
three full runs on one day, around a 1.25x target. A point estimate then says "met" or "missed"
by luck. The repetitions are interleaved in pairs (engine, baseline side by side), so resampling
whole pairs keeps what the two shared (the machine's load at that moment) and gives an interval
for the ratio of the medians; the target is met only when the whole interval is under it.
"""
from __future__ import annotations

import random
import statistics
from typing import Sequence


def ratio_interval(engine: Sequence[float], baseline: Sequence[float], *, level: float = 0.95,
                   resamples: int = 2000, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of ``median(engine) / median(baseline)``, resampling the
    repetitions as pairs (``engine[i]`` ran beside ``baseline[i]``). Seeded: the same timings give
    the same interval, so a results file can be re-rendered without it moving."""
    if len(engine) != len(baseline) or not engine:
        raise ValueError("engine and baseline need the same, non-zero number of repetitions")
    n = len(engine)
    rng = random.Random(seed)
    ratios = []
    for _ in range(resamples):
        picks = [rng.randrange(n) for _ in range(n)]
        ratios.append(statistics.median(engine[i] for i in picks) / statistics.median(baseline[i] for i in picks))
    ratios.sort()
    tail = (1.0 - level) / 2
    lo = ratios[int(tail * (resamples - 1))]
    hi = ratios[int(round((1.0 - tail) * (resamples - 1)))]
    return lo, hi


def ratio_verdict(ratio: float, interval: Sequence[float] | None, target: float) -> str:
    """"met" when the whole interval is at or under ``target``, "missed" when all of it is over,
    otherwise "undecided" (the target lies inside the interval: this run cannot tell). Without
    an interval the point estimate decides."""
    if interval is None:
        return "met" if ratio <= target else "missed"
    lo, hi = interval
    if hi <= target:
        return "met"
    if lo > target:
        return "missed"
    return "undecided"
