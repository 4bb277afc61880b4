"""Reading a node's log in bounded pieces: a range, the tail, or what was written since.

A step's output is hostile in size as well as content: one step printed a 1 GB line, and the
server used to load the whole run on every poll and stream everything it found. Here every
read is a range of the log file at most :data:`MAX_LENGTH` bytes long, a follower reads only the
bytes after the offset it has already sent, a follower that falls further behind than
:data:`FOLLOW_WINDOW` skips to the newest bytes (the gap stays readable as a range: each chunk
says where it starts), and one follow request streams at most :data:`FOLLOW_BUDGET` bytes.
Lines are never gathered: a line longer than a chunk arrives split over several chunks.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

MAX_LENGTH = 1 << 20          # bytes one REST read returns at most
FOLLOW_CHUNK = 64 << 10       # bytes per Server-Sent Event at most
FOLLOW_WINDOW = 256 << 10     # a follower further behind than this skips to the newest bytes
FOLLOW_BUDGET = 4 << 20       # bytes one follow request streams at most; the client follows again


@dataclass
class LogChunk:
    """``text`` is the log's bytes ``[start, offset)`` decoded; ``size`` the file's size when read;
    ``finished`` that the node is over and nothing follows ``offset``."""

    text: str
    offset: int
    finished: bool
    start: int = 0
    size: int = 0


def _is_continuation(byte: int) -> bool:
    return 0x80 <= byte <= 0xBF


def read_range(path: Path, start: int, length: int, *, done: bool, tail: int | None = None) -> LogChunk:
    """Bytes ``[start, start + length)`` of ``path`` (or its last ``tail`` bytes), whole characters only.

    A range that begins inside a UTF-8 character begins after it; one that ends inside a
    character ends before it. ``finished`` (``done`` and the range reaches the end of the file)
    ignores such a cut character at the end: a step killed mid-character never completes it,
    and its follower must still end."""
    length = max(0, min(int(length), MAX_LENGTH))
    try:
        fh = open(path, "rb")
    except (FileNotFoundError, NotADirectoryError):
        return LogChunk("", start if tail is None else 0, done, start if tail is None else 0, 0)
    with fh:
        size = os.fstat(fh.fileno()).st_size
        if tail is not None:
            start = max(0, size - min(int(tail), MAX_LENGTH))
            length = size - start
        start = min(max(0, start), size)
        fh.seek(start)
        data = fh.read(length)
    if start > 0:  # a range starting inside a character starts after it
        skip = 0
        while skip < min(3, len(data)) and _is_continuation(data[skip]):
            skip += 1
        data, start = data[skip:], start + skip
    end = start + len(data)
    whole = end >= size   # the range reaches the end of the file (a cut character aside)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        cut = data
        if exc.reason == "unexpected end of data" and exc.start >= len(data) - 3:
            cut = data[:exc.start]  # the rest of this character is not written yet
        text, end = cut.decode("utf-8", "replace"), start + len(cut)
    return LogChunk(text, end, done and whole, start, size)


@dataclass
class FollowStep:
    """One poll of a follower: the chunks to send now and whether the log is complete."""

    chunks: list[LogChunk]
    offset: int
    finished: bool


def follow_step(path: Path, offset: int, *, done: bool, budget: int) -> FollowStep:
    """What a follower at ``offset`` gets now: the bytes written since, in chunks of at most
    :data:`FOLLOW_CHUNK`, at most :data:`FOLLOW_WINDOW` (and ``budget``) of them. A follower
    further behind jumps to the newest window: the first chunk's ``start`` is then past ``offset``."""
    try:
        size = path.stat().st_size
    except (FileNotFoundError, NotADirectoryError):
        size = 0
    if size - offset > FOLLOW_WINDOW:
        offset = size - FOLLOW_WINDOW
    chunks: list[LogChunk] = []
    finished = done and offset >= size
    left = min(budget, FOLLOW_WINDOW)
    while left > 0 and offset < size:
        chunk = read_range(path, offset, min(FOLLOW_CHUNK, left, size - offset), done=done)
        finished = chunk.finished
        if chunk.offset <= chunk.start:  # only half a character so far
            break
        chunks.append(chunk)
        left -= chunk.offset - offset
        offset = chunk.offset
    return FollowStep(chunks, offset, finished)
