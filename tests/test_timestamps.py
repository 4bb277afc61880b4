"""Argo timestamps are UTC whatever the machine's time zone: one parser (``jupyter_flow.timestamps``)
for the engine, the server's run summaries and comparisons.

The server and ``compare`` used to parse with ``time.mktime(...) - time.timezone``: ``timezone`` is
the *standard* offset, so under daylight saving (Europe/Berlin in summer) every parsed time was an
hour early: a running run's duration was an hour too long, and a run across the spring switch lost
an hour.
"""
from __future__ import annotations

import calendar
import time

import pytest

from jupyter_flow import timestamps
from jupyter_flow.comparison import _duration
from jupyter_flow.server.manager import summary

SUMMER = "2026-07-01T12:00:00Z"
SUMMER_EPOCH = calendar.timegm((2026, 7, 1, 12, 0, 0))
# Europe/Berlin moves its clocks from 02:00 CET to 03:00 CEST at 01:00 UTC on 2026-03-29
BEFORE_SWITCH, AFTER_SWITCH = "2026-03-29T00:30:00Z", "2026-03-29T03:30:00Z"


@pytest.fixture
def berlin(monkeypatch):
    """The process runs in Europe/Berlin (with daylight saving) for the test."""
    if not hasattr(time, "tzset"):
        pytest.skip("time.tzset is POSIX only")
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        if not time.localtime(SUMMER_EPOCH).tm_isdst:
            pytest.skip("no time zone database for Europe/Berlin")
        yield
    finally:
        monkeypatch.undo()
        time.tzset()


def test_format_and_parse_round_trip_in_utc(berlin):
    assert timestamps.iso(SUMMER_EPOCH + 0.9) == SUMMER   # whole seconds, floored
    assert timestamps.parse_iso(SUMMER) == SUMMER_EPOCH
    assert timestamps.epoch(SUMMER) == SUMMER_EPOCH
    assert timestamps.iso(None) is None and timestamps.parse_iso("") is None


def test_epoch_is_none_for_what_is_not_an_argo_time():
    for bad in (None, "", 5, "yesterday", "2026-13-01T00:00:00Z", "2026-07-01 12:00:00"):
        assert timestamps.epoch(bad) is None
    with pytest.raises(ValueError):
        timestamps.parse_iso("yesterday")   # the strict parser says so: a corrupt record is noticed


def test_duration_counts_to_now_only_when_asked():
    assert timestamps.duration(SUMMER, "2026-07-01T12:00:10Z") == 10.0
    assert timestamps.duration("2026-07-01T12:00:10Z", SUMMER) == 0.0     # never negative
    assert timestamps.duration(SUMMER, None) is None
    assert timestamps.duration(SUMMER, None, now=SUMMER_EPOCH + 7) == 7.0
    assert timestamps.duration(None, SUMMER, now=SUMMER_EPOCH) is None


def test_server_summary_of_a_run_started_in_summer_is_not_an_hour_long(berlin):
    row = summary({"metadata": {"name": "w"}, "status": {"phase": "Running", "startedAt": SUMMER}})
    assert row["duration"] == pytest.approx(time.time() - SUMMER_EPOCH, abs=5)


def test_server_summary_across_the_daylight_saving_switch(berlin):
    row = summary({"metadata": {"name": "w"},
                   "status": {"phase": "Succeeded", "startedAt": BEFORE_SWITCH, "finishedAt": AFTER_SWITCH}})
    assert row["duration"] == 3 * 3600


def test_compared_node_duration_across_the_daylight_saving_switch(berlin):
    assert _duration({"startedAt": BEFORE_SWITCH, "finishedAt": AFTER_SWITCH}) == 3 * 3600
