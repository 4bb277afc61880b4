"""expr-lang's builtin functions (non-predicate ones) and methods on time values.

Behaviour follows expr-lang's ``builtin/builtin.go``: e.g. ``int("1.5")`` is an error (Atoi),
``len`` counts runes, ``split(s, "")`` splits into characters like Go, ``toJSON`` indents.
"""
from __future__ import annotations

import base64
import binascii
import json
import math
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from . import timefmt
from .values import (EvalError, ScopeNode, as_text, equal, go_str, is_num, less, to_json,
                     type_name, wrap_int)

_INT_RE = r"[+-]?[0-9]+\Z"
_FLOAT_RE = r"(?i)[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)\Z"


def go_atoi(s: str, what: str = "int") -> int:
    """strconv.Atoi: optional sign and ASCII digits only, int64 range."""
    if not re.match(_INT_RE, s):
        raise EvalError(f"invalid operation: {what}({s})")
    v = int(s)
    if not -(1 << 63) <= v < (1 << 63):
        raise EvalError(f"invalid operation: {what}({s})")
    return v


def go_parse_float(s: str, what: str = "float") -> float:
    """strconv.ParseFloat(s, 64) for decimal forms."""
    if not re.match(_FLOAT_RE, s):
        raise EvalError(f"invalid operation: {what}({s})")
    v = float(s)
    if math.isinf(v) and "inf" not in s.lower():
        raise EvalError(f"invalid operation: {what}({s})")
    return v


def to_int(x: Any) -> int:
    """expr's ``int()`` (also Argo's ``asInt``)."""
    x = as_text(x)
    if type(x) is int:
        return x
    if type(x) is float:
        if math.isnan(x) or math.isinf(x):
            return -(1 << 63)
        return wrap_int(int(x))
    if isinstance(x, str):
        return go_atoi(x)
    raise EvalError(f"invalid operation: int({type_name(x)})")


def to_float(x: Any) -> float:
    """expr's ``float()`` (also Argo's ``asFloat``)."""
    x = as_text(x)
    if is_num(x):
        return float(x)
    if isinstance(x, str):
        return go_parse_float(x)
    raise EvalError(f"invalid operation: float({type_name(x)})")


def go_split(s: str, sep: str, n: int = -1, after: bool = False) -> list[str]:
    """strings.Split/SplitN/SplitAfter(N)."""
    if n == 0:
        return []
    if sep == "":
        chars = list(s)
        if n > 0 and len(chars) > n:
            chars = chars[:n - 1] + ["".join(chars[n - 1:])]
        return chars
    parts = s.split(sep) if n < 0 else s.split(sep, n - 1)
    if after:
        parts = [p + sep for p in parts[:-1]] + parts[-1:]
    return parts


def _str(x: Any, fn: str) -> str:
    x = as_text(x)
    if not isinstance(x, str):
        raise EvalError(f"{fn}: expected string, got {type_name(x)}")
    return x


def _list(x: Any, fn: str) -> list:
    if not isinstance(x, list):
        raise EvalError(f"{fn}: expected array, got {type_name(x)}")
    return x


def _map(x: Any, fn: str) -> dict:
    if not isinstance(x, dict):
        raise EvalError(f"{fn}: expected map, got {type_name(x)}")
    return x


def _len(x: Any) -> int:
    x = as_text(x)
    if isinstance(x, (list, dict, str)):
        return len(x)
    raise EvalError(f"invalid argument for len (type {type_name(x)})")


def _type(x: Any) -> str:
    x = as_text(x)
    if x is None:
        return "nil"
    t = type(x)
    return {bool: "bool", int: "int", float: "float", str: "string", list: "array", dict: "map",
            datetime: "time.Time", timedelta: "time.Duration"}.get(t, "func" if callable(x) else t.__name__)


def _num(x: Any, fn: str) -> Any:
    x = as_text(x)
    if not is_num(x):
        raise EvalError(f"invalid argument for {fn} (type {type_name(x)})")
    return x


def _round(x: Any) -> float:
    f = float(_num(x, "round"))
    return float(math.floor(f + 0.5) if f >= 0 else -math.floor(-f + 0.5))


def _flat_numbers(args: tuple, fn: str, depth: int = 0) -> list:
    if depth > 50:
        raise EvalError(f"{fn}: nested too deeply")
    out: list = []
    for a in args:
        a = as_text(a)
        if isinstance(a, list):
            out.extend(_flat_numbers(tuple(a), fn, depth + 1))
        elif is_num(a):
            out.append(a)
        else:
            raise EvalError(f"invalid argument for {fn} (type {type_name(a)})")
    return out


def _minmax(fn: str) -> Callable[..., Any]:
    def impl(*args: Any) -> Any:
        nums = _flat_numbers(args, fn)
        if not nums:
            return None
        return (max if fn == "max" else min)(nums)
    return impl


def _mean(*args: Any) -> float:
    nums = _flat_numbers(args, "mean")
    return sum(nums) / len(nums) if nums else 0.0


def _median(*args: Any) -> float:
    nums = sorted(_flat_numbers(args, "median"))
    if not nums:
        return 0.0
    mid = len(nums) // 2
    return float(nums[mid]) if len(nums) % 2 else (nums[mid - 1] + nums[mid]) / 2


def _sum(arr: Any) -> Any:
    nums = _flat_numbers((arr,), "sum")
    total: Any = 0
    for n in nums:
        total = total + n if type(total) is float or type(n) is float else wrap_int(total + n)
    return total


def _from_json(s: Any) -> Any:
    s = _str(s, "fromJSON")
    try:
        return json.loads(s, parse_int=float)  # Go decodes every JSON number as float64
    except RecursionError:
        raise EvalError("fromJSON: value nested too deeply") from None
    except ValueError as e:
        raise EvalError(f"fromJSON: {e}") from None


def _from_b64(s: Any) -> str:
    try:
        return base64.b64decode(_str(s, "fromBase64"), validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError) as e:
        raise EvalError(f"fromBase64: {e}") from None


def _get(v: Any, key: Any) -> Any:
    v = as_text(v) if not isinstance(v, dict) else v
    if isinstance(v, dict):
        return v.get(key) if isinstance(key, str) else None
    if isinstance(v, (list, str)) and is_num(key):
        i = int(key)
        i = i + len(v) if i < 0 else i
        return v[i] if 0 <= i < len(v) else None
    return None


def _join(arr: Any, sep: str = "") -> str:
    sep, parts = _str(sep, "join"), [_str(x, "join") for x in _list(arr, "join")]
    from . import limits   # the result is refused over the string budget before it is built
    limits.check_string(sum(map(len, parts)) + len(sep) * max(0, len(parts) - 1))
    return sep.join(parts)


def _replace(s: Any, old: Any, new: Any) -> str:
    from .sprig import replace
    return replace(_str(s, "replace"), _str(old, "replace"), _str(new, "replace"))


def _uniq(arr: Any) -> list:
    out: list = []
    for x in _list(arr, "uniq"):
        if not any(equal(x, y) for y in out):
            out.append(x)
    return out


def _flatten(arr: Any, depth: int = 0) -> list:
    if depth > 100:
        raise EvalError("flatten: nested too deeply")
    out: list = []
    for x in _list(arr, "flatten"):
        out.extend(_flatten(x, depth + 1) if isinstance(x, list) else [x])
    return out


def sort_pairs(pairs: list[tuple[Any, Any]], order: Any = "asc") -> list[tuple[Any, Any]]:
    """Stable sort by key with expr-lang's ordering; ``order`` is "asc" or "desc"."""
    if order not in ("asc", "desc"):
        raise EvalError(f'unknown order, use asc or desc: {order}')
    import functools

    def cmp(a: tuple, b: tuple) -> int:
        return -1 if less("<", a[0], b[0]) else (1 if less(">", a[0], b[0]) else 0)
    return sorted(pairs, key=functools.cmp_to_key(cmp), reverse=order == "desc")


def _sort(arr: Any, order: Any = "asc") -> list:
    return [x for _, x in sort_pairs([(x, x) for x in _list(arr, "sort")], order)]


def _date(s: Any, layout: Any = None, tz: Any = None) -> datetime:
    if layout is None:
        return timefmt.parse_time(s)
    return timefmt.parse_with_layout(_str(s, "date"), _str(layout, "date"))


def _bits(fn: Callable[[int, int], int]) -> Callable[[Any, Any], int]:
    return lambda a, b: wrap_int(fn(to_int_strict(a), to_int_strict(b)))


def to_int_strict(x: Any) -> int:
    if type(x) is not int:
        raise EvalError(f"invalid argument (type {type_name(x)}), expected int")
    return x


BUILTINS: dict[str, Callable[..., Any]] = {
    "len": _len, "type": _type,
    "abs": lambda x: abs(_num(x, "abs")),
    "ceil": lambda x: float(math.ceil(_num(x, "ceil"))),
    "floor": lambda x: float(math.floor(_num(x, "floor"))),
    "round": _round,
    "int": to_int, "float": to_float, "string": go_str,
    "trim": lambda s, chars=None: _str(s, "trim").strip(None if chars is None else _str(chars, "trim")),
    "trimPrefix": lambda s, p: _str(s, "trimPrefix").removeprefix(_str(p, "trimPrefix")),
    "trimSuffix": lambda s, p: _str(s, "trimSuffix").removesuffix(_str(p, "trimSuffix")),
    "upper": lambda s: _str(s, "upper").upper(), "lower": lambda s: _str(s, "lower").lower(),
    "split": lambda s, sep, n=-1: go_split(_str(s, "split"), _str(sep, "split"), to_int(n)),
    "splitAfter": lambda s, sep, n=-1: go_split(_str(s, "splitAfter"), _str(sep, "splitAfter"),
                                                to_int(n), True),
    "replace": _replace,
    "repeat": lambda s, n: _str(s, "repeat") * max(0, min(to_int(n), 1_000_000 // max(1, len(s)))),
    "join": _join,
    "indexOf": lambda s, sub: _str(s, "indexOf").find(_str(sub, "indexOf")),
    "lastIndexOf": lambda s, sub: _str(s, "lastIndexOf").rfind(_str(sub, "lastIndexOf")),
    "hasPrefix": lambda s, p: _str(s, "hasPrefix").startswith(_str(p, "hasPrefix")),
    "hasSuffix": lambda s, p: _str(s, "hasSuffix").endswith(_str(p, "hasSuffix")),
    "max": _minmax("max"), "min": _minmax("min"), "mean": _mean, "median": _median, "sum": _sum,
    "count": lambda arr: sum(1 for x in _list(arr, "count") if x is True),
    "toJSON": lambda v: to_json(v, indent="  "),
    "fromJSON": _from_json,
    "toBase64": lambda s: base64.b64encode(_str(s, "toBase64").encode()).decode(),
    "fromBase64": _from_b64,
    "now": lambda: datetime.now(timezone.utc),
    "duration": timefmt.parse_duration,
    "date": _date,
    "first": lambda a: _list(as_text(a), "first")[0] if as_text(a) else None,
    "last": lambda a: _list(as_text(a), "last")[-1] if as_text(a) else None,
    "get": _get,
    "take": lambda a, n: _list(a, "take")[:max(0, to_int(n))],
    "keys": lambda m: list(_map(m, "keys").keys()),
    "values": lambda m: list(_map(m, "values").values()),
    "toPairs": lambda m: [[k, v] for k, v in _map(m, "toPairs").items()],
    "fromPairs": lambda a: {str(as_text(p[0])): p[1] for p in _list(a, "fromPairs")},
    "reverse": lambda a: list(reversed(_list(a, "reverse"))),
    "uniq": _uniq,
    "concat": lambda *arrs: [x for a in arrs for x in _list(a, "concat")],
    "flatten": _flatten,
    "sort": _sort,
    "bitand": _bits(lambda a, b: a & b), "bitor": _bits(lambda a, b: a | b),
    "bitxor": _bits(lambda a, b: a ^ b), "bitnand": _bits(lambda a, b: a & ~b),
    "bitshl": _bits(lambda a, b: a << min(b, 64)), "bitshr": _bits(lambda a, b: a >> min(b, 64)),
    "bitushr": _bits(lambda a, b: (a % (1 << 64)) >> min(b, 64)),
    "bitnot": lambda a: ~to_int_strict(a),
}
BUILTIN_NAMES = frozenset(BUILTINS) | frozenset(
    ["all", "none", "any", "one", "filter", "map", "find", "findIndex", "findLast", "findLastIndex",
     "groupBy", "sortBy", "reduce"])

_DURATION_METHODS: dict[str, Callable[[timedelta], Any]] = {
    "Seconds": lambda d: d.total_seconds(), "Minutes": lambda d: d.total_seconds() / 60,
    "Hours": lambda d: d.total_seconds() / 3600,
    "Milliseconds": lambda d: wrap_int(int(d.total_seconds() * 1000)),
    "Microseconds": lambda d: wrap_int(int(d.total_seconds() * 1_000_000)),
    "Nanoseconds": lambda d: wrap_int(int(d.total_seconds() * 1_000_000_000)),
    "String": go_str,
}
_TIME_METHODS: dict[str, Callable[..., Any]] = {
    "Year": lambda t: t.year, "Month": lambda t: t.month, "Day": lambda t: t.day,
    "Hour": lambda t: t.hour, "Minute": lambda t: t.minute, "Second": lambda t: t.second,
    "YearDay": lambda t: t.timetuple().tm_yday, "Weekday": lambda t: (t.weekday() + 1) % 7,
    "Unix": lambda t: int(t.timestamp()), "UnixMilli": lambda t: int(t.timestamp() * 1000),
    "UTC": lambda t: t.astimezone(timezone.utc), "String": go_str,
    "Format": lambda t, layout: timefmt.go_format(t, _str(layout, "Format")),
    "Before": lambda t, u: t < timefmt.parse_time(u), "After": lambda t, u: t > timefmt.parse_time(u),
    "Equal": lambda t, u: t == timefmt.parse_time(u),
    "Sub": lambda t, u: t - timefmt.parse_time(u), "Add": lambda t, d: t + d,
    "IsZero": lambda t: t.year == 1 and t.month == 1 and t.day == 1,
}


def method(obj: Any, name: str) -> Callable[..., Any] | None:
    """Bound Go-style methods for time.Time and time.Duration values."""
    table: dict | None = None
    if isinstance(obj, timedelta):
        table = _DURATION_METHODS
    elif isinstance(obj, datetime):
        table = _TIME_METHODS
    if table is None or name not in table:
        return None
    fn = table[name]
    return lambda *args: fn(obj, *args)


def time_arith(op: str, a: Any, b: Any) -> Any:
    """time.Time/time.Duration arithmetic (``now() - t``, ``t + duration("1h")``); None if n/a."""
    if isinstance(a, datetime) and isinstance(b, str) and op == "-":
        b = timefmt.parse_time(b)
    if isinstance(a, datetime):
        if isinstance(b, datetime) and op == "-":
            return _aware(a) - _aware(b)
        if isinstance(b, timedelta) and op in "+-":
            return a + b if op == "+" else a - b
    if isinstance(a, timedelta):
        if isinstance(b, timedelta) and op in "+-":
            return a + b if op == "+" else a - b
        if isinstance(b, datetime) and op == "+":
            return b + a
        if is_num(b) and op in "*/":
            return a * b if op == "*" else a / b
    if is_num(a) and isinstance(b, timedelta) and op == "*":
        return b * a
    return None


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=timezone.utc)


def invoke(fn: Callable[..., Any], args: list, label: str, pos: int) -> Any:
    """Call a builtin/env function, turning Python failures into positioned EvalErrors. A long
    string result is charged to the expression's memory budget (per 64 bytes, as ``+`` is), so
    ``map(1..1000, {sprig.repeat(1000000, 'x')})`` ends in "memory budget exceeded", not 1 GB."""
    try:
        result = fn(*args)
        if type(result) is str and len(result) > 4096:
            from . import limits
            limits.spend(len(result) // limits.STRING_COST)
        return result
    except EvalError as e:
        if getattr(e, "pos", None) is None:
            e.pos = pos  # type: ignore[attr-defined]
        raise
    except TypeError as e:
        msg = str(e)
        if "argument" in msg:
            err = EvalError(f"invalid number of arguments for {label} ({len(args)} given)")
        else:
            err = EvalError(f"{label}: invalid argument ({msg})")
        err.pos = pos  # type: ignore[attr-defined]
        raise err from None
    except (ValueError, KeyError, IndexError, AttributeError, OverflowError, ZeroDivisionError,
            UnicodeError, re.error, RecursionError, MemoryError) as e:
        err = EvalError(f"{label}: {e}")
        err.pos = pos  # type: ignore[attr-defined]
        raise err from None


__all__ = ["BUILTINS", "BUILTIN_NAMES", "ScopeNode", "go_str", "invoke", "method", "time_arith"]
