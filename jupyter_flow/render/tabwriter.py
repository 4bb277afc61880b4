"""Go's ``text/tabwriter`` (the alignment ``argo get`` and ``argo list`` print with)."""
from __future__ import annotations

def _tabwrite(lines: list[list[str]], padding: int) -> str:
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
