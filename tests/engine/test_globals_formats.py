"""workflow.creationTimestamp.<letter>: one strftime call gives what one call per letter gives."""
import datetime as dt
import random

from jupyter_flow.engine.controller import _STRFTIME_CHARS, _creation_formats


def test_creation_formats_match_strftime_letter_by_letter():
    rng = random.Random(7)
    for created in [0.0, 1.7e9, 1_700_000_000.999, *(rng.uniform(0, 4e9) for _ in range(200))]:
        when = dt.datetime.fromtimestamp(created, dt.timezone.utc)
        expected = {f"workflow.creationTimestamp.{c}": when.strftime(f"%{c}") for c in _STRFTIME_CHARS}
        assert _creation_formats(created) == expected
