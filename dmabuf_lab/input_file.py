"""Read a small TOML input file the user names: a regular file only, size-capped, UTF-8.

A FIFO would block the reader and ``/dev/zero`` would fill memory, so the
path is looked at (``stat``) before it is opened and anything but a regular
file is refused; the file is then opened non-blocking and checked again on
the open descriptor, so a file swapped for a pipe in between is refused
too.  At most ``limit + 1`` bytes are read.  A leading UTF-8 byte order
mark is dropped.  Every problem raises the caller's error class (a
:class:`~dmabuf_lab.errors.LabInputError`) with the file and, where known,
the line.
"""
from __future__ import annotations

import os
import re
import reprlib
import stat
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

from dmabuf_lab.errors import LabInputError

BOM = "\ufeff"

_SHORT = reprlib.Repr()
_SHORT.maxstring = 40
_SHORT.maxother = 40
_SHORT.maxlevel = 2
_SHORT.maxlist = 4
_SHORT.maxdict = 3


def shown(value) -> str:
    """``value`` for an error line: its TOML type and a short repr."""
    kind = {bool: "a boolean", int: "an integer", float: "a float", str: "a string", list: "an array",
            dict: "a table"}.get(type(value), f"a {type(value).__name__}")
    return f"{kind} {_SHORT.repr(value)}"


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def read_bytes(path, limit: int, what: str, error=LabInputError) -> bytes:
    """The bytes of regular file ``path``; ``what`` names what it should be ("a TOML scenario file")."""
    path = Path(path)
    try:
        st = os.stat(path)
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror}; expected {what}", file=str(path)) from None
    if not stat.S_ISREG(st.st_mode):
        raise error(f"{_kind(st.st_mode)}, not a regular file; expected {what}", file=str(path))
    if st.st_size > limit:
        raise error(f"{st.st_size} bytes, more than the {limit} a file of this kind may have; "
                    f"expected {what}", file=str(path))
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror}; expected {what}", file=str(path)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise error(f"{_kind(st.st_mode)}, not a regular file; expected {what}", file=str(path))
        chunks, left = [], limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror}; expected {what}", file=str(path)) from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise error(f"more than {limit} bytes; expected {what}", file=str(path))
    return data


def decode(raw: bytes, path, what: str, error=LabInputError) -> str:
    """``raw`` as UTF-8 text without a leading byte order mark."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise error(f"not UTF-8 text (byte {exc.start} is {raw[exc.start]:#04x}); expected {what}",
                    file=str(path), line=line) from None
    return text[1:] if text.startswith(BOM) else text


def parse_toml(text: str, path, what: str, error=LabInputError) -> dict:
    """``text`` parsed as TOML; too deep a nesting or a syntax error is one ``error``."""
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise error(f"tables or arrays nested too deeply to read; expected {what}", file=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise error(f"not valid TOML: {exc}", file=str(path), line=int(m.group(1)) if m else None) from None


def read_toml(path, limit: int, what: str, error=LabInputError) -> tuple[str, dict]:
    """The text and the parsed table of a TOML input file (see the module docstring)."""
    text = decode(read_bytes(path, limit, what, error), path, what, error)
    return text, parse_toml(text, path, what, error)
