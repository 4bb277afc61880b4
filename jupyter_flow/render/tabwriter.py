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

    Go finds the blocks column by column, each inside its parent column's block; since a line that
    has column j has every column before it, they are simply the maximal runs of lines having
    column j, found here per column with list operations (a 100,000-row tree: a few list passes
    per column instead of a Python step per cell).
    """
    n = len(lines)
    aligned = [len(line) - 1 for line in lines]   # the cells of each line that take part
    # per line, the widths of its aligned cells; lines of one segment (no block starts or ends
    # inside it) share one list
    bounds = {0, n}
    runs_by_col: list[list[tuple[int, int, int]]] = []
    for j in range(max(aligned, default=0)):
        gaps = [i for i, k in enumerate(aligned) if k <= j]
        runs = []
        start = 0
        for stop in gaps + [n]:
            if stop > start:
                runs.append((start, stop, max([len(line[j]) for line in lines[start:stop]]) + padding))
                bounds.update((start, stop))
            start = stop + 1
        runs_by_col.append(runs)
    edges = sorted(bounds)
    cursor = [0] * len(runs_by_col)
    out: list[str] = []
    for a, b in zip(edges, edges[1:]):
        widths = []
        for j, runs in enumerate(runs_by_col):
            if aligned[a] <= j:
                break
            c = cursor[j]
            while runs[c][1] <= a:
                c += 1
            cursor[j] = c
            widths.append(runs[c][2])
        k = len(widths)
        for line in lines[a:b]:
            text = "".join([cell.ljust(w) for cell, w in zip(line, widths)])
            out.append(text + "".join(line[k:]) if len(line) > k else text)
    return "".join(s + "\n" for s in out)
