"""A small JSONPath engine for Argo's ``jsonpath(jsonString, path)`` expression function.

Supports ``$``, ``.key``, ``['key']``/``["key"]``, unions ``['a','b']``/``[0,2]``, ``[n]`` (negative
from the end), ``[*]``/``.*``, slices ``[start:end:step]``, recursive descent ``..key`` and filters
``[?(@.age > 42 && @.name == "Baris")]`` (``== != < <= > >= =~``, ``&&``, ``||``, ``!``,
parentheses, existence ``[?(@.key)]``). A path with only keys/indexes yields one value, any
wildcard/slice/union/filter/descent yields a list, as Argo's jsonpath library does.
"""
from __future__ import annotations

import re
from typing import Any

from . import limits
from .goregexp import RegexError
from .values import EvalError, equal, is_num

_MISSING = object()
_TOKEN_RE = re.compile(r"""\s*(?:(?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    |(?P<op>==|!=|<=|>=|=~|&&|\|\||[<>!()])|(?P<path>@(?:\.[A-Za-z_$][\w$-]*|\[[^\]]*\])*)
    |(?P<word>true|false|null))""", re.X)


def _unquote(s: str) -> str:
    return re.sub(r"\\(.)", r"\1", s[1:-1])


def _split_top(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside quotes."""
    parts, buf, quote = [], [], ""
    for c in text:
        if quote:
            quote = "" if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c == sep:
            parts.append("".join(buf))
            buf = []
            continue
        buf.append(c)
    parts.append("".join(buf))
    return parts


def _parse_path(path: str) -> list[tuple[str, Any]]:
    """Compile a path into steps: ("key", k) | ("index", i) | ("wild",) | ("slice", ...) | ..."""
    if not path.startswith("$"):
        raise EvalError(f"jsonpath: path must start with '$': {path!r}")
    steps: list[tuple[str, Any]] = []
    i, n = 1, len(path)
    while i < n:
        c = path[i]
        if path.startswith("..", i):
            i += 2
            m = re.compile(r"[A-Za-z_$][\w$-]*|\*").match(path, i)
            if m:
                steps.append(("descent", None))
                steps.append(("wild", None) if m.group() == "*" else ("key", m.group()))
                i = m.end()
            else:
                steps.append(("descent", None))
            continue
        if c == ".":
            m = re.compile(r"[A-Za-z_$][\w$-]*|\*").match(path, i + 1)
            if not m:
                raise EvalError(f"jsonpath: invalid path {path!r} at {i}")
            steps.append(("wild", None) if m.group() == "*" else ("key", m.group()))
            i = m.end()
            continue
        if c == "[":
            j, depth, quote = i + 1, 1, ""
            while j < n and depth:
                ch = path[j]
                if quote:
                    if ch == "\\":
                        j += 1
                    elif ch == quote:
                        quote = ""
                elif ch in "'\"":
                    quote = ch
                elif ch == "[":
                    depth += 1
                elif ch == "]":
                    depth -= 1
                j += 1
            if depth:
                raise EvalError(f"jsonpath: unclosed '[' in {path!r}")
            steps.append(_bracket(path[i + 1:j - 1].strip(), path))
            i = j
            continue
        if c.isspace():
            i += 1
            continue
        raise EvalError(f"jsonpath: unexpected {c!r} in {path!r}")
    return steps


def _bracket(body: str, path: str) -> tuple[str, Any]:
    if body == "*":
        return ("wild", None)
    if body.startswith("?"):
        expr = body[1:].strip()
        if expr.startswith("(") and expr.endswith(")"):
            expr = expr[1:-1]
        return ("filter", _parse_filter(expr))
    parts = [p.strip() for p in _split_top(body, ",")]
    if len(parts) == 1 and ":" in body and body[0] not in "'\"":
        nums = [p.strip() for p in body.split(":")]
        try:
            vals = [int(x) if x else None for x in nums]
        except ValueError:
            raise EvalError(f"jsonpath: invalid slice [{body}]") from None
        return ("slice", tuple(vals + [None] * (3 - len(vals)))[:3])
    keys: list[Any] = []
    for p in parts:
        if len(p) >= 2 and p[0] in "'\"" and p[-1] == p[0]:
            keys.append(_unquote(p))
        elif re.fullmatch(r"-?\d+", p):
            keys.append(int(p))
        else:
            raise EvalError(f"jsonpath: invalid subscript [{body}] in {path!r}")
    if len(keys) == 1:
        return ("index", keys[0]) if isinstance(keys[0], int) else ("key", keys[0])
    return ("union", keys)


def _parse_filter(text: str) -> Any:
    toks: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN_RE.match(text, pos)
        if not m or m.end() == pos:
            raise EvalError(f"jsonpath: invalid filter {text!r}")
        pos = m.end()
        kind = m.lastgroup
        val = m.group(kind)
        if kind == "num":
            val = float(val)
        elif kind == "str":
            val = _unquote(val)
        elif kind == "word":
            kind, val = "lit", {"true": True, "false": False, "null": None}[val]
        elif kind == "path":
            val = _parse_path("$" + val[1:])
        toks.append((kind if kind != "num" and kind != "str" else "lit", val))
    toks.append(("end", None))
    node, i = _f_or(toks, 0)
    if toks[i][0] != "end":
        raise EvalError(f"jsonpath: invalid filter {text!r}")
    return node


def _f_or(t: list, i: int) -> tuple[Any, int]:
    left, i = _f_and(t, i)
    while t[i] == ("op", "||"):
        right, i = _f_and(t, i + 1)
        left = ("or", left, right)
    return left, i


def _f_and(t: list, i: int) -> tuple[Any, int]:
    left, i = _f_cmp(t, i)
    while t[i] == ("op", "&&"):
        right, i = _f_cmp(t, i + 1)
        left = ("and", left, right)
    return left, i


def _f_cmp(t: list, i: int) -> tuple[Any, int]:
    if t[i] == ("op", "!"):
        inner, i = _f_cmp(t, i + 1)
        return ("not", inner), i
    if t[i] == ("op", "("):
        inner, i = _f_or(t, i + 1)
        if t[i] != ("op", ")"):
            raise EvalError("jsonpath: unbalanced parentheses in filter")
        return inner, i + 1
    left, i = _f_value(t, i)
    if t[i][0] == "op" and t[i][1] in ("==", "!=", "<", "<=", ">", ">=", "=~"):
        op = t[i][1]
        right, i = _f_value(t, i + 1)
        return ("cmp", op, left, right), i
    return ("exists", left), i


def _f_value(t: list, i: int) -> tuple[Any, int]:
    kind, val = t[i]
    if kind == "lit":
        return ("lit", val), i + 1
    if kind == "path":
        return ("path", val), i + 1
    raise EvalError("jsonpath: invalid filter operand")


def _f_eval(node: Any, item: Any) -> Any:
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "path":
        got = _walk([item], node[1])
        return got[0] if len(got) == 1 else (_MISSING if not got else got)
    if kind == "exists":
        v = _f_eval(node[1], item)
        return v is not _MISSING and (v is not False if node[1][0] == "lit" else True)
    if kind == "not":
        return not _f_eval(node[1], item)
    if kind == "and":
        return bool(_f_eval(node[1], item)) and bool(_f_eval(node[2], item))
    if kind == "or":
        return bool(_f_eval(node[1], item)) or bool(_f_eval(node[2], item))
    op, a, b = node[1], _f_eval(node[2], item), _f_eval(node[3], item)
    if a is _MISSING or b is _MISSING:
        return op == "!="
    if op == "==":
        return equal(a, b)
    if op == "!=":
        return not equal(a, b)
    if op == "=~":
        if not (isinstance(a, str) and isinstance(b, str)):
            return False
        try:
            return limits.regex(b).search(a)
        except RegexError:
            return False
    if (is_num(a) and is_num(b)) or (isinstance(a, str) and isinstance(b, str)):
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
    return False


def _children(v: Any) -> list:
    if isinstance(v, dict):
        return [v[k] for k in sorted(v)]
    if isinstance(v, list):
        return list(v)
    return []


def _walk(current: list, steps: list[tuple[str, Any]], strict: bool = False) -> list:
    for n, (kind, arg) in enumerate(steps):
        out: list = []
        if kind == "descent":
            stack, seen = list(reversed(current)), []
            while stack:
                v = stack.pop()
                seen.append(v)
                stack.extend(reversed(_children(v)))
            current = seen
            continue
        for v in current:
            if kind == "key":
                if isinstance(v, dict) and arg in v:
                    out.append(v[arg])
                elif strict:
                    raise EvalError(f"jsonpath: key {arg!r} not found")
            elif kind == "index":
                if isinstance(v, list) and -len(v) <= arg < len(v):
                    out.append(v[arg])
                elif strict:
                    raise EvalError(f"jsonpath: index [{arg}] out of range")
            elif kind == "wild":
                out.extend(_children(v))
            elif kind == "union":
                for k in arg:
                    if isinstance(k, int) and isinstance(v, list) and -len(v) <= k < len(v):
                        out.append(v[k])
                    elif isinstance(k, str) and isinstance(v, dict) and k in v:
                        out.append(v[k])
            elif kind == "slice":
                if isinstance(v, list):
                    start, end, step = arg
                    if step == 0:
                        raise EvalError("jsonpath: slice step cannot be 0")
                    out.extend(v[slice(start, end, step)])
            elif kind == "filter":
                out.extend(x for x in _children(v) if _f_eval(arg, x) is True)
        current = out
    return current


def query(document: Any, path: str) -> Any:
    """Evaluate ``path`` against a decoded JSON document."""
    steps = _parse_path(path.strip())
    definite = all(kind in ("key", "index") for kind, _ in steps)
    if definite:
        got = _walk([document], steps, strict=True)
        return got[0]
    return _walk([document], steps)
