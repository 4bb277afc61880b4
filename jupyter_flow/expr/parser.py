"""Pratt parser for expr-lang, producing a small tuple AST.

The grammar, operator precedences and oddities (``??`` binds tightest and may not be mixed with
other operators without parentheses, chained comparisons ``1 < x < 3``, ``not in``, pipes
``x | f()``, predicates ``{# > 1}`` / ``.field``) follow expr-lang's ``parser/parser.go`` so that
expressions valid in Argo parse here and invalid ones fail.

AST nodes are tuples ``(kind, pos, ...)``:
``lit v`` · ``ident name`` · ``ptr name`` · ``member obj prop optional`` · ``slice obj from to`` ·
``chain node`` · ``call callee args`` · ``builtin name args`` · ``pred body`` · ``unary op x`` ·
``binary op l r`` · ``cond c a b`` · ``array items`` · ``map pairs`` · ``let name value body`` ·
``seq nodes``.
"""
from __future__ import annotations

from typing import Any

from .lexer import LexError, Token, tokenize

MAX_DEPTH = 100

BINARY = {
    "|": 0, "or": 10, "||": 10, "and": 15, "&&": 15,
    "==": 20, "!=": 20, "<": 20, ">": 20, ">=": 20, "<=": 20,
    "in": 20, "matches": 20, "contains": 20, "startsWith": 20, "endsWith": 20,
    "..": 25, "+": 30, "-": 30, "*": 60, "/": 60, "%": 60, "**": 100, "^": 100, "??": 500,
}
RIGHT_ASSOC = {"**", "^"}
COMPARISON = {"<", ">", "<=", ">="}
WORD_OPS = {"and", "or", "in", "matches", "contains", "startsWith", "endsWith", "not"}
NEGATABLE = {"contains", "matches", "startsWith", "endsWith", "in"}
UNARY = {"not": 50, "!": 50, "-": 90, "+": 90}
KEYWORDS = WORD_OPS | {"let", "if", "else"}

# Builtins whose arguments are predicates (closures): name -> argument kinds ("e"=expr, "p"=predicate,
# a trailing "?" = optional).
PREDICATES = {
    "all": "ep", "none": "ep", "any": "ep", "one": "ep", "filter": "ep", "map": "ep",
    "count": "ep?", "sum": "ep?", "find": "ep", "findIndex": "ep", "findLast": "ep",
    "findLastIndex": "ep", "groupBy": "ep", "sortBy": "epe?", "reduce": "epe?",
}


class ParseError(LexError):
    """A syntax error at ``pos``."""


class Parser:
    """Recursive-descent/Pratt parser over the token list of one expression."""

    def __init__(self, src: str, builtins: frozenset[str]) -> None:
        self.src = src
        self.tokens = tokenize(src)
        self.i = 0
        self.depth = 0  # nesting depth, bounded to keep Python's stack safe
        self.pred_depth = 0  # inside a predicate, '#' and '.x' are allowed
        self.builtins = builtins

    # -- token helpers -------------------------------------------------------------------------
    @property
    def cur(self) -> Token:
        return self.tokens[self.i]

    def is_op(self, *values: str) -> bool:
        t = self.tokens[self.i]
        return (t.kind == "op" or (t.kind == "ident" and t.value in KEYWORDS)) and t.value in values

    def advance(self) -> Token:
        t = self.tokens[self.i]
        if t.kind != "eof":
            self.i += 1
        return t

    def expect(self, value: str) -> Token:
        if not self.is_op(value):
            self.fail_unexpected()
        return self.advance()

    def fail_unexpected(self, tok: Token | None = None) -> None:
        t = tok or self.cur
        if t.kind == "eof":
            raise ParseError("unexpected end of expression", t.pos)
        shown = t.value if t.kind != "str" else repr(t.value)
        raise ParseError(f"unexpected token {shown}", t.pos)

    def enter(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError(f"expression nested too deeply (more than {MAX_DEPTH} levels)", pos)

    # -- grammar -------------------------------------------------------------------------------
    def parse(self) -> tuple:
        if self.cur.kind == "eof":
            raise ParseError("unexpected end of expression", 0)
        node = self.parse_sequence()
        if self.cur.kind != "eof":
            self.fail_unexpected()
        return node

    def parse_sequence(self) -> tuple:
        nodes = [self.parse_expression(0)]
        while self.is_op(";"):
            self.advance()
            if self.cur.kind == "eof":
                break
            nodes.append(self.parse_expression(0))
        return nodes[0] if len(nodes) == 1 else ("seq", nodes[0][1], nodes)

    def binary_op(self) -> str | None:
        t = self.cur
        if t.kind == "op" and t.value in BINARY:
            return t.value
        if t.kind == "ident" and t.value in WORD_OPS:
            return t.value
        return None

    def parse_expression(self, precedence: int) -> tuple:
        start = self.cur.pos
        self.enter(start)
        try:
            if precedence == 0 and self.is_op("let"):
                return self.parse_let()
            if precedence == 0 and self.is_op("if"):
                return self.parse_if()
            left = self.parse_primary()
            prev = ""
            while True:
                op = self.binary_op()
                if op is None:
                    break
                tok = self.cur
                negate = op == "not"
                if negate:
                    nxt = self.tokens[self.i + 1]
                    if nxt.kind == "ident" and nxt.value in NEGATABLE:
                        if BINARY[nxt.value] < precedence:
                            break
                        self.advance()
                        op, tok = nxt.value, nxt
                    else:
                        self.fail_unexpected(nxt)
                prec = BINARY[op]
                if prec < precedence:
                    break
                self.advance()
                if op == "|":
                    name = self.cur
                    if name.kind != "ident" or name.value in KEYWORDS:
                        self.fail_unexpected()
                    self.advance()
                    left = self.parse_call(name, [left])
                    prev = op
                    continue
                if prev == "??" and op != "??":
                    raise ParseError(f"Operator ({op}) and coalesce expressions (??) cannot be mixed. "
                                     "Wrap either by parentheses.", tok.pos)
                if op in COMPARISON:
                    left = self.parse_comparison(left, tok, prec)
                    prev = op
                    continue
                right = self.parse_expression(prec if op in RIGHT_ASSOC else prec + 1)
                left = ("binary", tok.pos, op, left, right)
                if negate:
                    left = ("unary", tok.pos, "!", left)
                prev = op
            if precedence == 0:
                left = self.parse_conditional(left)
            return left
        finally:
            self.depth -= 1

    def parse_comparison(self, left: tuple, tok: Token, prec: int) -> tuple:
        root = None
        while True:
            right = self.parse_expression(prec + 1)
            cmp_node = ("binary", tok.pos, tok.value, left, right)
            root = cmp_node if root is None else ("binary", tok.pos, "&&", root, cmp_node)
            left = right
            if not (self.cur.kind == "op" and self.cur.value in COMPARISON):
                return root
            tok = self.advance()

    def parse_let(self) -> tuple:
        let = self.advance()
        name = self.cur
        if name.kind != "ident" or name.value in KEYWORDS:
            self.fail_unexpected()
        self.advance()
        self.expect("=")
        value = self.parse_expression(0)
        self.expect(";")
        body = self.parse_sequence()
        return ("let", let.pos, name.value, value, body)

    def parse_if(self) -> tuple:
        tok = self.advance()
        cond = self.parse_expression(0)
        self.expect("{")
        a = self.parse_sequence()
        self.expect("}")
        self.expect("else")
        if self.is_op("if"):
            b = self.parse_if()
        else:
            self.expect("{")
            b = self.parse_sequence()
            self.expect("}")
        return ("cond", tok.pos, cond, a, b)

    def parse_conditional(self, node: tuple) -> tuple:
        while self.is_op("?"):
            tok = self.advance()
            if self.is_op(":"):
                self.advance()
                node = ("elvis", tok.pos, node, self.parse_expression(0))
                continue
            a = self.parse_expression(0)
            self.expect(":")
            b = self.parse_expression(0)
            node = ("cond", tok.pos, node, a, b)
        return node

    def parse_primary(self) -> tuple:
        tok = self.cur
        if (tok.kind == "op" or tok.kind == "ident") and tok.value in UNARY:
            self.advance()
            operand = self.parse_expression(UNARY[tok.value])
            return self.parse_postfix(("unary", tok.pos, "!" if tok.value == "not" else tok.value, operand))
        if tok.kind == "op" and tok.value == "(":
            self.advance()
            inner = self.parse_sequence()
            self.expect(")")
            return self.parse_postfix(inner)
        if self.pred_depth > 0 and tok.kind == "op" and tok.value in ("#", "."):
            name = ""
            if tok.value == "#":
                self.advance()
                if self.cur.kind == "ident" and self.cur.value not in KEYWORDS:
                    name = self.advance().value
            return self.parse_postfix(("ptr", tok.pos, name))
        if tok.kind == "op" and tok.value == "::":
            self.advance()
            name = self.cur
            if name.kind != "ident":
                self.fail_unexpected()
            self.advance()
            return self.parse_postfix(self.parse_call(name, []))
        return self.parse_secondary()

    def parse_secondary(self) -> tuple:
        tok = self.cur
        if tok.kind == "ident" and tok.value not in KEYWORDS:
            self.advance()
            if tok.value == "true":
                return ("lit", tok.pos, True)
            if tok.value == "false":
                return ("lit", tok.pos, False)
            if tok.value == "nil":
                return ("lit", tok.pos, None)
            if self.is_op("("):
                node = self.parse_call(tok, [])
            else:
                node = ("ident", tok.pos, tok.value)
        elif tok.kind in ("num", "str"):
            self.advance()
            node = ("lit", tok.pos, tok.value)
        elif self.is_op("["):
            node = self.parse_array()
        elif self.is_op("{"):
            node = self.parse_map()
        else:
            self.fail_unexpected()
        return self.parse_postfix(node)

    def parse_call(self, name: Token, args: list) -> tuple:
        spec = PREDICATES.get(name.value)
        if spec is not None:
            self.expect("(")
            pre = len(args)
            kinds = [k for k in spec.replace("?", "")][pre:]
            optional_from = spec.index("?") - 1 if "?" in spec else len(spec)
            for n, kind in enumerate(kinds):
                if self.is_op(")"):
                    if pre + n >= optional_from:
                        break
                    raise ParseError(f"expected at least {len(kinds)} arguments", self.cur.pos)
                if n > 0:
                    self.expect(",")
                args.append(self.parse_predicate() if kind == "p" else self.parse_expression(0))
            if self.is_op(","):
                self.advance()
            self.expect(")")
            return ("builtin", name.pos, name.value, args)
        args = self.parse_arguments(args)
        if name.value in self.builtins:
            return ("builtin", name.pos, name.value, args)
        return ("call", name.pos, ("ident", name.pos, name.value), args)

    def parse_arguments(self, args: list) -> list:
        offset = len(args)
        self.expect("(")
        while not self.is_op(")"):
            if self.cur.kind == "eof":
                self.fail_unexpected()
            if len(args) > offset:
                self.expect(",")
                if self.is_op(")"):
                    break
            args.append(self.parse_expression(0))
        self.expect(")")
        return args

    def parse_predicate(self) -> tuple:
        start = self.cur.pos
        braces = self.is_op("{")
        if braces:
            self.advance()
        self.pred_depth += 1
        try:
            body = self.parse_sequence() if braces else self.parse_expression(0)
        finally:
            self.pred_depth -= 1
        if braces:
            self.expect("}")
        elif self.is_op(";"):
            raise ParseError("wrap predicate with brackets { and }", self.cur.pos)
        return ("pred", start, body)

    def parse_array(self) -> tuple:
        tok = self.expect("[")
        items: list = []
        while not self.is_op("]"):
            if items:
                self.expect(",")
                if self.is_op("]"):
                    break
            items.append(self.parse_expression(0))
        self.expect("]")
        return ("array", tok.pos, items)

    def parse_map(self) -> tuple:
        tok = self.expect("{")
        pairs: list = []
        while not self.is_op("}"):
            if pairs:
                self.expect(",")
                if self.is_op("}"):
                    break
            key_tok = self.cur
            if key_tok.kind in ("num", "str") or (key_tok.kind == "ident" and key_tok.value not in KEYWORDS):
                self.advance()
                key: tuple = ("lit", key_tok.pos, key_tok.value if key_tok.kind == "str"
                              else self.src[key_tok.pos:self.cur.pos].strip() if key_tok.kind == "num"
                              else key_tok.value)
            elif self.is_op("("):
                key = self.parse_expression(0)
            else:
                raise ParseError("a map key must be a quoted string, a number, a identifier, or an "
                                 "expression enclosed in parentheses", key_tok.pos)
            self.expect(":")
            pairs.append((key, self.parse_expression(0)))
        self.expect("}")
        return ("map", tok.pos, pairs)

    def parse_postfix(self, node: tuple) -> tuple:
        while True:
            tok = self.cur
            if tok.kind != "op" or tok.value not in (".", "?.", "["):
                return node
            optional = tok.value == "?."
            self.advance()
            if tok.value == "[" or (optional and self.is_op("[")):
                if optional:
                    self.advance()
                node = self.parse_index(node, tok, optional)
                continue
            prop = self.cur
            if prop.kind != "ident":
                raise ParseError("expected name", prop.pos)
            self.advance()
            is_chain = node[0] == "chain"
            base = node[2] if is_chain else node
            member = ("member", prop.pos, base, ("lit", prop.pos, prop.value), optional)
            if self.is_op("("):
                member = ("call", prop.pos, member, self.parse_arguments([]))
            node = ("chain", prop.pos, member) if (is_chain or optional) else member

    def parse_index(self, node: tuple, tok: Token, optional: bool) -> tuple:
        is_chain = node[0] == "chain"
        base = node[2] if is_chain else node
        if self.is_op(":"):
            self.advance()
            to = None if self.is_op("]") else self.parse_expression(0)
            self.expect("]")
            return ("slice", tok.pos, node, None, to)
        index = self.parse_expression(0)
        if self.is_op(":"):
            self.advance()
            to = None if self.is_op("]") else self.parse_expression(0)
            self.expect("]")
            return ("slice", tok.pos, node, index, to)
        self.expect("]")
        member = ("member", tok.pos, base, index, optional)
        return ("chain", tok.pos, member) if (optional or is_chain) else member


def parse(src: str, builtins: frozenset[str] = frozenset()) -> tuple:
    """Parse ``src`` into an AST; raises ParseError/LexError (both carry ``pos``)."""
    return Parser(src, builtins).parse()


def ast_depth(node: Any) -> int:
    """Depth of an AST, computed iteratively (left-deep chains like ``1+1+...`` are not nesting
    in the source but are in the tree, and the evaluator recurses over the tree)."""
    best = 0
    stack = [(node, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, tuple) and item and isinstance(item[0], str):
            best = max(best, depth)
            for child in item[2:]:
                if isinstance(child, tuple):
                    stack.append((child, depth + 1))
                elif isinstance(child, list):
                    for c in child:
                        if isinstance(c, tuple) and c and isinstance(c[0], tuple):  # map pair
                            stack.extend((x, depth + 1) for x in c)
                        else:
                            stack.append((c, depth + 1))
        elif isinstance(item, tuple):  # map pair
            stack.extend((x, depth) for x in item)
    return best
