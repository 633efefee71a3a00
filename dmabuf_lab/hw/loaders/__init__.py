"""Real machines in: lspci text, sysfs snapshots and dma-buf bufinfo dumps.

``load_path(path)`` looks at what it is given and picks the loader:

* a directory, or a ``.tar``/``.tar.gz`` of one -> sysfs snapshot -> ``hw.Topology``
* text with a ``Dma-buf Objects`` listing -> bufinfo dump -> ``Bufinfo``
* any other text -> ``lspci -v``/``-vv``/``-vvv`` output -> ``hw.Topology``

A loaded topology works like a preset and also carries ``capture`` (the parsed
records, with ``None`` for what the capture does not show) and ``missing``
(one line per thing the capture lacks).  Unreadable input raises
CaptureParseError naming the file, the line and what was expected.
"""
from __future__ import annotations

import re
from pathlib import Path

from dmabuf_lab.hw.loaders import parsed
from dmabuf_lab.hw.loaders.combine import read_files
from dmabuf_lab.hw.loaders.bufinfo import Bufinfo, BufinfoBuffer, BufinfoFence, load_bufinfo
from dmabuf_lab.hw.loaders.errors import CaptureParseError
from dmabuf_lab.hw.loaders.lspci import read_lspci
from dmabuf_lab.hw.loaders.pasted_text import decode, read_capture_text
from dmabuf_lab.hw.loaders.records import (CapturedBar, CapturedDevice, CapturedMachine,
                                          CapturedSriov, CapturedVfBar)
from dmabuf_lab.hw.loaders.sysfs import looks_like_archive, parse_resource, read_sysfs
from dmabuf_lab.hw.loaders.to_topology import build_topology

__all__ = [
    "load_path", "load_lspci", "load_files", "read_files", "load_sysfs", "load_bufinfo", "read_lspci", "read_sysfs",
    "parse_resource", "build_topology", "sniff", "CaptureParseError", "Bufinfo", "BufinfoBuffer",
    "BufinfoFence", "CapturedBar", "CapturedDevice", "CapturedMachine", "CapturedSriov",
    "CapturedVfBar",
]

_RESOURCE_LINE = re.compile(r"^\s*0x[0-9a-fA-F]+\s+0x[0-9a-fA-F]+\s+0x[0-9a-fA-F]+\s*$")


def load_lspci(text_or_path, *, name: str | None = None):
    """lspci text (str, bytes, a path, or a list of them from one machine) -> hw.Topology.

    Files are parsed once per process (see ``parsed``); text is parsed each time."""
    def parse():
        if isinstance(text_or_path, (list, tuple)):
            parts = [read_capture_text(p) for p in text_or_path]
            text = "\n\n".join(t for t, _ in parts)
            label = " + ".join(n or "<text>" for _, n in parts)
            return read_lspci(text, file=label)
        return read_lspci(text_or_path)

    paths = None if isinstance(text_or_path, (bytes, bytearray)) else parsed.paths_of(text_or_path)
    key = ("lspci",) + parsed.file_identity(paths) if paths and parsed.file_identity(paths) else None
    return build_topology(parsed.parsed_once(key, parse), name=name)


def load_files(lspci, dmesg=None, resource=None, *, name: str | None = None):
    """One machine from several files: lspci text completed by dmesg and sysfs resource files.

    ``lspci`` and ``dmesg`` are a path or a list of paths; ``resource`` maps a
    function's address to its ``resource`` file (see ``combine.read_files``).
    The files are parsed once per process (see ``parsed``).
    """
    paths = parsed.paths_of(lspci, dmesg, resource)
    ident = parsed.file_identity(paths) if paths else None
    key = ("files", repr(sorted((resource or {}).keys())), len(parsed.paths_of(lspci) or ()),
           len(parsed.paths_of(dmesg) or ())) + ident if ident else None
    return build_topology(parsed.parsed_once(key, lambda: read_files(lspci, dmesg, resource)), name=name)


def load_sysfs(path, *, name: str | None = None):
    """A sysfs snapshot directory (or a tar of one) -> hw.Topology."""
    return build_topology(read_sysfs(path), name=name)


def sniff(path) -> str:
    """What ``path`` holds: "sysfs", "bufinfo", "resource" or "lspci"."""
    p = Path(path)
    if p.is_dir():
        return "sysfs"
    if not p.is_file():
        if p.exists():
            raise CaptureParseError("not a regular file (a device, FIFO or socket is never read)", file=str(p),
                                    expected="an lspci text file, a sysfs snapshot directory or a bufinfo dump")
        raise CaptureParseError("no such capture file or directory", file=str(p),
                                expected="an lspci text file, a sysfs snapshot directory or a bufinfo dump")
    if looks_like_archive(p):
        return "sysfs"
    try:
        with open(p, "rb") as fh:
            head = fh.read(65536).decode("utf-8", "replace")
    except OSError as exc:
        raise CaptureParseError(f"cannot read: {exc.strerror}", file=str(p),
                                expected="an lspci text file, a sysfs snapshot directory or a bufinfo dump") from None
    if "Dma-buf Objects" in head or re.search(r"^\s*size\s+flags\s+mode\s+count\s+exp_name", head, re.M):
        return "bufinfo"
    lines = [ln for ln in head.splitlines() if ln.strip()]
    if lines and all(_RESOURCE_LINE.match(ln) for ln in lines[:7]):
        return "resource"
    return "lspci"


def load_path(path, *, name: str | None = None):
    """Load any capture: hw.Topology for lspci/sysfs, Bufinfo for a bufinfo dump."""
    kind = sniff(path)
    if kind == "sysfs":
        return load_sysfs(path, name=name)
    if kind == "bufinfo":
        return load_bufinfo(Path(path))
    if kind == "resource":
        raise CaptureParseError(
            "this is one device's sysfs resource file, not a whole machine", file=str(path), line=1,
            expected="a snapshot directory holding it as <bdf>/resource (see data/README.md)")
    return load_lspci(Path(path), name=name)
