"""render.tabwriter against a line-by-line port of Go's text/tabwriter format() (the recursive
column-block walk): the same text for random tables with ragged rows, short rows and empty rows."""
from __future__ import annotations

import random

from jupyter_flow.render.tabwriter import _tabwrite


def go_tabwriter(lines: list[list[str]], padding: int) -> str:
    """Align cells exactly like Go's ``tabwriter.NewWriter(w, 0, 0, padding, ' ', 0)``.

    Each line is a list of cells; all but the last are tab-terminated (and so
    take part in column alignment, including trailing padding), the last is
    the text before the newline.  Column widths are computed per contiguous
    block of lines that have that column, as Go does, so a short line (argo's
    onExit separator) splits blocks the same way.  Widths count code points,
    like Go counts runes, so ANSI colour codes affect alignment identically.
    """
    out: list[str] = []
    widths: list[int] = []

    def write_lines(line0: int, line1: int) -> None:
        # each cell padded to its column's width (never narrower: a width is its longest cell plus padding)
        n = len(widths)
        for i in range(line0, line1):
            line = lines[i]
            text = "".join([cell.ljust(w) for cell, w in zip(line, widths)])
            out.append(text + "".join(line[n:]) if len(line) > n else text)

    def fmt(line0: int, line1: int) -> None:
        column = len(widths)
        this = line0
        while this < line1:
            if column >= len(lines[this]) - 1:
                this += 1
                continue
            write_lines(line0, this)
            line0 = this
            width = 0
            while this < line1:
                line = lines[this]
                if column >= len(line) - 1:
                    break
                width = max(width, len(line[column]) + padding)
                this += 1
            widths.append(width)
            fmt(line0, this)
            widths.pop()
            line0 = this
        write_lines(line0, line1)

    fmt(0, len(lines))
    return "".join(s + "\n" for s in out)


def test_same_text_as_gos_recursive_blocks():
    rng = random.Random(3)
    for _ in range(3000):
        lines = [["x" * rng.randint(0, 6) for _ in range(rng.randint(0, 6))] for _ in range(rng.randint(0, 12))]
        for pad in (2, 3):
            assert _tabwrite(lines, pad) == go_tabwriter(lines, pad), (lines, pad)


def test_argo_onexit_separator_splits_the_message_column():
    lines = [["STEP", "MESSAGE"], ["a", "long message", ""], ["", "", "", ""], ["bb", "m", ""]]
    assert _tabwrite(lines, 2) == go_tabwriter(lines, 2)
