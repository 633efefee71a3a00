"""``/sys/kernel/debug/dma_buf/bufinfo`` dumps -> buffers, exporters, attached devices.

drivers/dma-buf/dma-buf.c dma_buf_debug_show() prints, per exported buffer::

    Dma-buf Objects:
    size      flags     mode      count     exp_name  ino       name
    %08zu     %08x      %08x      %08ld     %s        %08lu     %s        (one object line)
    \t<usage> fence:<driver> <timeline> seq <n> [un]signalled             (dma_resv_describe)
    \tAttached Devices:
    \t<dev_name>                                                         (one per attachment)
    Total <n> devices attached

    Total <n> objects, <bytes> bytes

Kernels before 5.x print no ``ino``/``name`` columns, older fence lines read
``Exclusive fence: ...`` / ``Shared fence: ...``, and ``name`` is empty or
``<none>`` when unset.  The column header line says which columns follow, so the
parser reads it when present.  Pasted dumps often have spaces for the tabs.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from dmabuf_lab.hw.loaders.errors import CaptureParseError
from dmabuf_lab.hw.loaders.pasted_text import read_capture_text, source_lines

_DEFAULT_COLUMNS = ["size", "flags", "mode", "count", "exp_name", "ino", "name"]
_FENCE = re.compile(r"^(?P<usage>[A-Za-z]+) fence:\s*(?P<driver>\S+)\s+(?P<timeline>\S+)"
                    r"(?:\s+seq\s+(?P<seq>[0-9]+))?\s+(?P<un>un)?signalled")
_TOTAL_ATTACHED = re.compile(r"^Total (?P<n>[0-9]+) devices attached")
_TOTAL = re.compile(r"^Total (?P<n>[0-9]+) objects, (?P<bytes>[0-9]+) bytes")
_EXPECTED = "the 'Dma-buf Objects:' listing of /sys/kernel/debug/dma_buf/bufinfo"


@dataclass
class BufinfoFence:
    """One fence line under a buffer (its reservation object)."""

    usage: str           # "write", "read", "kernel", "bookkeep", or old "Exclusive"/"Shared"
    driver: str
    timeline: str
    seq: int | None
    signalled: bool


@dataclass
class BufinfoBuffer:
    """One exported dma-buf as bufinfo lists it."""

    size: int
    flags: int | None
    mode: int | None
    count: int | None
    exp_name: str
    ino: int | None = None
    name: str | None = None
    fences: list[BufinfoFence] = field(default_factory=list)
    attached: list[str] = field(default_factory=list)
    attached_total: int | None = None      # the "Total N devices attached" line, when printed
    line: int | None = None


@dataclass
class Bufinfo:
    """A whole bufinfo dump."""

    source: str | None
    buffers: list[BufinfoBuffer] = field(default_factory=list)
    total_objects: int | None = None       # as printed on the last line, None when cut off
    total_bytes: int | None = None
    missing: list[str] = field(default_factory=list)

    def exporters(self) -> dict[str, list[BufinfoBuffer]]:
        """Buffers grouped by exporter name."""
        out: dict[str, list[BufinfoBuffer]] = defaultdict(list)
        for b in self.buffers:
            out[b.exp_name].append(b)
        return dict(out)

    def importers(self) -> dict[str, list[BufinfoBuffer]]:
        """Buffers grouped by each attached device."""
        out: dict[str, list[BufinfoBuffer]] = defaultdict(list)
        for b in self.buffers:
            for d in b.attached:
                out[d].append(b)
        return dict(out)

    def rows(self) -> list[dict]:
        """One flat dict per buffer (for a Polars frame in a notebook)."""
        return [dict(size=b.size, flags=b.flags, mode=b.mode, count=b.count, exp_name=b.exp_name,
                     ino=b.ino, name=b.name, n_fences=len(b.fences), attached=",".join(b.attached),
                     n_attached=len(b.attached), line=b.line) for b in self.buffers]


def load_bufinfo(text_or_path, *, file: str | None = None) -> Bufinfo:
    """Parse a bufinfo dump given as text, bytes or a path."""
    text, name = read_capture_text(text_or_path)
    return parse_bufinfo(text, file=file or name)


def _int(tok: str, base: int) -> int | None:
    """An ASCII number in ``base`` (no sign, no Unicode digits), else None."""
    digits = tok[2:] if base == 16 and tok[:2].lower() == "0x" else tok
    if not digits or not digits.isascii() or not digits.isalnum():
        return None
    try:
        return int(digits, base)
    except ValueError:
        return None


def parse_bufinfo(text: str, *, file: str | None = None) -> Bufinfo:
    """Parse the text of one bufinfo dump."""
    info = Bufinfo(source=file)
    columns = list(_DEFAULT_COLUMNS)
    saw_listing = False
    cur: BufinfoBuffer | None = None
    in_attached = False
    lines = source_lines(text, file=file)
    for ln in lines:
        t = ln.text.strip()
        if not t:
            in_attached = False
            continue
        if t.startswith("Dma-buf Objects"):
            saw_listing = True
            continue
        toks = t.split()
        if "exp_name" in toks and "size" in toks:
            columns = toks
            saw_listing = True
            continue
        m = _TOTAL.match(t)
        if m:
            info.total_objects, info.total_bytes = int(m.group("n")), int(m.group("bytes"))
            cur, in_attached = None, False
            continue
        m = _TOTAL_ATTACHED.match(t)
        if m:
            if cur is not None:
                cur.attached_total = int(m.group("n"))
            in_attached = False
            continue
        if t.startswith("Attached Devices"):
            in_attached = cur is not None
            continue
        m = _FENCE.match(t)
        if m and cur is not None and not in_attached:
            cur.fences.append(BufinfoFence(m.group("usage"), m.group("driver"), m.group("timeline"),
                                           int(m.group("seq")) if m.group("seq") else None,
                                           m.group("un") is None))
            continue
        buf = _object_line(t, columns, ln.number)
        if buf is not None:
            info.buffers.append(buf)
            cur, in_attached = buf, False
            saw_listing = True
            continue
        if in_attached and cur is not None:
            cur.attached.append(t)
            continue
        # anything else (prompt lines, prose, unknown fence formats) is skipped
    if not saw_listing:
        first = next((ln for ln in lines if ln.text.strip()), None)
        raise CaptureParseError(
            "no dma-buf listing found" + (f" (first line reads {first.text.strip()[:60]!r})" if first else ""),
            file=file, line=first.number if first else 1, expected=_EXPECTED)
    _check_totals(info)
    return info


def _object_line(t: str, columns: list[str], number: int) -> BufinfoBuffer | None:
    toks = t.split(None, len(columns) - 1)
    if len(toks) < min(len(columns), 5):
        return None
    row = dict(zip(columns, toks))
    size = _int(row.get("size", ""), 10)
    if size is None or not row.get("size", "").isdigit():
        return None
    flags_ = _int(row.get("flags", ""), 16)
    mode = _int(row.get("mode", ""), 16)
    count = _int(row.get("count", ""), 10)
    if flags_ is None or mode is None or count is None:
        return None
    name = row.get("name")
    if name in ("<none>", ""):
        name = None
    return BufinfoBuffer(size=size, flags=flags_, mode=mode, count=count,
                         exp_name=row.get("exp_name", ""),
                         ino=_int(row["ino"], 10) if "ino" in row else None,
                         name=name, line=number)


def _check_totals(info: Bufinfo) -> None:
    for b in info.buffers:
        if b.attached_total is None:
            info.missing.append(f"line {b.line}: buffer listing cut off before 'Total N devices attached'")
        elif b.attached_total != len(b.attached):
            info.missing.append(f"line {b.line}: {len(b.attached)} attached devices listed, "
                                f"{b.attached_total} counted")
    if info.total_objects is None:
        info.missing.append("capture ends before 'Total N objects, B bytes': totals are the listed buffers")
    else:
        if info.total_objects != len(info.buffers):
            info.missing.append(f"{len(info.buffers)} buffers listed, {info.total_objects} counted")
        if info.total_bytes != sum(b.size for b in info.buffers):
            info.missing.append("listed buffer sizes do not add up to the printed total")
