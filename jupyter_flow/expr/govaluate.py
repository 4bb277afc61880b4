"""``when:`` conditions, evaluated the way Argo does: govaluate on the substituted string.

Argo (``workflow/controller/steps.go shouldExecute``) parses the text with
``github.com/Knetic/govaluate``, turns every bare identifier token into a string (so
``heads == heads`` is true without quotes) and requires a boolean result. We reproduce
govaluate's lexer (numbers are float64, ``'`` and ``"`` both end a string, ``[x y]`` is an
escaped name, quoted dates become Unix seconds), its token-transition check (so ``hello world ==
x`` fails as in Argo), its precedences (bitwise binds tighter than comparison, ``?``/``:``/``??``
share one level) and its type checks and error texts.
"""
from __future__ import annotations

import math
import re
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from ..errors import ExprError
from . import limits
from .goregexp import RegexError
from .values import EvalError, go_float

MAX_DEPTH = 32  # parenthesis nesting; each level costs ~13 Python frames
PREFIX_OPS = {"-", "!", "~"}
MODIFIERS = {"+", "-", "*", "/", "%", "**", "&", "|", "^", ">>", "<<"}
LOGICAL = {"&&", "||"}
COMPARATORS = {"==", "!=", ">", ">=", "<", "<=", "=~", "!~", "in"}
TERNARY = {"?", ":", "??"}
_VALUE_NEXT = {"MODIFIER", "COMPARATOR", "LOGICALOP", "CLAUSE_CLOSE", "TERNARY", "SEPARATOR"}
_OPERAND = {"PREFIX", "NUMERIC", "BOOLEAN", "VARIABLE", "PATTERN", "FUNCTION", "ACCESSOR", "STRING",
            "TIME", "CLAUSE"}
# govaluate lexerState table: which token kind may follow which.
NEXT: dict[str, set[str]] = {
    "START": set(_OPERAND),
    "CLAUSE": _OPERAND | {"CLAUSE_CLOSE"},
    "CLAUSE_CLOSE": {"COMPARATOR", "MODIFIER", "NUMERIC", "BOOLEAN", "VARIABLE", "STRING", "PATTERN",
                     "TIME", "CLAUSE", "CLAUSE_CLOSE", "LOGICALOP", "TERNARY", "SEPARATOR"},
    "NUMERIC": _VALUE_NEXT, "BOOLEAN": _VALUE_NEXT, "STRING": _VALUE_NEXT, "VARIABLE": _VALUE_NEXT,
    "TIME": _VALUE_NEXT - {"TERNARY"}, "PATTERN": _VALUE_NEXT - {"TERNARY"},
    "MODIFIER": {"PREFIX", "NUMERIC", "VARIABLE", "FUNCTION", "ACCESSOR", "STRING", "BOOLEAN", "CLAUSE",
                 "CLAUSE_CLOSE"},
    "COMPARATOR": _OPERAND | {"CLAUSE_CLOSE"},
    "LOGICALOP": (_OPERAND - {"PATTERN"}) | {"CLAUSE_CLOSE"},
    "PREFIX": {"NUMERIC", "BOOLEAN", "VARIABLE", "FUNCTION", "ACCESSOR", "CLAUSE", "CLAUSE_CLOSE"},
    "TERNARY": (_OPERAND - {"PATTERN"}) | {"SEPARATOR"},
    "ACCESSOR": {"CLAUSE", "MODIFIER", "COMPARATOR", "LOGICALOP", "CLAUSE_CLOSE", "TERNARY", "SEPARATOR"},
    "SEPARATOR": _OPERAND - {"PATTERN"},
}
_EOF_OK = {"CLAUSE_CLOSE", "NUMERIC", "BOOLEAN", "STRING", "TIME", "PATTERN", "VARIABLE", "ACCESSOR"}
_TIME_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2})(?::(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?)?)?"
                      r"(Z|[+-]\d{2}:?\d{2})?")


class _Err(Exception):
    """A govaluate parse error (message as govaluate words it)."""


def _error(message: str, text: str) -> ExprError:
    """ExprError whose str() is exactly Argo's message (which already quotes the text)."""
    err = ExprError(message)
    err.expression = text
    return err


def _try_time(s: str) -> float | None:
    m = _TIME_RE.fullmatch(s)
    if not m:
        return None
    y, mo, d, h, mi, sec, zone = m.groups()
    if h is not None and mi is None and zone is None:
        return None  # "2006-01-02T15" only parses with a zone in govaluate's formats
    tz = timezone.utc
    if zone and zone != "Z":
        digits = zone[1:].replace(":", "")
        from datetime import timedelta
        tz = timezone((-1 if zone[0] == "-" else 1) * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        t = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(sec or 0), tzinfo=tz)
    except ValueError:
        return None
    return float(int(t.timestamp()))


def _read_until(s: str, i: int, cond: Any, include_ws: bool, break_ws: bool) -> tuple[str, int, bool]:
    buf: list[str] = []
    n = len(s)
    while i < n:
        c = s[i]
        if c == "\\":
            if i + 1 < n:
                buf.append(s[i + 1])
            i += 2
            continue
        if c.isspace():
            if break_ws and buf:
                return "".join(buf), i, True
            if not include_ws:
                i += 1
                continue
        if cond(c):
            buf.append(c)
            i += 1
        else:
            return "".join(buf), i, True
    return "".join(buf), i, False


def _is_var_char(c: str) -> bool:
    return c.isalpha() or c.isdecimal() or c in "_."


def _is_symbol_char(c: str) -> bool:
    return not (c.isdecimal() or c.isalpha() or c in "()[]'\"")


def tokenize(text: str) -> list[tuple[str, Any]]:
    """govaluate's lexer; returns (kind, value) pairs."""
    toks: list[tuple[str, Any]] = []
    state = "START"
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c.isdecimal() or c == ".":
            if c == "0" and i + 1 < n and text[i + 1] == "x":
                digits, i, _ = _read_until(text, i + 2, lambda ch: ch in "0123456789abcdefABCDEF", False, True)
                try:
                    kind, value = "NUMERIC", float(int(digits, 16))
                except ValueError:
                    raise _Err(f"Unable to parse hex value '{digits}' to uint64") from None
            else:
                raw, i, _ = _read_until(text, i, lambda ch: ch.isdecimal() or ch == ".", False, True)
                try:
                    kind, value = "NUMERIC", float(raw)
                except ValueError:
                    raise _Err(f"Unable to parse numeric value '{raw}' to float64") from None
        elif c == ",":
            kind, value, i = "SEPARATOR", ",", i + 1
        elif c == "[":
            value, i, done = _read_until(text, i + 1, lambda ch: ch != "]", True, False)
            if not done:
                raise _Err("Unclosed parameter bracket")
            kind, i = "VARIABLE", i + 1
        elif c.isalpha():
            word, i, _ = _read_until(text, i, _is_var_char, False, True)
            kind, value = "VARIABLE", word
            if word in ("true", "false"):
                kind, value = "BOOLEAN", word == "true"
            elif word in ("in", "IN"):
                kind, value = "COMPARATOR", "in"
            elif "." in word:
                if word.endswith("."):
                    raise _Err(f"Hanging accessor on token '{word}'")
                parts = word.split(".")
                for part in parts[1:]:
                    if part[:1] and part[:1].upper() != part[:1]:
                        raise _Err(f"Unable to access unexported field '{part}' in token '{word}'")
                kind, value = "ACCESSOR", parts
        elif c in "'\"":
            value, i, done = _read_until(text, i + 1, lambda ch: ch not in "'\"", True, False)
            if not done:
                raise _Err("Unclosed string literal")
            i += 1
            t = _try_time(value)
            kind, value = ("TIME", t) if t is not None else ("STRING", value)
        elif c == "(":
            kind, value, i = "CLAUSE", "(", i + 1
        elif c == ")":
            kind, value, i = "CLAUSE_CLOSE", ")", i + 1
        else:
            sym, i, _ = _read_until(text, i, _is_symbol_char, False, True)
            if "PREFIX" in NEXT[state] and sym in PREFIX_OPS:
                kind = "PREFIX"
            elif sym in MODIFIERS:
                kind = "MODIFIER"
            elif sym in LOGICAL:
                kind = "LOGICALOP"
            elif sym in COMPARATORS:
                kind = "COMPARATOR"
            elif sym in TERNARY:
                kind = "TERNARY"
            else:
                raise _Err(f"Invalid token: '{sym}'")
            value = sym
        toks.append((kind, value))
        state = kind
    return toks


def _check(toks: list[tuple[str, Any]]) -> None:
    depth = 0
    for kind, _ in toks:
        depth += (kind == "CLAUSE") - (kind == "CLAUSE_CLOSE")
        if depth > MAX_DEPTH:
            raise _Err(f"expression nested too deeply (more than {MAX_DEPTH} levels)")
    if depth != 0:
        raise _Err("Unbalanced parenthesis")
    state, last = "START", None
    for kind, value in toks:
        if kind not in NEXT[state]:
            if last is not None and last[0] == "VARIABLE" and kind == "CLAUSE":
                raise _Err(f"Undefined function {last[1]}")
            raise _Err(f"Cannot transition token types from {state} [{_show(last)}] to {kind} [{_show((kind, value))}]")
        state, last = kind, (kind, value)
    if state not in _EOF_OK and toks:
        raise _Err("Unexpected end of expression")


def _show(tok: Any) -> str:
    if tok is None:
        return "<nil>"
    v = tok[1]
    if isinstance(v, float):
        return go_float(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return "[" + " ".join(v) + "]"
    return str(v)


_LEVELS = [{","}, TERNARY, {"||"}, {"&&"}, COMPARATORS, {"&", "|", "^"}, {"<<", ">>"}, {"+", "-"},
           {"*", "/", "%"}, {"**"}]
_OP_KINDS = {"SEPARATOR", "TERNARY", "LOGICALOP", "COMPARATOR", "MODIFIER"}


class _Parser:
    def __init__(self, toks: list[tuple[str, Any]]) -> None:
        self.toks, self.i = toks, 0

    def peek(self) -> tuple[str, Any] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def parse(self, level: int = 0) -> Any:
        if level == len(_LEVELS):
            return self.unary()
        left = self.parse(level + 1)
        while True:
            t = self.peek()
            if t is None or t[0] not in _OP_KINDS or t[1] not in _LEVELS[level]:
                return left
            self.i += 1
            right = self.parse(level + 1)
            left = ("op", t[1], left, right)

    def unary(self) -> Any:
        t = self.peek()
        if t is None:
            return None
        self.i += 1
        kind, value = t
        if kind == "PREFIX":
            return ("prefix", value, self.unary())
        if kind == "CLAUSE":
            inner = self.parse(0) if self.peek() and self.peek()[0] != "CLAUSE_CLOSE" else None
            self.i += 1  # the balanced closing paren
            return ("group", inner)
        if kind == "CLAUSE_CLOSE":
            self.i -= 1
            return None
        if kind == "ACCESSOR":
            return ("accessor", value)
        return ("lit", value)


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return go_float(v)
    if v is None:
        return "<nil>"
    if isinstance(v, list):
        return "[" + " ".join(_fmt(x) for x in v) + "]"
    return str(v)


def _num(v: Any) -> bool:
    return type(v) is float


def _type_err(fmt: str, v: Any, op: str) -> EvalError:
    return EvalError(fmt.format(_fmt(v), op))


_LOGICAL_ERR = "Value '{}' cannot be used with the logical operator '{}', it is not a bool"
_MOD_ERR = "Value '{}' cannot be used with the modifier '{}', it is not a number"
_CMP_ERR = "Value '{}' cannot be used with the comparator '{}', it is not a number"
_TERN_ERR = "Value '{}' cannot be used with the ternary operator '{}', it is not a bool"


def _eval(node: Any) -> Any:
    if node is None:
        return None
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "group":
        return _eval(node[1])
    if kind == "accessor":
        raise EvalError(f"No parameter '{node[1][0]}' found.")
    if kind == "prefix":
        v = _eval(node[2])
        if node[1] == "!":
            if not isinstance(v, bool):
                raise EvalError(f"Value '{_fmt(v)}' cannot be used with the prefix '!'")
            return not v
        if not _num(v):
            raise EvalError(f"Value '{_fmt(v)}' cannot be used with the prefix '{node[1]}'")
        return -v if node[1] == "-" else float(~int(v))
    op, lnode, rnode = node[1], node[2], node[3]
    left = _eval(lnode)
    if op == "&&" and left is False:
        return False
    if op == "||" and left is True:
        return True
    if op in ("??", ":") and left is not None:
        return left
    if op == "?" and left is False:
        return None
    right = _eval(rnode)
    if op in ("&&", "||"):
        for v in (left, right):
            if not isinstance(v, bool):
                raise _type_err(_LOGICAL_ERR, v, op)
        return (left and right) if op == "&&" else (left or right)
    if op == "?":
        if not isinstance(left, bool):
            raise _type_err(_TERN_ERR, left, op)
        return right if left else None
    if op in ("??", ":"):
        return right
    if op == ",":
        return (left if isinstance(left, list) else [left]) + [right]
    if op in ("==", "!="):
        same = type(left) is type(right) and left == right
        return same if op == "==" else not same
    if op == "in":
        if not isinstance(right, list):
            raise _type_err(_CMP_ERR, right, op)
        return any(type(left) is type(x) and left == x for x in right)
    if op in ("=~", "!~"):
        if not isinstance(left, str):
            raise _type_err(_CMP_ERR, left, op)
        if not isinstance(right, str):
            raise _type_err(_CMP_ERR, right, op)
        try:
            found = limits.regex(right).search(left)
        except RegexError as e:
            raise EvalError(f"Unable to compile regexp pattern '{right}': {e}") from None
        return found if op == "=~" else not found
    if op in ("<", "<=", ">", ">="):
        if not ((_num(left) and _num(right)) or (isinstance(left, str) and isinstance(right, str))):
            raise _type_err(_CMP_ERR, left, op)
        return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]
    if op == "+":
        if _num(left) and _num(right):
            return left + right
        if isinstance(left, str) or isinstance(right, str):
            return _fmt(left) + _fmt(right)
        raise _type_err(_MOD_ERR, left, op)
    for v in (left, right):
        if not _num(v):
            raise _type_err(_MOD_ERR, v, op)
    return _arith(op, left, right)


def _arith(op: str, a: float, b: float) -> float:
    try:
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            return a / b if b else (math.nan if a == 0 or a != a else math.copysign(math.inf, a))
        if op == "%":
            return math.fmod(a, b) if b else math.nan
        if op == "**":
            return math.pow(a, b)
    except (OverflowError, ValueError):
        return math.inf if op != "%" else math.nan
    ia, ib = _i64(a), _i64(b)
    if op == "&":
        return float(ia & ib)
    if op == "|":
        return float(ia | ib)
    if op == "^":
        return float(ia ^ ib)
    ua, ub = ia % (1 << 64), ib % (1 << 64)
    if op == "<<":
        return float((ua << ub) % (1 << 64) if ub < 64 else 0)
    return float(ua >> ub if ub < 64 else 0)


def _i64(f: float) -> int:
    if f != f or math.isinf(f):
        return -(1 << 63)
    return int(f)


@lru_cache(maxsize=2048)
def _compile(text: str) -> Any:
    try:
        toks = tokenize(text)
        _check(toks)
        toks = [("STRING", v) if k == "VARIABLE" else (k, v) for k, v in toks]  # Argo's conversion
        _check(toks)
        for idx, (k, v) in enumerate(toks):
            if k == "COMPARATOR" and v in ("=~", "!~") and idx + 1 < len(toks) and toks[idx + 1][0] == "STRING":
                try:
                    limits.regex(toks[idx + 1][1])
                except RegexError as e:
                    raise _Err(f"Unable to compile regexp pattern '{toks[idx + 1][1]}': {e}") from None
        return _Parser(toks).parse(0) if toks else None
    except _Err as e:
        hint = ' (hint: try wrapping the affected expression in quotes ("))' if "Invalid token" in str(e) else ""
        raise _error(f"Invalid 'when' expression '{text}': {e}{hint}", text) from None
    except RecursionError:
        raise _error(f"Invalid 'when' expression '{text}': nested too deeply", text) from None


def check_when(text: str) -> None:
    """Raise ExprError if the (substituted) ``when`` text does not parse."""
    if text:
        _compile(text)


def when(text: str) -> bool:
    """Evaluate an already-substituted ``when`` condition; "" means "run"."""
    if not text:
        return True
    tree = _compile(text)
    try:
        result = _eval(tree)
    except EvalError as e:
        raise _error(f"Failed to evaluate 'when' expression '{text}': {e}", text) from None
    except RecursionError:
        raise _error(f"Failed to evaluate 'when' expression '{text}': nested too deeply", text) from None
    if not isinstance(result, bool):
        raise _error(f"Expected boolean evaluation for '{text}'. Got {_fmt(result)}", text)
    return result
