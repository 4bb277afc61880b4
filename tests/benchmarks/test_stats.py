"""benchmarks/stats.py: the ratio's bootstrap interval and the verdict it allows."""
from __future__ import annotations

import random
import statistics
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.stats import ratio_interval, ratio_verdict  # noqa: E402


def test_exact_ratio_has_a_zero_width_interval():
    base = [0.040 + 0.001 * i for i in range(15)]
    engine = [1.3 * b for b in base]
    lo, hi = ratio_interval(engine, base)
    assert lo == pytest.approx(1.3) and hi == pytest.approx(1.3)


def test_noisy_interval_holds_the_point_estimate_and_narrows_with_more_pairs():
    rng = random.Random(7)

    def pairs(n):
        base = [0.05 * rng.uniform(0.9, 1.3) for _ in range(n)]
        return [1.25 * b * rng.uniform(0.9, 1.2) for b in base], base

    e, b = pairs(15)
    lo, hi = ratio_interval(e, b)
    assert lo <= statistics.median(e) / statistics.median(b) <= hi
    assert lo < hi
    e2, b2 = pairs(400)
    lo2, hi2 = ratio_interval(e2, b2)
    assert hi2 - lo2 < hi - lo


def test_interval_is_reproducible():
    rng = random.Random(1)
    b = [rng.uniform(0.04, 0.06) for _ in range(21)]
    e = [x * rng.uniform(1.1, 1.5) for x in b]
    assert ratio_interval(e, b) == ratio_interval(e, b)


def test_pairs_must_match():
    with pytest.raises(ValueError):
        ratio_interval([1.0, 2.0], [1.0])
    with pytest.raises(ValueError):
        ratio_interval([], [])


@pytest.mark.parametrize("interval, expected", [
    ((1.10, 1.24), "met"), ((1.10, 1.25), "met"), ((1.20, 1.30), "undecided"), ((1.26, 1.40), "missed")])
def test_verdict_from_the_interval(interval, expected):
    assert ratio_verdict(1.2, interval, 1.25) == expected


def test_verdict_without_an_interval_uses_the_point():
    assert ratio_verdict(1.24, None, 1.25) == "met"
    assert ratio_verdict(1.26, None, 1.25) == "missed"


def test_report_judges_w1_by_its_interval():
    from benchmarks.report import _ratio_verdict

    w = {"ratio": 1.24, "ratio_ci95": [1.20, 1.31]}
    assert "undecided" in _ratio_verdict(w, 1.25)
    w = {"ratio": 1.24, "engine_s_all": [1.24] * 5, "baseline_s_all": [1.0] * 5}   # older results file
    assert _ratio_verdict(w, 1.25).startswith("met")
    w = {"ratio": 1.4, "ratio_ci95": [1.3, 1.5]}
    assert _ratio_verdict(w, 1.25).startswith("**missed**")
