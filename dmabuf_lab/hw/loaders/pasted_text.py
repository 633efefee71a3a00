"""Pasted text back into the lines a tool printed.

Captures reach the lab through bug reports and mailing lists, so before any
parser sees them this module undoes what happened on the way:

* a byte-order mark (bytes that are not UTF-8 are refused, naming the line);
* Windows (CRLF) and old Mac (CR) line endings;
* quoted-printable transfer encoding (``[size=3D4K]``, soft breaks ``=``);
* mail quoting, at any depth (``> ``, ``>> ``, ``> > ``);
* soft wrapping by mail clients, which splits one printed line into several and
  may also strip the indentation that told lspci's own lines apart.

Every line keeps the number it had in the file, so errors can point at it.
"""
from __future__ import annotations

import os
import re
import stat
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


#: The largest capture file read: a 30,000-function ``lspci -vvv`` is about 16 MiB.
MAX_CAPTURE_BYTES = 256 << 20


def read_file_bounded(path: Path, limit: int = MAX_CAPTURE_BYTES, *, what: str = "a capture") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; CaptureParseError otherwise.

    Devices, FIFOs and sockets are refused before they are opened, so a read
    never blocks and never grows without bound."""
    from dmabuf_lab.hw.loaders.errors import CaptureParseError

    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise CaptureParseError("not a regular file", file=str(path), expected=what)
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise CaptureParseError(f"cannot read: {exc.strerror}", file=str(path), expected=what) from None
    if len(data) > limit:
        raise CaptureParseError(f"larger than {limit} bytes", file=str(path),
                                expected=f"{what} of at most {limit >> 20} MiB")
    return data


def read_capture_text(text_or_path) -> tuple[str, str | None]:
    """Return ``(text, file_name)`` for a str of capture text, bytes, or a path."""
    if isinstance(text_or_path, Path):
        return decode(read_file_bounded(text_or_path), file=str(text_or_path)), str(text_or_path)
    if isinstance(text_or_path, (bytes, bytearray)):
        return decode(bytes(text_or_path)), None
    if isinstance(text_or_path, str):
        if "\n" not in text_or_path and "\r" not in text_or_path and len(text_or_path) < 4096:
            p = Path(text_or_path)
            try:
                is_file = p.is_file()
            except (OSError, ValueError):
                is_file = False
            if is_file:
                return decode(read_file_bounded(p), file=str(p)), str(p)
        return text_or_path, None
    raise TypeError(f"expected capture text, bytes or a path, got {type(text_or_path).__name__}")


def decode(data: bytes, *, file: str | None = None) -> str:
    """UTF-8 bytes to text (a byte-order mark dropped); other bytes: CaptureParseError naming the line."""
    from dmabuf_lab.hw.loaders.errors import CaptureParseError

    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise CaptureParseError(f"byte 0x{data[exc.start]:02x} is not UTF-8 text", file=file, line=line,
                                expected="the text lspci, dmesg or sysfs printed, saved as UTF-8") from None


#: The longest line a capture may hold (lspci's longest are a few hundred characters).
MAX_LINE_CHARS = 4096
#: The longest run of digits in a line: a 64-bit number in hex or decimal is at most 20.
MAX_DIGITS = 64
_LONG_NUMBER = re.compile(r"[0-9A-Fa-f]{%d}" % (MAX_DIGITS + 1), re.ASCII)


def check_line(number: int, text: str, file: str | None) -> None:
    """CaptureParseError for a line no tool prints: too long, or a number too long to be a register."""
    from dmabuf_lab.hw.loaders.errors import CaptureParseError

    if len(text) > MAX_LINE_CHARS:
        raise CaptureParseError(f"a line of {len(text)} characters", file=file, line=number,
                                expected=f"lines of at most {MAX_LINE_CHARS} characters")
    if _LONG_NUMBER.search(text):
        raise CaptureParseError(f"a number of more than {MAX_DIGITS} digits", file=file, line=number,
                                expected="numbers that fit the 64-bit fields lspci, dmesg and sysfs print")


def source_lines(text: str, *, file: str | None = None) -> list[SourceLine]:
    """Split on any line ending, undo quoted-printable and mail quoting; every line bounded (check_line)."""
    raw = _NEWLINE.split(text)
    if raw and raw[-1] == "":
        raw.pop()
    if raw and (max(map(len, raw)) > MAX_LINE_CHARS or _LONG_NUMBER.search(text)):
        for i, t in enumerate(raw):
            check_line(i + 1, t, file)
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
