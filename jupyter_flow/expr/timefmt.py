"""Go time helpers: reference-layout formatting/parsing (``2006-01-02``) and duration strings.

Argo users write ``sprig.date('2006', ...)`` and expr's ``date(...)``/``duration("1h")``, so we
speak Go's layout language rather than strftime.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from .values import EvalError, as_text

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
# Longest first: the layout scanner is greedy like Go's nextStdChunk.
_CHUNKS = ["January", "Monday", "-07:00:00", "Z07:00:00", "-07:00", "Z07:00", "-0700", "Z0700",
           "2006", "Jan", "Mon", "MST", "-07", "Z07", "002", "__2", "_2", "01", "02", "03", "04", "05",
           "06", "15", "PM", "pm", "1", "2", "3", "4", "5"]
_CHUNK_RE = re.compile(r"[.,](0+|9+)(?!\d)|" + "|".join(re.escape(c) for c in _CHUNKS))


def _offset(t: datetime, colon: bool, z: bool, seconds: bool = False, short: bool = False) -> str:
    off = t.utcoffset() or timedelta(0)
    if z and off == timedelta(0):
        return "Z"
    secs = int(off.total_seconds())
    sign = "-" if secs < 0 else "+"
    secs = abs(secs)
    hh, mm, ss = secs // 3600, secs % 3600 // 60, secs % 60
    if short:
        return f"{sign}{hh:02d}"
    sep = ":" if colon else ""
    return f"{sign}{hh:02d}{sep}{mm:02d}" + (f"{sep}{ss:02d}" if seconds else "")


def go_format(t: datetime, layout: str) -> str:
    """Format ``t`` with a Go reference layout (``Mon Jan 2 15:04:05 MST 2006``)."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    out: list[str] = []
    pos = 0
    for m in _CHUNK_RE.finditer(layout):
        out.append(layout[pos:m.start()])
        pos = m.end()
        c = m.group()
        if c[0] in ".,":
            digits = len(c) - 1
            frac = f"{t.microsecond:06d}{0:03d}"[:digits]
            if c[1] == "9":
                frac = frac.rstrip("0")
                out.append((c[0] + frac) if frac else "")
            else:
                out.append(c[0] + frac)
            continue
        out.append({
            "January": lambda: _MONTHS[t.month - 1], "Jan": lambda: _MONTHS[t.month - 1][:3],
            "Monday": lambda: _DAYS[t.weekday()], "Mon": lambda: _DAYS[t.weekday()][:3],
            "2006": lambda: f"{t.year:04d}", "06": lambda: f"{t.year % 100:02d}",
            "01": lambda: f"{t.month:02d}", "1": lambda: str(t.month),
            "02": lambda: f"{t.day:02d}", "2": lambda: str(t.day), "_2": lambda: f"{t.day:2d}",
            "002": lambda: f"{t.timetuple().tm_yday:03d}", "__2": lambda: f"{t.timetuple().tm_yday:3d}",
            "15": lambda: f"{t.hour:02d}", "03": lambda: f"{(t.hour % 12) or 12:02d}",
            "3": lambda: str((t.hour % 12) or 12), "04": lambda: f"{t.minute:02d}",
            "4": lambda: str(t.minute), "05": lambda: f"{t.second:02d}", "5": lambda: str(t.second),
            "PM": lambda: "PM" if t.hour >= 12 else "AM", "pm": lambda: "pm" if t.hour >= 12 else "am",
            "MST": lambda: (t.tzname() or "UTC") if t.utcoffset() else "UTC",
            "-07:00:00": lambda: _offset(t, True, False, True), "Z07:00:00": lambda: _offset(t, True, True, True),
            "-07:00": lambda: _offset(t, True, False), "Z07:00": lambda: _offset(t, True, True),
            "-0700": lambda: _offset(t, False, False), "Z0700": lambda: _offset(t, False, True),
            "-07": lambda: _offset(t, False, False, short=True), "Z07": lambda: _offset(t, False, True, short=True),
        }[c]())
    out.append(layout[pos:])
    return "".join(out)


_ISO_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$")


def parse_time(text: Any) -> datetime:
    """Parse the date forms Argo values take (RFC3339, ``2006-01-02``, ``2006-01-02 15:04:05``)."""
    text = as_text(text)
    if isinstance(text, datetime):
        return text
    if not isinstance(text, str):
        raise EvalError(f"cannot parse {text!r} as a date")
    m = _ISO_RE.match(text.strip())
    if not m:
        raise EvalError(f'parsing time "{text}": cannot parse')
    y, mo, d, hh, mi, ss, frac, zone = m.groups()
    tz = timezone.utc
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        return datetime(int(y), int(mo), int(d), int(hh or 0), int(mi or 0), int(ss or 0),
                        int((frac or "0").ljust(6, "0")[:6]), tzinfo=tz)
    except ValueError as e:
        raise EvalError(f'parsing time "{text}": {e}') from None


def parse_with_layout(text: str, layout: str) -> datetime:
    """Parse ``text`` with a Go layout by translating the common chunks to a regex."""
    names = {"2006": r"(?P<Y>\d{4})", "01": r"(?P<m>\d{2})", "1": r"(?P<m>\d{1,2})",
             "02": r"(?P<d>\d{2})", "2": r"(?P<d>\d{1,2})", "_2": r"\s?(?P<d>\d{1,2})",
             "15": r"(?P<H>\d{2})", "04": r"(?P<M>\d{2})", "05": r"(?P<S>\d{2})",
             "Jan": r"(?P<b>[A-Za-z]{3})", "January": r"(?P<B>[A-Za-z]+)",
             "Z07:00": r"(?P<z>Z|[+-]\d{2}:\d{2})", "-07:00": r"(?P<z>[+-]\d{2}:\d{2})",
             "-0700": r"(?P<z>[+-]\d{4})", "Z0700": r"(?P<z>Z|[+-]\d{4})", "MST": r"(?P<Z>[A-Z]{3,4})",
             "Mon": r"[A-Za-z]{3}", "Monday": r"[A-Za-z]+", "06": r"(?P<y>\d{2})"}
    pattern, pos = "", 0
    for m in _CHUNK_RE.finditer(layout):
        pattern += re.escape(layout[pos:m.start()])
        pos = m.end()
        c = m.group()
        if c[0] in ".,":
            pattern += r"(?:[.,](?P<f>\d+))?"
        elif c in names and f"?P<{names[c][4]}>" not in pattern:
            pattern += names[c]
        else:
            pattern += r".+?"
    pattern += re.escape(layout[pos:])
    m = re.fullmatch(pattern, text)
    if not m:
        raise EvalError(f'parsing time "{text}" as "{layout}": cannot parse')
    g = m.groupdict()
    month = int(g["m"]) if g.get("m") else (
        [x[:3] for x in _MONTHS].index((g.get("b") or g.get("B") or "Jan")[:3].title()) + 1)
    year = int(g["Y"]) if g.get("Y") else (2000 + int(g["y"]) if g.get("y") else 0)
    tz = timezone.utc
    z = g.get("z")
    if z and z != "Z":
        digits = z[1:].replace(":", "")
        tz = timezone((-1 if z[0] == "-" else 1) * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        return datetime(max(year, 1), month, int(g.get("d") or 1), int(g.get("H") or 0),
                        int(g.get("M") or 0), int(g.get("S") or 0),
                        int((g.get("f") or "0").ljust(6, "0")[:6]), tzinfo=tz)
    except ValueError as e:
        raise EvalError(f'parsing time "{text}": {e}') from None


_DUR_RE = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}


def parse_duration(text: Any) -> timedelta:
    """time.ParseDuration: ``300ms``, ``-1.5h``, ``2h45m``."""
    text = as_text(text)
    if not isinstance(text, str):
        raise EvalError(f"time: invalid duration {text!r}")
    s = text.strip()
    sign = -1 if s.startswith("-") else 1
    s = s.lstrip("+-")
    if s == "0":
        return timedelta(0)
    pos, total = 0, 0.0
    for m in _DUR_RE.finditer(s):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos != len(s) or not s:
        raise EvalError(f'time: invalid duration "{text}"')
    return timedelta(seconds=sign * total)
