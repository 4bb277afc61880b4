"""Value model shared by the evaluators: Go-like typing, equality, ordering and formatting.

Argo evaluates expressions in Go, so what users see (``{{=1.0 * 3}}`` -> ``3``, ``string(x)``,
``toJson``, error texts such as ``invalid operation: string + int``) follows Go's ``fmt`` and
``encoding/json``. Python values stand in for Go ones: ``None`` (nil), ``bool``, ``int`` (int64),
``float`` (float64), ``str``, ``list`` ([]any), ``dict`` (map[string]any), ``datetime``
(time.Time) and ``timedelta`` (time.Duration).
"""
from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1


class EvalError(Exception):
    """Internal runtime failure; converted to ``ExprError`` (with a position) at the API edge."""


class ScopeNode(dict):
    """A map that was also a leaf in the flat scope (``item`` and ``item.a``; ``inputs.parameters``
    and ``inputs.parameters.x``).

    Argo keeps only the nested map in that case (``util/expand.removeConflicts``); we do the same
    for member access, but remember the leaf text so that string uses (template output,
    ``string()``, ``fromJSON()``, ``jsonpath()``, ``+`` with a string, string comparison) still see
    the original value instead of a re-encoded map.
    """

    __slots__ = ("text",)

    def __init__(self, text: str, *args: Any) -> None:
        super().__init__(*args)
        self.text = text


def is_num(v: Any) -> bool:
    """True for Go numbers (int/float), false for bools, which Python treats as ints."""
    t = type(v)
    return t is int or t is float


def wrap_int(v: int) -> int:
    """Wrap an arbitrary Python int into int64, like Go's overflowing arithmetic."""
    if INT64_MIN <= v <= INT64_MAX:
        return v
    return (v - INT64_MIN) % (1 << 64) + INT64_MIN


def type_name(v: Any) -> str:
    """Go's ``%T`` for a value, used in error messages users may search for."""
    if v is None:
        return "<nil>"
    t = type(v)
    if t is bool:
        return "bool"
    if t is int:
        return "int"
    if t is float:
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, dict):
        return "map[string]interface {}"
    if isinstance(v, (list, tuple)):
        return "[]interface {}"
    if isinstance(v, datetime):
        return "time.Time"
    if isinstance(v, timedelta):
        return "time.Duration"
    if callable(v):
        return "func(...interface {}) interface {}"
    return t.__name__


def as_text(v: Any) -> Any:
    """Collapse a ScopeNode to its leaf text; other values pass through."""
    return v.text if type(v) is ScopeNode else v


def equal(a: Any, b: Any) -> bool:
    """expr-lang ``==``: numbers compare by value across int/float, containers deeply and strictly."""
    a, b = as_text(a), as_text(b)
    if is_num(a) and is_num(b):
        return a == b
    ta, tb = type(a), type(b)
    if ta is bool or tb is bool:
        return ta is tb and a == b
    return _deep_equal(a, b)


def _deep_equal(a: Any, b: Any) -> bool:
    """reflect.DeepEqual: type-strict (``[1] != [1.0]``)."""
    if type(a) is not type(b) and not (isinstance(a, dict) and isinstance(b, dict)):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_deep_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_deep_equal(a[k], b[k]) for k in a)
    return a == b


def less(op: str, a: Any, b: Any) -> bool:
    """Ordering for ``< > <= >=`` over numbers, strings, times and durations."""
    a, b = as_text(a), as_text(b)
    ok = (is_num(a) and is_num(b)) or (type(a) is type(b) and isinstance(a, (str, datetime, timedelta)))
    if not ok:
        raise EvalError(f"invalid operation: {op} (mismatched types {type_name(a)} and {type_name(b)})")
    if op == "<":
        return a < b
    if op == ">":
        return a > b
    if op == "<=":
        return a <= b
    return a >= b


def _shortest_digits(f: float) -> tuple[str, int]:
    """Shortest round-trip decimal digits of |f| and the exponent of the first digit."""
    d = Decimal(repr(abs(f))).normalize()
    sign, digits, exp = d.as_tuple()
    s = "".join(map(str, digits)).rstrip("0") or "0"
    return s, exp + len(digits) - 1


def _fmt_exp(f: float, digits: str, e: int, min_exp_digits: int) -> str:
    mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    sign = "-" if f < 0 else ""
    return f"{sign}{mant}e{'-' if e < 0 else '+'}{abs(e):0{min_exp_digits}d}"


def _fmt_fixed(f: float) -> str:
    return format(Decimal(repr(f)).normalize(), "f")


def json_float(f: float) -> str:
    """``encoding/json`` float64: fixed notation in [1e-6, 1e21), else ``1e+21`` / ``1e-7``."""
    if math.isnan(f) or math.isinf(f):
        raise EvalError(f"json: unsupported value: {go_float(f)}")
    if f == 0:
        return "-0" if math.copysign(1, f) < 0 else "0"
    if 1e-6 <= abs(f) < 1e21:
        return _fmt_fixed(f)
    digits, e = _shortest_digits(f)
    return _fmt_exp(f, digits, e, 1)


def go_float(f: float) -> str:
    """fmt's ``%v`` for float64 (strconv 'g', shortest): ``3``, ``1.5``, ``1e+06``, ``+Inf``."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if f == 0:
        return "-0" if math.copysign(1, f) < 0 else "0"
    digits, e = _shortest_digits(f)
    if e < -4 or e >= 6:  # strconv 'g' with shortest precision uses eprec = 6
        return _fmt_exp(f, digits, e, 2)
    return _fmt_fixed(f)


def _go_json_str(s: str) -> str:
    out = json.dumps(s, ensure_ascii=False)
    if any(c in s for c in "<>&\u2028\u2029"):
        out = (out.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
               .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    return out


def to_json(v: Any, indent: str | None = None, escape_html: bool = True, _level: int = 0) -> str:
    """``json.Marshal`` (or ``MarshalIndent``) of a value: sorted map keys, no spaces."""
    if v is None:
        return "null"
    t = type(v)
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return str(v)
    if t is float:
        return json_float(v)
    if isinstance(v, str):
        return _go_json_str(v) if escape_html else json.dumps(v, ensure_ascii=False)
    if isinstance(v, datetime):
        return '"' + rfc3339(v, nano=True) + '"'
    if isinstance(v, timedelta):
        return str(duration_ns(v))
    if isinstance(v, (list, tuple, dict)):
        if _level > 200:
            raise EvalError("json: value nested too deeply")
        if isinstance(v, dict):
            items = [(_go_json_str(str(k)) if escape_html else json.dumps(str(k), ensure_ascii=False),
                      v[k]) for k in sorted(v, key=str)]
        else:
            items = [(None, x) for x in v]
        if not items:
            return "{}" if isinstance(v, dict) else "[]"
        parts = []
        size = 0
        for key, x in items:
            val = to_json(x, indent, escape_html, _level + 1)
            size += len(val) + 1
            if size > 1 << 20:   # a list of many references to one big string: refused as it grows
                from .limits import check_string
                check_string(size)
            parts.append(val if key is None else key + (": " if indent is not None else ":") + val)
        open_, close = ("{", "}") if isinstance(v, dict) else ("[", "]")
        if indent is None:
            return open_ + ",".join(parts) + close
        pad = "\n" + indent * (_level + 1)
        return open_ + pad + ("," + pad).join(parts) + "\n" + indent * _level + close
    raise EvalError(f"json: unsupported type: {type_name(v)}")


def go_str(v: Any, _level: int = 0) -> str:
    """fmt's ``%v``: what ``string(x)`` and sprig's ``toString`` return."""
    if v is None:
        return "<nil>"
    t = type(v)
    if t is str:
        return v
    if t is ScopeNode:
        return v.text
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return str(v)
    if t is float:
        return go_float(v)
    if isinstance(v, str):
        return str(v)
    if _level > 200:
        raise EvalError("value nested too deeply")
    if isinstance(v, (list, tuple)):
        return "[" + " ".join(go_str(x, _level + 1) for x in v) + "]"
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{go_str(v[k], _level + 1)}" for k in sorted(v, key=str)) + "]"
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S") + _frac(v) + " " + _zone(v)
    if isinstance(v, timedelta):
        return go_duration(v)
    return repr(v)


def _frac(t: datetime) -> str:
    return ("." + f"{t.microsecond:06d}".rstrip("0")) if t.microsecond else ""


def _zone(t: datetime) -> str:
    off = t.utcoffset() or timedelta(0)
    if off == timedelta(0) and (t.tzinfo is None or t.tzinfo == timezone.utc):
        return "+0000 UTC"
    mins = int(off.total_seconds() // 60)
    sign = "-" if mins < 0 else "+"
    return f"{sign}{abs(mins) // 60:02d}{abs(mins) % 60:02d}"


def rfc3339(t: datetime, nano: bool = False) -> str:
    """time.RFC3339(Nano) text with ``Z`` for UTC."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    s = t.strftime("%Y-%m-%dT%H:%M:%S") + (_frac(t) if nano else "")
    off = t.utcoffset() or timedelta(0)
    if off == timedelta(0):
        return s + "Z"
    mins = int(off.total_seconds() // 60)
    sign = "-" if mins < 0 else "+"
    return f"{s}{sign}{abs(mins) // 60:02d}:{abs(mins) % 60:02d}"


def duration_ns(d: timedelta) -> int:
    return (d.days * 86400 + d.seconds) * 1_000_000_000 + d.microseconds * 1000


def go_duration(d: timedelta) -> str:
    """time.Duration.String(): ``1h2m3.5s``, ``1.5s``, ``0s``."""
    ns = duration_ns(d)
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    ns = abs(ns)
    if ns < 1_000_000_000:
        for unit, size in (("ms", 1_000_000), ("µs", 1000), ("ns", 1)):
            if ns >= size:
                return sign + _trim(Decimal(ns) / size) + unit
    h, rem = divmod(ns, 3_600_000_000_000)
    m, rem = divmod(rem, 60_000_000_000)
    out = (f"{h}h" if h else "") + (f"{m}m" if h or m else "")
    return sign + out + _trim(Decimal(rem) / 1_000_000_000) + "s"


def _trim(d: Decimal) -> str:
    s = format(d, "f")
    return s.rstrip("0").rstrip(".") if "." in s else s


def truthy_bool(v: Any, what: str) -> bool:
    """Require a real bool, as Go's type assertion would."""
    if type(v) is not bool:
        raise EvalError(f"invalid operation: {what} (non-bool {type_name(v)})")
    return v
