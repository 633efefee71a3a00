"""Pasted text back into the lines a tool printed.

Captures reach the lab through bug reports and mailing lists, so before any
parser sees them this module undoes what happened on the way:

* bytes that are not UTF-8 (decoded with replacement characters);
* Windows (CRLF) and old Mac (CR) line endings;
* quoted-printable transfer encoding (``[size=3D4K]``, soft breaks ``=``);
* mail quoting, at any depth (``> ``, ``>> ``, ``> > ``);
* soft wrapping by mail clients, which splits one printed line into several and
  may also strip the indentation that told lspci's own lines apart.

Every line keeps the number it had in the file, so errors can point at it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_NEWLINE = re.compile(r"\r\n|\r|\n")
_QUOTE = re.compile(r"^[ \t]*(?:>[ \t]?)+")
_QP_HEX = re.compile(r"=([0-9A-F]{2})")
# "=3D" (an encoded "="): lspci text always holds "=" (DEVSEL=fast, [size=...]), so a
# quoted-printable capture always shows it; "=09"/"=20" alone are not enough, because
# lspci prints "secondary=09" itself
_QP_HINT = re.compile(r"=3D")


@dataclass
class SourceLine:
    """One line as it stands in the capture file, 1-based ``number``."""

    number: int
    text: str


@dataclass
class LogicalLine:
    """A line as the tool printed it, re-assembled from one or more source lines."""

    number: int                 # first source line it came from
    text: str                   # stripped, wrapped pieces joined with one space
    numbers: list[int] = field(default_factory=list)

    def __str__(self) -> str:  # pragma: no cover - debugging aid
        return f"{self.number}: {self.text}"


def read_capture_text(text_or_path) -> tuple[str, str | None]:
    """Return ``(text, file_name)`` for a str of capture text, bytes, or a path."""
    if isinstance(text_or_path, Path):
        return decode(text_or_path.read_bytes()), str(text_or_path)
    if isinstance(text_or_path, (bytes, bytearray)):
        return decode(bytes(text_or_path)), None
    if isinstance(text_or_path, str):
        if "\n" not in text_or_path and "\r" not in text_or_path and len(text_or_path) < 4096:
            p = Path(text_or_path)
            try:
                if p.is_file():
                    return decode(p.read_bytes()), str(p)
            except (OSError, ValueError):
                pass
        return text_or_path, None
    raise TypeError(f"expected capture text, bytes or a path, got {type(text_or_path).__name__}")


def decode(data: bytes) -> str:
    """Bytes to text; a stray byte becomes U+FFFD instead of an exception."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.decode("utf-8", errors="replace")


def source_lines(text: str) -> list[SourceLine]:
    """Split on any line ending, undo quoted-printable and mail quoting."""
    raw = _NEWLINE.split(text)
    if raw and raw[-1] == "":
        raw.pop()
    lines = [SourceLine(i + 1, t) for i, t in enumerate(raw)]
    if _QP_HINT.search(text):
        lines = _undo_quoted_printable(lines)
    out = []
    for ln in lines:
        t = ln.text.replace("\x00", "")
        t = _QUOTE.sub("", t, count=1)
        out.append(SourceLine(ln.number, t.rstrip()))
    return out


def _undo_quoted_printable(lines: list[SourceLine]) -> list[SourceLine]:
    """Join soft breaks (a line ending in '=') and decode =XX escapes."""
    out: list[SourceLine] = []
    pending: SourceLine | None = None
    for ln in lines:
        t = ln.text
        if pending is not None:
            # the continuation of a soft break may carry its own quote marks
            t = pending.text + _QUOTE.sub("", t, count=1)
            ln = SourceLine(pending.number, t)
            pending = None
        if t.endswith("=") and not t.endswith("=="):
            pending = SourceLine(ln.number, t[:-1])
            continue
        out.append(SourceLine(ln.number, _QP_HEX.sub(_qp_char, t)))
    if pending is not None:
        out.append(SourceLine(pending.number, _QP_HEX.sub(_qp_char, pending.text)))
    return out


def _qp_char(m: re.Match) -> str:
    value = int(m.group(1), 16)
    return chr(value) if 0x20 <= value < 0x7f or value == 0x09 else m.group(0)


def logical_lines(lines: list[SourceLine], starts_line) -> list[LogicalLine | None]:
    """Re-join soft-wrapped pieces.

    ``starts_line(text)`` says whether a stripped piece begins a line of its own
    (a device header, a ``Key:`` line...); any other non-blank piece continues
    the line before it.  A blank line ends the current line and is returned as
    ``None`` so callers can see block boundaries.
    """
    out: list[LogicalLine | None] = []
    cur: LogicalLine | None = None
    for ln in lines:
        piece = ln.text.strip()
        if not piece:
            if cur is not None:
                out.append(cur)
                cur = None
            out.append(None)
            continue
        if cur is not None and not starts_line(piece):
            cur.text = f"{cur.text} {piece}"
            cur.numbers.append(ln.number)
            continue
        if cur is not None:
            out.append(cur)
        cur = LogicalLine(ln.number, piece, [ln.number])
    if cur is not None:
        out.append(cur)
    return out
