"""Go's ``regexp`` package on RE2: the engine and the syntax Argo's expressions use.

Argo evaluates ``=~``/``!~`` (govaluate), ``matches`` (expr-lang) and sprig's ``regex*`` with Go's
``regexp``, which is RE2: linear time in the text whatever the pattern, no backreferences or
lookarounds, ``\\z`` but no ``\\Z``, ``$`` only at the end of the text, ASCII ``\\w``/``\\d``/``\\s``.
Python's ``re`` backtracks (``^(a|a)*$`` on 30 characters takes a minute) and holds the GIL, so
every user pattern goes through this module instead: ``google-re2`` gives the same engine, and the
functions below keep Go's rules for what a call returns (``FindAll``'s empty matches,
``ReplaceAll``'s ``$1``/``${name}`` expansion, ``Split``'s ``n``) and Go's error messages.
Matching works on the UTF-8 bytes, as Go does, so offsets and empty-match steps agree.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Callable

MAX_PATTERN = 10_000

# RE2's error texts -> Go's regexp/syntax ErrorCode strings.
_GO_CODES = {
    "missing ]": "missing closing ]",
    "missing )": "missing closing )",
    "trailing \\": "trailing backslash at end of expression",
    "no argument for repetition operator": "missing argument to repetition operator",
    "invalid repetition size": "invalid repeat count",
    "bad repetition operator": "invalid nested repetition operator",
    "invalid perl operator": "invalid or unsupported Perl syntax",
    "invalid named capture group": "invalid named capture",
    "pattern too large - compile failed": "expression too large",
    "pattern too large - reverse compile failed": "expression too large",
}


class RegexError(ValueError):
    """A pattern Go's ``regexp.Compile`` refuses; ``str()`` is Go's ``err.Error()``."""


def _error(code: str, arg: str) -> RegexError:
    return RegexError(f"error parsing regexp: {_GO_CODES.get(code, code)}: `{arg}`")


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "surrogatepass")


def _go_only(pattern: str) -> None:
    """RE2 accepts ``\\C`` (any byte); Go's parser refuses it."""
    i, n = 0, len(pattern)
    while i < n - 1:
        if pattern[i] == "\\":
            nxt = pattern[i + 1]
            if nxt == "C":
                raise _error("invalid escape sequence", "\\C")
            if nxt == "Q":   # \Q...\E is literal text
                end = pattern.find("\\E", i + 2)
                if end < 0:
                    return
                i = end + 2
                continue
            i += 2
            continue
        i += 1


class Regexp:
    """One compiled pattern with Go's ``regexp.Regexp`` methods (the string forms)."""

    __slots__ = ("pattern", "_re", "_names", "groups")

    def __init__(self, pattern: str) -> None:
        import re2  # lazy: keeps ``import jupyter_flow`` light

        if len(pattern) > MAX_PATTERN:
            raise RegexError(f"error parsing regexp: expression too large: pattern of {len(pattern)} characters "
                             f"(the limit is {MAX_PATTERN})")
        _go_only(pattern)
        options = re2.Options()
        options.log_errors = False
        try:
            self._re = re2.compile(_encode(pattern), options)
        except re2.error as e:
            raw = e.args[0] if e.args else b""
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
            code, _, arg = text.partition(": ")
            raise _error(code, arg) from None
        self.pattern = pattern
        self.groups = self._re.groups
        self._names = {_decode(k) if isinstance(k, bytes) else k: v for k, v in self._re.groupindex.items()}

    # -- the primitive: one leftmost-first match at or after ``pos`` ------------------------------
    def _spans(self, data: bytes, pos: int) -> list[tuple[int, int]] | None:
        m = self._re.search(data, pos)
        if m is None:
            return None
        return [m.span(g) for g in range(self.groups + 1)]

    def _all(self, data: bytes, n: int) -> list[list[tuple[int, int]]]:
        """Go's ``allMatches``: successive non-overlapping matches; an empty match right after
        the previous match is dropped; ``n < 0`` means all."""
        out: list[list[tuple[int, int]]] = []
        if n < 0:
            n = len(data) + 1
        pos, prev_end, end = 0, -1, len(data)
        while len(out) < n and pos <= end:
            spans = self._spans(data, pos)
            if spans is None:
                break
            start, stop = spans[0]
            accept = True
            if stop == pos:   # an empty match: step one rune
                if start == prev_end:
                    accept = False
                pos += _rune_width(data, pos) if pos < end else 1
            else:
                pos = stop
            prev_end = stop
            if accept:
                out.append(spans)
        return out

    # -- Go's methods ------------------------------------------------------------------------------
    def match_string(self, text: str) -> bool:
        """``MatchString``: whether the text holds a match anywhere."""
        return self._re.search(_encode(text)) is not None

    search = match_string

    def find_string(self, text: str) -> str:
        data = _encode(text)
        spans = self._spans(data, 0)
        return "" if spans is None else _decode(data[spans[0][0]:spans[0][1]])

    def find_all_string(self, text: str, n: int = -1) -> list[str]:
        """``FindAllString`` (Go's nil slice, which expr-lang treats as empty, is ``[]``)."""
        data = _encode(text)
        return [_decode(data[s[0][0]:s[0][1]]) for s in self._all(data, n)]

    def replace_all_string(self, text: str, repl: str) -> str:
        """``ReplaceAllString``: ``$1``, ``${1}``, ``$name``, ``${name}`` and ``$$`` expand as Go's
        ``Expand`` does (``$1x`` is the group named ``1x``: empty)."""
        return self._replace(text, lambda data, spans: self._expand(repl, data, spans))

    def replace_all_literal_string(self, text: str, repl: str) -> str:
        literal = _encode(repl)
        return self._replace(text, lambda data, spans: literal)

    def split(self, text: str, n: int) -> list[str]:
        """``Split``: at most ``n`` pieces (all for ``n < 0``, none for 0)."""
        if n == 0:
            return []
        if self.pattern and not text:
            return [""]
        data = _encode(text)
        pieces: list[str] = []
        beg = end = 0
        for spans in self._all(data, n):
            if n > 0 and len(pieces) == n - 1:
                break
            end = spans[0][0]
            if spans[0][1] != 0:
                pieces.append(_decode(data[beg:end]))
            beg = spans[0][1]
        if end != len(data):
            pieces.append(_decode(data[beg:]))
        return pieces

    # -- helpers -----------------------------------------------------------------------------------
    def _replace(self, text: str, repl: Callable[[bytes, list], bytes]) -> str:
        from . import limits

        data = _encode(text)
        out: list[bytes] = []
        size = 0
        last_end = search_pos = 0
        end = len(data)
        while search_pos <= end:
            spans = self._spans(data, search_pos)
            if spans is None:
                break
            start, stop = spans[0]
            out.append(data[last_end:start])
            size += start - last_end
            if stop > last_end or start == 0:
                piece = repl(data, spans)
                out.append(piece)
                size += len(piece)
                if size > 1 << 20:
                    limits.check_string(size)
            last_end = stop
            width = _rune_width(data, search_pos) if search_pos < end else 0
            if search_pos + width > stop:
                search_pos += width
            elif search_pos + 1 > stop:
                search_pos += 1
            else:
                search_pos = stop
        out.append(data[last_end:])
        return _decode(b"".join(out))

    def _expand(self, template: str, data: bytes, spans: list[tuple[int, int]]) -> bytes:
        out: list[bytes] = []
        i, n = 0, len(template)
        while i < n:
            j = template.find("$", i)
            if j < 0:
                break
            out.append(_encode(template[i:j]))
            i = j + 1
            if template.startswith("$", i):
                out.append(b"$")
                i += 1
                continue
            name, num, i2 = _extract(template, i)
            if name is None:
                out.append(b"$")
                continue
            i = i2
            index = num if num >= 0 else self._names.get(name, -1)
            if 0 <= index < len(spans) and spans[index][0] >= 0:
                out.append(data[spans[index][0]:spans[index][1]])
        out.append(_encode(template[i:]))
        return b"".join(out)


def _rune_width(data: bytes, pos: int) -> int:
    """Bytes of the UTF-8 sequence at ``pos`` (1 for an invalid byte, as Go's DecodeRune)."""
    b = data[pos]
    width = 1 if b < 0xC0 else 2 if b < 0xE0 else 3 if b < 0xF0 else 4 if b < 0xF8 else 1
    if pos + width > len(data) or any(not 0x80 <= c < 0xC0 for c in data[pos + 1:pos + width]):
        return 1
    return width


def _extract(template: str, i: int) -> tuple[str | None, int, int]:
    """Go's ``extract`` at ``template[i:]`` (just after a ``$``): the name (letters, digits,
    ``_``; braced or not), its number when it is all digits without a leading zero (else -1),
    and where the rest starts; ``None`` when there is no well-formed name."""
    brace = template.startswith("{", i)
    j = start = i + 1 if brace else i
    while j < len(template) and (template[j].isalpha() or template[j].isdigit() or template[j] == "_"):
        j += 1
    if j == start:
        return None, -1, i
    name = template[start:j]
    if brace:
        if j >= len(template) or template[j] != "}":
            return None, -1, i
        j += 1
    num = -1
    if name.isascii() and name.isdigit() and (name[0] != "0" or len(name) == 1) and len(name) <= 9:
        num = int(name)
    return name, num, j


@lru_cache(maxsize=512)
def compile(pattern: str) -> Regexp:  # noqa: A001 - Go's name
    """``regexp.Compile`` (cached): raises ``RegexError`` with Go's message."""
    return Regexp(pattern)


def must_compile_message(pattern: str, err: RegexError) -> str:
    """The panic text of Go's ``regexp.MustCompile``, which sprig's non-``must`` functions raise."""
    quoted = f"`{pattern}`" if "`" not in pattern and all(c == "\t" or " " <= c != "\x7f" for c in pattern) \
        else '"' + pattern.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"regexp: Compile({quoted}): {err}"


def quote_meta(text: str) -> str:
    """Go's ``regexp.QuoteMeta``: a backslash before each of ``\\.+*?()|[]{}^$``."""
    return "".join("\\" + c if c in "\\.+*?()|[]{}^$" else c for c in text)
