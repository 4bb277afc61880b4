"""Turns the expr-lang AST into nested Python closures (compiled once, run many times).

Each closure takes a ``Frame`` (the environment plus predicate/let bindings) and returns a value.
Runtime failures raise ``EvalError`` carrying the offset of the node that failed.
"""
from __future__ import annotations

from typing import Any, Callable

from . import builtins as B
from . import limits
from .functions import ARGO_FUNCTIONS
from .goregexp import Regexp, RegexError
from .values import (EvalError, ScopeNode, as_text, equal, is_num, less, truthy_bool, type_name,
                     wrap_int)

Fn = Callable[["Frame"], Any]


class Frame:
    """Evaluation state: the variable environment, ``#``/``#acc``/``#index`` and ``let`` names."""

    __slots__ = ("env", "names")

    def __init__(self, env: dict, names: dict | None = None) -> None:
        self.env = env
        self.names = names or {}

    def child(self, **names: Any) -> "Frame":
        merged = dict(self.names)
        merged.update(names)
        return Frame(self.env, merged)


class _NilChain(Exception):
    """Raised by an optional member on nil; caught by the enclosing ``chain`` node."""


def fail(message: str, pos: int) -> EvalError:
    err = EvalError(message)
    err.pos = pos  # type: ignore[attr-defined]
    return err


def regex(pattern: Any) -> "Regexp":
    """Compile (cached) a pattern with Go's regexp (RE2): linear time, Go's syntax and errors."""
    pattern = as_text(pattern)
    if not isinstance(pattern, str):
        raise EvalError(f"invalid operation: matches (mismatched types {type_name(pattern)})")
    try:
        return limits.regex(pattern)
    except RegexError as e:
        raise EvalError(str(e)) from None


def fetch(obj: Any, key: Any, pos: int) -> Any:
    """expr-lang member/index access: missing map keys give nil, bad indexes are errors."""
    if isinstance(obj, dict):
        if isinstance(key, str):
            return obj.get(key)
        raise fail(f"cannot fetch {key} from {type_name(obj)}", pos)
    if isinstance(obj, (list, str)):
        if not is_num(key):
            raise fail(f"cannot fetch {key} from {type_name(obj)}", pos)
        i, n = int(key), len(obj)
        j = i + n if i < 0 else i
        if not 0 <= j < n:
            raise fail(f"index out of range: {j} (array length is {n})", pos)
        return obj[j]
    if obj is not None and isinstance(key, str):
        method = B.method(obj, key)
        if method is not None:
            return method
    raise fail(f"cannot fetch {key} from {type_name(obj)}", pos)


def _arith(op: str, a: Any, b: Any, pos: int) -> Any:
    a, b = as_text(a), as_text(b)
    if is_num(a) and is_num(b):
        both_int = type(a) is int and type(b) is int
        if op == "+":
            return wrap_int(a + b) if both_int else float(a) + float(b)
        if op == "-":
            return wrap_int(a - b) if both_int else float(a) - float(b)
        if op == "*":
            return wrap_int(a * b) if both_int else float(a) * float(b)
        if op == "/":
            fa, fb = float(a), float(b)
            if fb == 0:
                return float("nan") if fa == 0 or fa != fa else (float("inf") if fa > 0 else float("-inf"))
            return fa / fb
        if op == "%":
            if not both_int:
                raise fail(f"invalid operation: {type_name(a)} % {type_name(b)}", pos)
            if b == 0:
                raise fail("integer divide by zero", pos)
            r = abs(a) % abs(b)
            return -r if a < 0 else r  # Go truncates toward zero
        try:
            return float(a) ** float(b)  # "**" and "^" are math.Pow
        except (OverflowError, ZeroDivisionError):
            return float("inf")
        except ValueError:
            return float("nan")
    if op == "+" and isinstance(a, str) and isinstance(b, str):
        size = len(a) + len(b)
        if size > 4096:
            try:
                limits.check_string(size)
                limits.spend(size // limits.STRING_COST)
            except EvalError as e:
                raise fail(str(e), pos) from None
        return a + b
    special = B.time_arith(op, a, b)
    if special is not None:
        return special
    raise fail(f"invalid operation: {type_name(a)} {op} {type_name(b)}", pos)


def _in(a: Any, b: Any, pos: int) -> bool:
    b = b if type(b) is not ScopeNode else b
    if isinstance(b, dict):
        return isinstance(as_text(a), str) and as_text(a) in b
    if isinstance(b, list):
        return any(equal(a, x) for x in b)
    raise fail(f"operator in not defined on {type_name(b)}", pos)


def _strop(op: str, a: Any, b: Any, pos: int) -> bool:
    a, b = as_text(a), as_text(b)
    if op == "matches":
        if not isinstance(a, str):
            raise fail(f"invalid operation: matches (mismatched types {type_name(a)} and {type_name(b)})", pos)
        try:
            return regex(b).search(a)
        except EvalError as e:
            raise fail(str(e), pos) from None
    if not (isinstance(a, str) and isinstance(b, str)):
        raise fail(f"invalid operation: {op} (mismatched types {type_name(a)} and {type_name(b)})", pos)
    if op == "contains":
        return b in a
    if op == "startsWith":
        return a.startswith(b)
    return a.endswith(b)


def compile_node(node: tuple) -> Fn:
    """Compile one AST node (recursively) into a closure."""
    kind, pos = node[0], node[1]
    if kind == "lit":
        value = node[2]
        return lambda f: value
    if kind == "ident":
        name = node[2]

        def ident(f: Frame) -> Any:
            if name in f.names:
                return f.names[name]
            env = f.env
            if name in env:
                return env[name]
            if name == "$env":
                return env
            return ARGO_FUNCTIONS.get(name)
        return ident
    if kind == "ptr":
        key = "#" + node[2]
        if node[2] not in ("", "acc", "index"):
            raise fail(f"unknown pointer #{node[2]}", pos)

        def ptr(f: Frame) -> Any:
            if key not in f.names:
                raise fail(f"unknown pointer {key}", pos)
            return f.names[key]
        return ptr
    if kind == "member":
        obj_fn, key_fn, optional = compile_node(node[2]), compile_node(node[3]), node[4]

        def member(f: Frame) -> Any:
            obj = obj_fn(f)
            if obj is None and optional:
                raise _NilChain
            return fetch(obj, key_fn(f), pos)
        return member
    if kind == "chain":
        inner = compile_node(node[2])

        def chain(f: Frame) -> Any:
            try:
                return inner(f)
            except _NilChain:
                return None
        return chain
    if kind == "slice":
        obj_fn = compile_node(node[2])
        lo_fn = compile_node(node[3]) if node[3] else None
        hi_fn = compile_node(node[4]) if node[4] else None

        def slice_(f: Frame) -> Any:
            obj = as_text(obj_fn(f))
            if not isinstance(obj, (list, str)):
                raise fail(f"cannot slice {type_name(obj)}", pos)
            n = len(obj)
            lo = lo_fn(f) if lo_fn else 0
            hi = hi_fn(f) if hi_fn else n
            if not (is_num(lo) and is_num(hi)):
                raise fail("slice indexes must be integers", pos)
            lo, hi = int(lo), int(hi)
            lo = max(lo + n if lo < 0 else lo, 0)
            hi = min(max(hi + n if hi < 0 else hi, 0), n)
            return obj[min(lo, hi):hi]
        return slice_
    if kind == "call":
        callee = node[2]
        args_fn = [compile_node(a) for a in node[3]]
        callee_fn = compile_node(callee)
        label = callee[2] if callee[0] == "ident" else (
            callee[3][2] if callee[0] == "member" and callee[3][0] == "lit" else "function")

        def call(f: Frame) -> Any:
            fn = callee_fn(f)
            if not callable(fn):
                raise fail(f"{label} is not callable ({type_name(fn)})", pos)
            return B.invoke(fn, [a(f) for a in args_fn], label, pos)
        return call
    if kind == "builtin":
        return _compile_builtin(node)
    if kind == "pred":
        return compile_node(node[2])
    if kind == "unary":
        op, x = node[2], compile_node(node[3])
        if op == "!":
            return lambda f: not truthy_bool(_at(x, f, pos), "!")
        if op == "-":
            def neg(f: Frame) -> Any:
                v = as_text(x(f))
                if is_num(v):
                    return wrap_int(-v) if type(v) is int else -v
                raise fail(f"invalid operation: -{type_name(v)}", pos)
            return neg

        def pos_(f: Frame) -> Any:
            v = as_text(x(f))
            if is_num(v):
                return v
            raise fail(f"invalid operation: +{type_name(v)}", pos)
        return pos_
    if kind == "binary":
        return _compile_binary(node)
    if kind == "cond":
        c, a, b = compile_node(node[2]), compile_node(node[3]), compile_node(node[4])

        def cond(f: Frame) -> Any:
            v = c(f)
            if type(v) is not bool:
                raise fail(f"non-bool expression (type {type_name(v)}) used as condition", pos)
            return a(f) if v else b(f)
        return cond
    if kind == "elvis":
        c, b = compile_node(node[2]), compile_node(node[3])

        def elvis(f: Frame) -> Any:
            v = c(f)
            return v if (v is not None and v is not False) else b(f)
        return elvis
    if kind == "array":
        items = [compile_node(x) for x in node[2]]
        return lambda f: [x(f) for x in items]
    if kind == "map":
        pairs = [(compile_node(k), compile_node(v)) for k, v in node[2]]

        def map_(f: Frame) -> Any:
            out = {}
            for k, v in pairs:
                key = as_text(k(f))
                out[key if isinstance(key, str) else str(key)] = v(f)
            return out
        return map_
    if kind == "let":
        name, value, body = node[2], compile_node(node[3]), compile_node(node[4])
        return lambda f: body(f.child(**{name: value(f)}))
    if kind == "seq":
        parts = [compile_node(x) for x in node[2]]

        def seq(f: Frame) -> Any:
            v = None
            for p in parts:
                v = p(f)
            return v
        return seq
    raise fail(f"unsupported node {kind}", pos)


def _at(fn: Fn, f: Frame, pos: int) -> Any:
    try:
        return fn(f)
    except EvalError as e:
        if getattr(e, "pos", None) is None:
            e.pos = pos  # type: ignore[attr-defined]
        raise


def _compile_binary(node: tuple) -> Fn:
    op, pos = node[2], node[1]
    left, right = compile_node(node[3]), compile_node(node[4])
    if op in ("&&", "and"):
        return lambda f: truthy_bool(left(f), op) and truthy_bool(right(f), op)
    if op in ("||", "or"):
        return lambda f: truthy_bool(left(f), op) or truthy_bool(right(f), op)
    if op == "??":
        def coalesce(f: Frame) -> Any:
            v = left(f)
            return right(f) if v is None else v
        return coalesce
    if op == "==":
        return lambda f: equal(left(f), right(f))
    if op == "!=":
        return lambda f: not equal(left(f), right(f))
    if op in ("<", ">", "<=", ">="):
        def compare(f: Frame) -> bool:
            try:
                return less(op, left(f), right(f))
            except EvalError as e:
                raise fail(str(e), pos) from None
        return compare
    if op == "in":
        return lambda f: _in(left(f), right(f), pos)
    if op in ("matches", "contains", "startsWith", "endsWith"):
        return lambda f: _strop(op, left(f), right(f), pos)
    if op == "..":
        def range_(f: Frame) -> list:
            a, b = as_text(left(f)), as_text(right(f))
            if type(a) is not int or type(b) is not int:
                raise fail(f"invalid operation: {type_name(a)} .. {type_name(b)}", pos)
            if b - a > 10_000_000:
                raise fail("range too large", pos)
            try:
                limits.spend(max(0, b - a + 1))
            except EvalError as e:
                raise fail(str(e), pos) from None
            return list(range(a, b + 1))
        return range_
    return lambda f: _arith(op, left(f), right(f), pos)


def _items(v: Any, name: str, pos: int) -> list:
    v = as_text(v)
    if isinstance(v, list):
        return v
    if isinstance(v, dict):
        return list(v.values())
    raise fail(f"cannot iterate {type_name(v)} in {name}", pos)


def _compile_builtin(node: tuple) -> Fn:
    pos, name, args = node[1], node[2], node[3]
    fns = [compile_node(a) for a in args]
    if len(args) >= 2 and args[1][0] == "pred":
        return _compile_predicate_builtin(name, fns, pos)
    impl = B.BUILTINS.get(name)
    if impl is None:
        raise fail(f"unknown builtin {name}", pos)

    def builtin(f: Frame) -> Any:
        return B.invoke(impl, [a(f) for a in fns], name, pos)
    return builtin


def _compile_predicate_builtin(name: str, fns: list[Fn], pos: int) -> Fn:
    src, pred = fns[0], fns[1]

    def spend(n: int) -> None:
        try:
            limits.spend(n)
        except EvalError as e:
            raise fail(str(e), pos) from None
    extra = fns[2] if len(fns) > 2 else None

    def run(f: Frame) -> Any:
        items = _items(src(f), name, pos)

        def test(i: int, x: Any) -> Any:
            spend(1)
            return pred(f.child(**{"#": x, "#index": i}))

        def check(i: int, x: Any) -> bool:
            v = test(i, x)
            if type(v) is not bool:
                raise fail(f"predicate should return boolean (got {type_name(v)})", pos)
            return v
        if name == "all":
            return all(check(i, x) for i, x in enumerate(items))
        if name == "any":
            return any(check(i, x) for i, x in enumerate(items))
        if name == "none":
            return not any(check(i, x) for i, x in enumerate(items))
        if name == "one":
            return sum(1 for i, x in enumerate(items) if check(i, x)) == 1
        if name == "filter":
            return [x for i, x in enumerate(items) if check(i, x)]
        if name == "map":
            return [test(i, x) for i, x in enumerate(items)]
        if name == "count":
            return sum(1 for i, x in enumerate(items) if check(i, x))
        if name == "sum":
            return B.BUILTINS["sum"]([test(i, x) for i, x in enumerate(items)])
        if name in ("find", "findIndex"):
            for i, x in enumerate(items):
                if check(i, x):
                    return x if name == "find" else i
            return None if name == "find" else -1
        if name in ("findLast", "findLastIndex"):
            for i in range(len(items) - 1, -1, -1):
                if check(i, items[i]):
                    return items[i] if name == "findLast" else i
            return None if name == "findLast" else -1
        if name == "groupBy":
            groups: dict = {}
            for i, x in enumerate(items):
                key = as_text(test(i, x))
                groups.setdefault(key if isinstance(key, str) else B.go_str(key), []).append(x)
            return groups
        if name == "sortBy":
            order = extra(f) if extra else "asc"
            keyed = [(test(i, x), x) for i, x in enumerate(items)]
            return [x for _, x in B.sort_pairs(keyed, order)]
        if name == "reduce":
            if extra is not None:
                acc, start = extra(f), 0
            elif items:
                acc, start = items[0], 1
            else:
                raise fail("reduce of empty array with no initial value", pos)
            for i in range(start, len(items)):
                spend(1)
                acc = pred(f.child(**{"#": items[i], "#index": i, "#acc": acc}))
            return acc
        raise fail(f"unknown builtin {name}", pos)
    return run
