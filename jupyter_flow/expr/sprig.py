"""The ``sprig`` namespace Argo exposes to expressions (Masterminds/sprig ``GenericFuncMap``).

Argument order is sprig's (pipeline-friendly: the subject comes last, ``sprig.replace(old, new,
s)``) and so is its forgiving typing: numeric functions coerce with ``cast`` rules (``"0x10"`` ->
16, unparsable -> 0), ``b64dec`` of garbage returns the error text. ``env``/``expandenv`` are
absent, as in Argo. Random/crypto-key/semver helpers are not provided.
"""
from __future__ import annotations

import base64
import binascii
import json
import math
import posixpath
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from . import goregexp, limits, timefmt
from .builtins import go_split
from .values import (EvalError, as_text, equal, go_str, is_num, to_json, type_name,
                     wrap_int)


def strval(v: Any) -> str:
    """sprig's strval: strings as-is, everything else via ``%v``."""
    return go_str(v)


def to_int64(v: Any) -> int:
    """cast.ToInt64 with sprig's error-swallowing: bad input gives 0."""
    v = as_text(v)
    if type(v) is bool:
        return int(v)
    if type(v) is int:
        return v
    if type(v) is float:
        return 0 if math.isnan(v) or math.isinf(v) else wrap_int(int(v))
    if isinstance(v, str):
        s = re.sub(r"\.0*$", "", v.strip()) if re.fullmatch(r"\s*[+-]?\d+\.0*\s*", v) else v.strip()
        try:
            if re.fullmatch(r"[+-]?0[0-7]+", s):
                return int(s, 8)
            return wrap_int(int(s.replace("_", ""), 0))
        except ValueError:
            return 0
    return 0


def to_float64(v: Any) -> float:
    """cast.ToFloat64, 0 on error."""
    v = as_text(v)
    if type(v) is bool:
        return float(v)
    if is_num(v):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v.strip())
        except ValueError:
            return 0.0
    return 0.0


def empty(v: Any) -> bool:
    """sprig's ``empty``: nil, zero numbers, false, "" and empty collections."""
    v = as_text(v)
    if v is None:
        return True
    if isinstance(v, (str, list, dict)):
        return len(v) == 0
    if type(v) is bool:
        return not v
    if is_num(v):
        return v == 0
    if isinstance(v, timedelta):
        return v == timedelta(0)
    return False


def _list(v: Any) -> list:
    v = as_text(v)
    if v is None:
        return []
    if isinstance(v, list):
        return v
    raise EvalError(f"Cannot find first on type {type_name(v)}")


def _time(v: Any) -> datetime:
    v = as_text(v)
    if isinstance(v, datetime):
        return v
    if is_num(v):
        return datetime.fromtimestamp(int(v), timezone.utc).astimezone()
    if isinstance(v, str):
        try:
            return timefmt.parse_time(v)
        except EvalError:
            pass
    return datetime.now().astimezone()  # sprig formats "now" for values it cannot read


def _zone(name: Any) -> timezone:
    name = as_text(name)
    if name in ("UTC", "", None):
        return timezone.utc
    try:
        from zoneinfo import ZoneInfo
        return ZoneInfo(str(name))  # type: ignore[return-value]
    except Exception:  # noqa: BLE001 - unknown zone falls back to UTC like sprig
        return timezone.utc


def _regex(p: Any, must: bool = False) -> goregexp.Regexp:
    """Go's ``regexp.Compile`` (``must``: sprig's ``mustRegex*``, which return its error) or
    ``regexp.MustCompile`` (the plain ``regex*``, whose panic expr-lang reports)."""
    pattern = strval(p)
    try:
        return limits.regex(pattern)
    except goregexp.RegexError as e:
        raise EvalError(str(e) if must else goregexp.must_compile_message(pattern, e)) from None


def _regex_match(r: Any, s: Any, must: bool = False) -> bool:
    """``regexMatch`` is ``regexp.MatchString`` with the error dropped: a bad pattern is false."""
    try:
        return _regex(r, must=True).search(strval(s))
    except EvalError:
        if must:
            raise
        return False


def _regex_funcs(must: bool) -> dict[str, Callable[..., Any]]:
    prefix = "mustRegex" if must else "regex"
    return {
        prefix + "Match": lambda r, s: _regex_match(r, s, must),
        prefix + "Find": lambda r, s: _regex(r, must).find_string(strval(s)),
        prefix + "FindAll": lambda r, s, n=-1: _regex(r, must).find_all_string(strval(s), to_int64(n)),
        prefix + "ReplaceAll": lambda r, s, repl: _regex(r, must).replace_all_string(strval(s), strval(repl)),
        prefix + "ReplaceAllLiteral": lambda r, s, repl: _regex(r, must).replace_all_literal_string(
            strval(s), strval(repl)),
        prefix + "Split": lambda r, s, n=-1: _regex(r, must).split(strval(s), to_int64(n)),
    }


def _width(n: Any, s: Any) -> int:
    """indent's width, refused when the result would not fit the string limit."""
    width = to_int64(n)
    limits.check_string(max(0, width) * (strval(s).count("\n") + 1) + len(strval(s)))
    return width


def _repeat(n: int, s: str) -> str:
    """strings.Repeat (sprig caps the count); the result is refused over the string budget
    before it is built: ``repeat(1000000, repeat(4000, "a"))`` would be 4 GB."""
    n = max(0, min(n, 1_000_000))
    limits.check_string(n * len(s))
    return s * n


def replace(s: str, old: str, new: str) -> str:
    """strings.Replace(s, old, new, -1), refused over the string budget before it is built."""
    if len(new) > len(old):
        hits = len(s) + 1 if not old else s.count(old)
        limits.check_string(len(s) + hits * (len(new) - len(old)))
    return s.replace(old, new)


def _join(sep: str, parts: list[str]) -> str:
    limits.check_string(sum(map(len, parts)) + len(sep) * max(0, len(parts) - 1))
    return sep.join(parts)


def _b64dec(s: Any) -> str:
    try:
        return base64.b64decode(strval(s), validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError) as e:
        return f"illegal base64 data ({e})"


def _b32dec(s: Any) -> str:
    try:
        return base64.b32decode(strval(s)).decode("utf-8", "replace")
    except (binascii.Error, ValueError) as e:
        return f"illegal base32 data ({e})"


def _from_json(s: Any) -> Any:
    try:
        return json.loads(strval(s), parse_int=float)
    except (ValueError, RecursionError):
        return None


def _substr(start: Any, end: Any, s: Any) -> str:
    s, a, b = strval(s), to_int64(start), to_int64(end)
    if a < 0:
        return s[:b]
    if b < 0 or b > len(s):
        return s[a:]
    return s[a:b]


def _trunc(c: Any, s: Any) -> str:
    s, n = strval(s), to_int64(c)
    if n < 0 and len(s) + n > 0:
        return s[len(s) + n:]
    if 0 <= n < len(s):
        return s[:n]
    return s


def _dict(*kv: Any) -> dict:
    out = {}
    for i in range(0, len(kv), 2):
        out[strval(kv[i])] = kv[i + 1] if i + 1 < len(kv) else ""
    return out


def _merge(dst: Any, *srcs: Any) -> dict:
    for s in srcs:
        for k, v in (s or {}).items():
            dst.setdefault(k, v)
    return dst


def _words(s: str) -> list[str]:
    return re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", s)


def _round(v: Any, places: Any = 0, half: Any = 0.5) -> float:
    p = 10 ** to_int64(places)
    x = to_float64(v) * p
    return (math.floor(x) + (1 if x - math.floor(x) >= to_float64(half) else 0)) / p


def _until_step(start: Any, stop: Any, step: Any) -> list:
    a, b, s = to_int64(start), to_int64(stop), to_int64(step)
    if s == 0 or (b - a) // s > 1_000_000:
        return []
    return list(range(a, b, s))


def _div(a: Any, b: Any) -> int:
    x, y = to_int64(a), to_int64(b)
    if y == 0:
        raise EvalError("runtime error: integer divide by zero")
    q = abs(x) // abs(y)
    return q if (x >= 0) == (y >= 0) else -q


def _mod(a: Any, b: Any) -> int:
    x, y = to_int64(a), to_int64(b)
    if y == 0:
        raise EvalError("runtime error: integer divide by zero")
    r = abs(x) % abs(y)
    return -r if x < 0 else r


def _fail(msg: Any) -> Any:
    raise EvalError(strval(msg))


def _dig(*args: Any) -> Any:
    *keys, default, d = args
    cur: Any = d
    for k in keys:
        if not isinstance(cur, dict) or strval(k) not in cur:
            return default
        cur = cur[strval(k)]
    return cur


FUNCS: dict[str, Callable[..., Any]] = {
    # strings
    "trim": lambda s: strval(s).strip(), "trimAll": lambda c, s: strval(s).strip(strval(c)),
    "trimPrefix": lambda p, s: strval(s).removeprefix(strval(p)),
    "trimSuffix": lambda p, s: strval(s).removesuffix(strval(p)),
    "upper": lambda s: strval(s).upper(), "lower": lambda s: strval(s).lower(),
    "title": lambda s: re.sub(r"\b[a-z]", lambda m: m.group().upper(), strval(s)),
    "untitle": lambda s: re.sub(r"\b[A-Z]", lambda m: m.group().lower(), strval(s)),
    "swapcase": lambda s: strval(s).swapcase(),
    "repeat": lambda n, s: _repeat(to_int64(n), strval(s)),
    "substr": _substr, "trunc": _trunc, "nospace": lambda s: re.sub(r"\s", "", strval(s)),
    "abbrev": lambda w, s: strval(s) if len(strval(s)) <= to_int64(w) or to_int64(w) < 4
    else strval(s)[:to_int64(w) - 3] + "...",
    "initials": lambda s: "".join(w[0] for w in strval(s).split()),
    "contains": lambda sub, s: strval(sub) in strval(s),
    "hasPrefix": lambda p, s: strval(s).startswith(strval(p)),
    "hasSuffix": lambda p, s: strval(s).endswith(strval(p)),
    "quote": lambda *a: " ".join(json.dumps(strval(x), ensure_ascii=False) for x in a if x is not None),
    "squote": lambda *a: " ".join(f"'{strval(x)}'" for x in a if x is not None),
    "cat": lambda *a: _join(" ", [strval(x) for x in a if x is not None]),
    "indent": lambda n, s: "\n".join(" " * _width(n, s) + line for line in strval(s).split("\n")),
    "nindent": lambda n, s: "\n" + "\n".join(" " * _width(n, s) + line for line in strval(s).split("\n")),
    "replace": lambda old, new, s: replace(strval(s), strval(old), strval(new)),
    "plural": lambda one, many, n: strval(one) if to_int64(n) == 1 else strval(many),
    "snakecase": lambda s: "_".join(w.lower() for w in _words(strval(s))),
    "kebabcase": lambda s: "-".join(w.lower() for w in _words(strval(s))),
    "camelcase": lambda s: "".join(w[:1].upper() + w[1:] for w in re.split(r"[_\-\s]+", strval(s))),
    "wrap": lambda n, s: strval(s), "toString": strval,
    "toStrings": lambda v: [strval(x) for x in _list(v)],
    "splitList": lambda sep, s: go_split(strval(s), strval(sep)),
    "split": lambda sep, s: {f"_{i}": p for i, p in enumerate(go_split(strval(s), strval(sep)))},
    "splitn": lambda sep, n, s: {f"_{i}": p for i, p in
                                 enumerate(go_split(strval(s), strval(sep), to_int64(n)))},
    "join": lambda sep, v: _join(strval(sep), [strval(x) for x in (v if isinstance(v, list) else [v])
                                               if x is not None]),
    "sortAlpha": lambda v: sorted(strval(x) for x in _list(v)),
    **_regex_funcs(must=False), **_regex_funcs(must=True),
    "regexQuoteMeta": lambda s: goregexp.quote_meta(strval(s)),
    # numbers
    "atoi": lambda s: to_int64(s) if re.fullmatch(r"[+-]?\d+", strval(s)) else 0,
    "int": to_int64, "int64": to_int64, "float64": to_float64, "toDecimal": lambda s: to_int64("0o" + strval(s))
    if re.fullmatch(r"[0-7]+", strval(s)) else 0,
    "add": lambda *a: wrap_int(sum(to_int64(x) for x in a)), "add1": lambda a: wrap_int(to_int64(a) + 1),
    "sub": lambda a, b: wrap_int(to_int64(a) - to_int64(b)),
    "mul": lambda a, *v: wrap_int(math.prod([to_int64(a)] + [to_int64(x) for x in v])),
    "div": _div, "mod": _mod,
    "max": lambda a, *v: max([to_int64(a)] + [to_int64(x) for x in v]),
    "biggest": lambda a, *v: max([to_int64(a)] + [to_int64(x) for x in v]),
    "min": lambda a, *v: min([to_int64(a)] + [to_int64(x) for x in v]),
    "addf": lambda *a: math.fsum(to_float64(x) for x in a),
    "add1f": lambda a: to_float64(a) + 1,
    "subf": lambda a, *v: to_float64(a) - math.fsum(to_float64(x) for x in v),
    "mulf": lambda a, *v: math.prod([to_float64(a)] + [to_float64(x) for x in v]),
    "divf": lambda a, *v: _divf(a, *v),
    "maxf": lambda a, *v: max([to_float64(a)] + [to_float64(x) for x in v]),
    "minf": lambda a, *v: min([to_float64(a)] + [to_float64(x) for x in v]),
    "floor": lambda a: float(math.floor(to_float64(a))), "ceil": lambda a: float(math.ceil(to_float64(a))),
    "round": _round, "until": lambda n: _until_step(0, n, 1 if to_int64(n) >= 0 else -1),
    "untilStep": _until_step,
    "seq": lambda *a: " ".join(str(x) for x in _seq(*a)),
    # defaults / flow
    "default": lambda d, *given: d if not given or empty(given[0]) else given[0],
    "empty": empty, "coalesce": lambda *a: next((x for x in a if not empty(x)), None),
    "all": lambda *a: all(not empty(x) for x in a), "any": lambda *a: any(not empty(x) for x in a),
    "ternary": lambda t, f, c: t if c is True else f, "fail": _fail,
    "fromJson": _from_json, "mustFromJson": lambda s: json.loads(strval(s), parse_int=float),
    "toJson": lambda v: to_json(v), "mustToJson": lambda v: to_json(v),
    "toPrettyJson": lambda v: to_json(v, indent="  "), "toRawJson": lambda v: to_json(v, escape_html=False),
    "deepEqual": equal, "typeOf": type_name, "kindOf": lambda v: _kind(v),
    "kindIs": lambda k, v: _kind(v) == strval(k), "typeIs": lambda t, v: type_name(v) == strval(t),
    # lists
    "list": lambda *a: list(a), "tuple": lambda *a: list(a),
    "first": lambda v: _list(v)[0] if _list(v) else None, "last": lambda v: _list(v)[-1] if _list(v) else None,
    "rest": lambda v: _list(v)[1:], "initial": lambda v: _list(v)[:-1],
    "append": lambda v, x: _list(v) + [x], "push": lambda v, x: _list(v) + [x],
    "prepend": lambda v, x: [x] + _list(v), "concat": lambda *ls: [x for lst in ls for x in _list(lst)],
    "reverse": lambda v: _list(v)[::-1], "compact": lambda v: [x for x in _list(v) if not empty(x)],
    "uniq": lambda v: [x for i, x in enumerate(_list(v)) if not any(equal(x, y) for y in _list(v)[:i])],
    "without": lambda v, *out: [x for x in _list(v) if not any(equal(x, o) for o in out)],
    "has": lambda needle, v: any(equal(needle, x) for x in _list(v)),
    "slice": lambda v, *ix: _list(v)[to_int64(ix[0]) if ix else 0: to_int64(ix[1]) if len(ix) > 1 else None],
    "chunk": lambda n, v: [_list(v)[i:i + max(1, to_int64(n))] for i in range(0, len(_list(v)), max(1, to_int64(n)))],
    # dicts
    "dict": _dict, "get": lambda d, k: d.get(strval(k), "") if isinstance(d, dict) else "",
    "set": lambda d, k, v: (d.__setitem__(strval(k), v), d)[1],
    "unset": lambda d, k: (d.pop(strval(k), None), d)[1],
    "hasKey": lambda d, k: isinstance(d, dict) and strval(k) in d,
    "pluck": lambda k, *ds: [d[strval(k)] for d in ds if isinstance(d, dict) and strval(k) in d],
    "keys": lambda *ds: [k for d in ds for k in (d or {})],
    "values": lambda d: list((d or {}).values()),
    "pick": lambda d, *ks: {strval(k): d[strval(k)] for k in ks if strval(k) in d},
    "omit": lambda d, *ks: {k: v for k, v in d.items() if k not in {strval(x) for x in ks}},
    "merge": _merge, "dig": _dig,
    # encoding / hashing
    "b64enc": lambda s: base64.b64encode(strval(s).encode()).decode(), "b64dec": _b64dec,
    "b32enc": lambda s: base64.b32encode(strval(s).encode()).decode(), "b32dec": _b32dec,
    "sha1sum": lambda s: _hash("sha1", s), "sha256sum": lambda s: _hash("sha256", s),
    "sha512sum": lambda s: _hash("sha512", s),
    "adler32sum": lambda s: str(__import__("zlib").adler32(strval(s).encode())),
    "uuidv4": lambda: str(__import__("uuid").uuid4()),
    # paths
    "base": lambda s: posixpath.basename(strval(s).rstrip("/")) or ("/" if strval(s).startswith("/") else "."),
    "dir": lambda s: posixpath.dirname(strval(s)) or ".", "ext": lambda s: posixpath.splitext(strval(s))[1],
    "clean": lambda s: posixpath.normpath(strval(s)) if strval(s) else ".",
    "isAbs": lambda s: strval(s).startswith("/"),
    # dates
    "now": lambda: datetime.now().astimezone(),
    "date": lambda fmt, d: timefmt.go_format(_time(d), strval(fmt)),
    "dateInZone": lambda fmt, d, z: timefmt.go_format(_time(d).astimezone(_zone(z)), strval(fmt)),
    "htmlDate": lambda d: timefmt.go_format(_time(d), "2006-01-02"),
    "htmlDateInZone": lambda d, z: timefmt.go_format(_time(d).astimezone(_zone(z)), "2006-01-02"),
    "toDate": lambda fmt, s: timefmt.parse_with_layout(strval(s), strval(fmt)),
    "unixEpoch": lambda d: str(int(_time(d).timestamp())),
    "dateModify": lambda mod, d: _time(d) + timefmt.parse_duration(mod),
    "ago": lambda d: go_str(timedelta(seconds=int((datetime.now(timezone.utc) - _time(d)).total_seconds()))),
    "duration": lambda sec: go_str(timedelta(seconds=to_int64(sec))),
}


def _hash(name: str, s: Any) -> str:
    import hashlib  # lazy: keeps ``import jupyter_flow.expr`` cheap
    return hashlib.new(name, strval(s).encode()).hexdigest()


def _divf(a: Any, *v: Any) -> float:
    x = to_float64(a)
    for y in v:
        y = to_float64(y)
        x = x / y if y else (math.copysign(math.inf, x) if x else math.nan)
    return x


def _seq(*a: Any) -> list:
    nums = [to_int64(x) for x in a]
    if len(nums) == 1:
        start, step, end = 1, 1 if nums[0] >= 1 else -1, nums[0]
    elif len(nums) == 2:
        start, end = nums
        step = 1 if end >= start else -1
    elif len(nums) == 3:
        start, step, end = nums
    else:
        return []
    if step == 0 or abs(end - start) // max(1, abs(step)) > 1_000_000:
        return []
    return list(range(start, end + (1 if step > 0 else -1), step))


def _kind(v: Any) -> str:
    if isinstance(v, dict):  # includes ScopeNode
        return "map"
    return {type(None): "invalid", bool: "bool", int: "int64", float: "float64", str: "string",
            list: "slice"}.get(type(v), "struct")
