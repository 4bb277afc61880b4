"""Artifacts a step wrote are hostile to ``jupyter_flow.compare``: every read is bounded, links
are never followed out, and only verified raster bytes become images (real files, no mocks)."""
from __future__ import annotations

import os

from jupyter_flow.comparison import artifacts as A
from jupyter_flow.notebook.compare_view import _img


def test_text_diff_reads_a_bounded_prefix_and_cuts_lines(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_bytes(b"x" * 5_000_000 + b"\n")
    b.write_bytes(b"y" * 5_000_000 + b"\n")
    d = A.text_diff(a, b, "a", "b")["diff"]
    assert len(d) < 3 * A.LINE_CHARS + 500
    assert f"only the first {A.READ_BYTES} bytes" in d
    many_a, many_b = tmp_path / "ma.txt", tmp_path / "mb.txt"
    many_a.write_text("".join(f"a{i}\n" for i in range(5000)))
    many_b.write_text("".join(f"b{i}\n" for i in range(5000)))
    lines = A.text_diff(many_a, many_b, "a", "b")["diff"].splitlines()
    assert len(lines) == A.DIFF_LINES + 1 and lines[-1].startswith("\u2026 (diff cut")


def test_csv_delta_is_bounded(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    header = ",".join(f"c{i}" for i in range(2000))
    a.write_text(header + "\n" + "\n".join(",".join("1" for _ in range(2000)) for _ in range(100)))
    b.write_text(header + "\n" + "\n".join(",".join("2" for _ in range(2000)) for _ in range(100)))
    d = A.csv_delta(a, b)
    assert len(d["changes"]) == A.CSV_CHANGES and d["truncated"]
    assert {c["column"] for c in d["changes"]} <= {f"c{i}" for i in range(A.CSV_COLS)}
    assert d["changes"][0]["delta"] == 1.0


def test_only_verified_raster_becomes_an_image(tmp_path):
    svg = tmp_path / "x.png"
    svg.write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>')
    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * (A.IMAGE_BYTES + 1))
    ok = tmp_path / "ok.gif"
    ok.write_bytes(b"GIF89a" + b"\0" * 10)
    assert A.image(svg) is None and A.image(big) is None
    assert A.image(ok).startswith("data:image/gif;base64,")
    # and the view puts nothing else in a src
    assert _img('data:image/png;base64,AA==" onerror="alert(1)') == "<i>not shown</i>"
    assert _img("data:image/svg+xml;base64,PHN2Zy8+") == "<i>not shown</i>"


def test_a_directory_digest_never_follows_links_out(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("one")
    art = tmp_path / "art"
    art.mkdir()
    (art / "f.txt").write_text("hi")
    os.symlink(outside, art / "link")
    os.symlink(outside / "secret", art / "file-link")
    before = A._digest(art, {})
    (outside / "secret").write_text("two")          # what the links point at changes ...
    assert A._digest(art, {}) == before              # ... and the digest does not: it was never read


def test_hashing_stops_at_the_comparison_budget(tmp_path):
    f = tmp_path / "f.bin"
    f.write_bytes(b"z" * 1000)
    assert A._digest(f, {"hashed": A.HASH_TOTAL}) == "1000:unread"
    budget: dict = {}
    assert A._digest(f, budget).startswith("1000:") and budget["hashed"] == 1001
