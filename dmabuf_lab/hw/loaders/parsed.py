"""Each capture file is parsed once per process; every caller gets a topology of its own.

``dmabuf-lab ask`` and ``litmus`` load one capture for the scenario check and
again for every revision they run, because each run changes device state.
The text parse is the same every time, so the parsed records are kept here,
keyed by the files' identity (path, device, inode, size, modification time):
an edited file is parsed again.  The records kept are never handed out; each
caller builds its topology from a copy whose mutable parts (the per-device
notes, the bus numbers a build may drop) are its own, so runs never share
state and a kept record is never changed.
"""
from __future__ import annotations

import copy
import os
from collections import OrderedDict
from pathlib import Path

from dmabuf_lab.hw.loaders.records import CapturedMachine

#: Parsed captures kept at once (a 30,000-function capture's records are about 100 MiB).
KEEP = 2
_KEPT: "OrderedDict[tuple, CapturedMachine]" = OrderedDict()


def file_identity(paths) -> tuple | None:
    """What names the content of ``paths`` (None when one cannot be stat'ed: no caching)."""
    out = []
    for p in paths:
        try:
            st = os.stat(p)
        except (OSError, ValueError, TypeError):
            return None
        out.append((os.path.abspath(p), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns))
    return tuple(out)


def copy_machine(machine: CapturedMachine) -> CapturedMachine:
    """A copy a topology build may change: devices copied one level, their notes copied."""
    out = copy.copy(machine)
    out.missing = list(machine.missing)
    devices = {}
    for bdf, dev in machine.devices.items():
        d = copy.copy(dev)
        d.missing = list(dev.missing)
        devices[bdf] = d
    out.devices = devices
    return out


def parsed_once(key: tuple | None, parse) -> CapturedMachine:
    """``parse()``'s machine for ``key``, parsed at most once while kept; a fresh copy each call."""
    if key is None:
        return parse()
    kept = _KEPT.get(key)
    if kept is None:
        kept = parse()
        _KEPT[key] = kept
        while len(_KEPT) > KEEP:
            _KEPT.popitem(last=False)
    else:
        _KEPT.move_to_end(key)
    return copy_machine(kept)


def forget() -> None:
    """Drop every kept parse (tests)."""
    _KEPT.clear()


def paths_of(*groups) -> list[Path] | None:
    """Every path in ``groups`` (a path, a list of them, or a dict of them), or None if one is text."""
    out: list[Path] = []
    for g in groups:
        if g is None:
            continue
        items = g.values() if isinstance(g, dict) else (g if isinstance(g, (list, tuple)) else [g])
        for item in items:
            if isinstance(item, Path):
                out.append(item)
            elif isinstance(item, str) and "\n" not in item and os.path.isfile(item):
                out.append(Path(item))
            else:
                return None
    return out
