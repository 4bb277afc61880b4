"""Tokenizer for expr-lang (https://expr-lang.org), keeping source offsets for error messages.

Word operators (``and``, ``in``, ``matches``, ...) are emitted as identifiers; the parser decides
from position whether ``not`` or ``contains`` is an operator or a property name, as expr-lang does.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from .values import EvalError


class Token(NamedTuple):
    kind: str  # "num" | "str" | "ident" | "op" | "eof"
    value: object
    pos: int


class LexError(EvalError):
    """A lexing failure at ``pos``."""

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.pos = pos


# Longest operators first so that "**" wins over "*", "?." over "?", etc.
_OPS = sorted(
    ["!=", "!", "==", "=", "<=", ">=", "<", ">", "&&", "||", "|", "??", "?.", "?", "..", ".",
     "+", "-", "**", "*", "/", "%", "^", "(", ")", "[", "]", "{", "}", ",", ":", "::", ";", "#"],
    key=len, reverse=True)
_OP_RE = re.compile("|".join(re.escape(o) for o in _OPS))
_IDENT_RE = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_NUM_RE = re.compile(
    r"0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+"
    r"|(?:[0-9][0-9_]*(?:\.(?!\.)[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][+-]?[0-9_]+)?")
_SPACE_RE = re.compile(r"\s+")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v",
            "\\": "\\", "'": "'", '"': '"', "`": "`", "/": "/"}
INT64_MAX = (1 << 63) - 1


def _number(text: str, pos: int) -> Token:
    """Parse a numeric literal the way expr-lang's parser does (int64 unless '.' or 'e')."""
    clean = text.replace("_", "")
    low = clean.lower()
    try:
        if low.startswith(("0x", "0b", "0o")):
            value: object = int(clean[2:], {"x": 16, "b": 2, "o": 8}[low[1]])
        elif "." in low or "e" in low:
            value = float(clean)
            if value == float("inf"):
                raise LexError("float literal is too large", pos)
        else:
            value = int(clean, 10)
    except ValueError:
        raise LexError(f"invalid number literal {text!r}", pos) from None
    if isinstance(value, int) and value > INT64_MAX:
        raise LexError("integer literal is too large", pos)
    return Token("num", value, pos)


def _string(src: str, i: int) -> tuple[str, int]:
    """Read a quoted string starting at ``src[i]``; returns (value, index after closing quote)."""
    quote = src[i]
    start = i
    i += 1
    if quote == "`":
        end = src.find("`", i)
        if end < 0:
            raise LexError("literal not terminated", start)
        return src[i:end], end + 1
    out: list[str] = []
    n = len(src)
    while i < n:
        c = src[i]
        if c == quote:
            return "".join(out), i + 1
        if c == "\n":
            break
        if c == "\\":
            i += 1
            if i >= n:
                break
            e = src[i]
            if e in _ESCAPES:
                out.append(_ESCAPES[e])
                i += 1
            elif e in "xuU":
                width = {"x": 2, "u": 4, "U": 8}[e]
                digits = src[i + 1:i + 1 + width]
                if len(digits) != width or not all(d in "0123456789abcdefABCDEF" for d in digits):
                    raise LexError("invalid char escape", i - 1)
                code = int(digits, 16)
                if code > 0x10FFFF:
                    raise LexError("escape sequence is invalid Unicode code point", i - 1)
                out.append(chr(code))
                i += 1 + width
            elif e in "01234567":
                digits = src[i:i + 3]
                if len(digits) != 3 or not all(d in "01234567" for d in digits) or int(digits, 8) > 255:
                    raise LexError("invalid char escape", i - 1)
                out.append(chr(int(digits, 8)))
                i += 3
            else:
                raise LexError("invalid char escape", i - 1)
            continue
        out.append(c)
        i += 1
    raise LexError("literal not terminated", start)


def tokenize(src: str) -> list[Token]:
    """Split ``src`` into tokens, ending with an ``eof`` token; raises LexError."""
    tokens: list[Token] = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c.isspace():
            m = _SPACE_RE.match(src, i)
            i = m.end() if m else i + 1
            continue
        if src.startswith("//", i):
            end = src.find("\n", i)
            i = n if end < 0 else end + 1
            continue
        if src.startswith("/*", i):
            end = src.find("*/", i + 2)
            if end < 0:
                raise LexError("unclosed comment", i)
            i = end + 2
            continue
        if c in "\"'`":
            value, j = _string(src, i)
            tokens.append(Token("str", value, i))
            i = j
            continue
        if c.isdigit() or (c == "." and i + 1 < n and src[i + 1].isdigit()
                           and not (tokens and tokens[-1].kind != "op")):
            m = _NUM_RE.match(src, i)
            if m and m.end() > i:
                tokens.append(_number(m.group(), i))
                i = m.end()
                if i < n and (src[i].isalnum() or src[i] == "_"):
                    raise LexError(f"bad number syntax: {src[tokens[-1].pos:i + 1]!r}", tokens[-1].pos)
                continue
        if c.isalpha() or c in "_$":
            m = _IDENT_RE.match(src, i)
            if m is None or m.end() == i:  # non-ASCII letters: accept a run of word characters
                j = i
                while j < n and (src[j].isalnum() or src[j] in "_$"):
                    j += 1
                tokens.append(Token("ident", src[i:j], i))
                i = j
            else:
                j = m.end()
                while j < n and (src[j].isalnum() or src[j] in "_$"):
                    j += 1
                tokens.append(Token("ident", src[i:j], i))
                i = j
            continue
        m = _OP_RE.match(src, i)
        if m:
            tokens.append(Token("op", m.group(), i))
            i = m.end()
            continue
        raise LexError(f"unrecognized character: {c!r}", i)
    tokens.append(Token("eof", None, n))
    return tokens
