"""Real machines as frames: the shipped captures, their SR-IOV layout, what each revision negotiates.

The captures in ``data/captures/`` (see ``data/README.md``) load through
:mod:`dmabuf_lab.hw.loaders` into the same ``Topology`` the presets build.
Here they become frames for the real-machines notebook:

* :func:`device_table` and :func:`missing_table`: the tree and what the
  capture does not show;
* :func:`vf_bar_layout`: where every VF's BARs land by the SR-IOV rule
  (IOV window start + vf_id x per-VF size), checked against the VF blocks
  the capture itself prints;
* :func:`machine_negotiation`: every revision's verdict for the driver pairs
  the machine can host, through the same runner and the same importer
  choices as the negotiation matrix, but preferring a VF as the vfio-pci
  exporter;
* :func:`with_xe_vfs`: a labelled what-if that enables VFs on a captured
  GPU PF and gives each an LMEM quota, which no capture shows;
* :func:`bufinfo_sharing`: a bufinfo dump as exporter x attached device.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence, Union

import polars as pl

from dmabuf_lab.experiments.negotiation import SCHEMA, default_exporter, default_importer, pair_rows
from dmabuf_lab.revisions import available_revisions
from dmabuf_lab.revisions.base import DEFAULT_STEPS, ExporterSpec, ImporterSpec

CAPTURES = Path(__file__).resolve().parents[2] / "data" / "captures"
SZ_2M = 2 << 20
LMEM_BAR = 2        # xe's VRAM BAR

#: The shipped captures grouped by machine: label -> files (lspci text, plus kernel log lines).
MACHINES = {
    "ConnectX-7 x2 (ASUS ESC8000A-E12)": ("lspci-connectx7-1.txt", "lspci-connectx7-2.txt"),
    "Intel X550 PF + VF0": ("lspci-intel-x550-1.txt", "lspci-intel-x550-vf-1.txt"),
    "Alder Lake-P iGPU (mail-quoted)": ("lspci-intel-adl-igpu-sriov-quoted.txt",),
    "Intel 8086:56c0 GPU + kernel log": ("lspci-intel-flex-56c0-sriov-quoted.txt",
                                         "dmesg-intel-flex-56c0-sriov-quoted.txt"),
}

Source = Union[str, Path, Sequence, Callable]


def capture_files(machine: str) -> list[Path]:
    """The capture files of one entry of :data:`MACHINES`."""
    return [CAPTURES / f for f in MACHINES[machine]]


def load_machine(source: Source):
    """A fresh Topology from a preset name, one capture path, a list of capture files, or a factory."""
    from dmabuf_lab.hw import load_topology
    from dmabuf_lab.hw.loaders import load_lspci

    if callable(source):
        return source()
    if isinstance(source, (list, tuple)):
        files = [str(p) for p in source]
        return load_topology(files[0]) if len(files) == 1 else load_lspci(files)
    return load_topology(str(source))


def _kind(dev) -> str:
    if dev.is_virtfn:
        return "VF"
    if dev.is_bridge:
        return "bridge"
    if dev.is_physfn:
        return "PF"
    return "function"


def device_table(topo) -> pl.DataFrame:
    """One row per device: bdf, kind, name, ids, parent, BARs and the SR-IOV summary."""
    rows = []
    for bdf in sorted(topo.devices):
        d = topo.devices[bdf]
        iov = d.sriov
        rows.append({
            "bdf": bdf, "kind": _kind(d), "name": d.name or "", "vendor": f"{d.vendor:04x}",
            "device": f"{d.device:04x}" if d.device else None, "class": f"{d.class_code:06x}",
            "driver": d.driver, "parent": d.parent.bdf if getattr(d, "parent", None) is not None else None,
            "bars": len(d.bars), "bar_bytes": sum(int(b.size or 0) for b in d.bars.values()),
            "vfs": f"{iov.num_vfs}/{iov.total_vfs}" if iov is not None else None,
        })
    return pl.DataFrame(rows, schema_overrides={"device": pl.Utf8, "driver": pl.Utf8, "parent": pl.Utf8,
                                                "vfs": pl.Utf8})


def missing_table(topo, machine: str = "") -> pl.DataFrame:
    """What the capture does not show, one line each, as the loader reported it."""
    lines = list(getattr(topo, "missing", []) or [])
    return pl.DataFrame({"machine": [machine] * len(lines), "missing": lines},
                        schema={"machine": pl.Utf8, "missing": pl.Utf8})


def sriov_summary(topo) -> pl.DataFrame:
    """One row per SR-IOV PF: VF counts, offset/stride, and which VF BARs have a known per-VF size."""
    rows = []
    for bdf in sorted(topo.devices):
        iov = topo.devices[bdf].sriov
        if iov is None:
            continue
        rows.append({"pf": bdf, "total_vfs": iov.total_vfs, "num_vfs": iov.num_vfs, "vf_offset": iov.vf_offset,
                     "vf_stride": iov.vf_stride, "vf_device": f"{iov.vf_device:04x}" if iov.vf_device else None,
                     "vf_bars_sized": sorted(n for n, vb in iov.vf_bars.items() if vb.size_per_vf)})
    return pl.DataFrame(rows, schema={"pf": pl.Utf8, "total_vfs": pl.Int64, "num_vfs": pl.Int64,
                                      "vf_offset": pl.Int64, "vf_stride": pl.Int64, "vf_device": pl.Utf8,
                                      "vf_bars_sized": pl.List(pl.Int64)})


def vf_bar_layout(topo, *, vf_ids: Optional[Iterable[int]] = None) -> pl.DataFrame:
    """Every SR-IOV PF's VF BAR windows: one row per (PF, VF BAR, VF index).

    ``start`` = IOV window start + vf_index x per-VF size, None when the
    capture does not give the per-VF size.  ``vf_ids`` None means every VF
    up to TotalVFs.  ``captured`` is the BAR base of that VF where the
    capture has the VF's own block, so the rule can be checked against it.
    """
    from dmabuf_lab.pci.iov import pci_iov_vf_bar_start

    rows = []
    for bdf in sorted(topo.devices):
        pf = topo.devices[bdf]
        iov = pf.sriov
        if iov is None:
            continue
        present = {vf.vf_index: vf for vf in topo.vfs(pf)}
        ids = list(vf_ids) if vf_ids is not None else list(range(iov.total_vfs))
        for n, vb in sorted(iov.vf_bars.items()):
            size = vb.size_per_vf
            for i in ids:
                if i >= iov.total_vfs:
                    continue
                start = pci_iov_vf_bar_start(pf, i, n) if size else None
                vf = present.get(i)
                cap = vf.bars.get(n) if vf is not None else None
                rows.append({
                    "pf": bdf, "bar": n, "iov_base": vb.base, "size_per_vf": size, "total_vfs": iov.total_vfs,
                    "vf_index": i, "vf_bdf": _vf_bdf(pf, i), "enabled": i < iov.num_vfs,
                    "start": start, "end": start + size - 1 if start is not None else None,
                    "captured": int(cap.base) if cap is not None else None,
                })
    return pl.DataFrame(rows, schema={"pf": pl.Utf8, "bar": pl.Int64, "iov_base": pl.UInt64,
                                      "size_per_vf": pl.UInt64, "total_vfs": pl.Int64, "vf_index": pl.Int64,
                                      "vf_bdf": pl.Utf8, "enabled": pl.Boolean, "start": pl.UInt64,
                                      "end": pl.UInt64, "captured": pl.UInt64})


def _vf_bdf(pf, i: int) -> Optional[str]:
    from dmabuf_lab.pci.iov import pci_iov_virtfn_bdf

    try:
        return pci_iov_virtfn_bdf(pf, i)
    except Exception:  # a routing id past bus 255: the capture's numbers cannot all be enabled
        return None


# ---------------------------------------------------------------------------
# What each revision negotiates on the machine
# ---------------------------------------------------------------------------

def _class(dev) -> int:
    return int(getattr(dev, "class_code", 0)) >> 16


def _endpoints(topo) -> list:
    # PCI-PCI bridges and host bridges (class 06) import nothing
    return [d for d in topo.devices.values() if not d.is_bridge and _class(d) != 0x06]


def machine_exporter(topo, driver: str) -> Optional[ExporterSpec]:
    """The export a machine offers for ``driver``: vfio-pci prefers a VF's BAR (BAR 2, else its largest).

    A slice of at most 2 MiB from the BAR's start.  Other drivers as in the
    negotiation matrix (xe and peer-gpu need a GPU with VRAM, which no
    capture shows unless :func:`with_xe_vfs` added it).
    """
    if driver != "vfio-pci":
        return default_exporter(topo, driver)
    devs = [d for d in _endpoints(topo) if d.bars]
    vfs = [d for d in devs if d.is_virtfn]
    pick = vfs or [d for d in devs if _class(d) != 0x02] or devs
    if not pick:
        return None
    dev = pick[0]
    sized = {n: b for n, b in dev.bars.items() if b.size}
    if not sized:
        return None
    bar = 2 if 2 in sized else max(sized, key=lambda n: sized[n].size)
    return ExporterSpec("vfio-pci", dev.bdf, bar, ((0, min(SZ_2M, int(sized[bar].size))),))


def machine_importer(topo, driver: str, exp: ExporterSpec) -> Optional[ImporterSpec]:
    """The importer a machine offers for ``driver`` facing ``exp``, or None.

    xe and peer-gpu only on a display-class device; RDMA and the legacy
    sg_table importer on a NIC if there is one, else another endpoint
    (never a bridge); iommufd and KVM need no device.
    """
    imp = default_importer(topo, driver, exp)
    if imp is None:
        return None
    if driver in ("xe", "peer-gpu"):
        dev = topo.devices.get(imp.device) if imp.device else None
        return imp if dev is not None and _class(dev) == 0x03 else None
    if driver in ("rdma", "legacy"):
        exp_dev = topo.devices.get(exp.device) if exp.device else None
        others = [d for d in _endpoints(topo) if d is not exp_dev and not d.is_virtfn]
        nics = [d for d in others if _class(d) == 0x02]
        pick = nics or others
        if not pick:
            return None
        return ImporterSpec(driver, pick[0].bdf, imp.dynamic, dict(imp.options))
    return imp


def machine_negotiation(source: Source, label: str, revisions: Optional[Iterable[str]] = None,
                        steps: Iterable[str] = DEFAULT_STEPS) -> pl.DataFrame:
    """The negotiation matrix for one machine: same columns as ``negotiation_matrix``.

    ``source`` is anything :func:`load_machine` takes; a fresh topology is
    loaded for every run (runs leave state on devices).  ``topology`` holds
    ``label``.
    """
    revs = list(revisions) if revisions is not None else available_revisions()
    rows = []
    for rev in revs:
        rows += pair_rows(rev, lambda: load_machine(source), label, machine_exporter, machine_importer, steps)
    return pl.DataFrame(rows, schema=SCHEMA)


def with_xe_vfs(source: Source, pf_bdf: str, *, num_vfs: int, vram_size: int, lmem_quota: int) -> Callable:
    """A factory for a what-if: the captured PF gets ``vram_size`` of VRAM and ``num_vfs`` VFs.

    Each VF gets an LMEM object of ``lmem_quota`` bytes, as the xe PF
    provisions them; the PF is marked as driven by xe.  None of this is in
    any capture: the VRAM size and quota are the caller's assumptions, and so
    is, where the capture does not show them, that the PF and the ports above
    it do not redirect P2P with ACS (the topology's notes say so: the VF-PF
    verdict turns on it).  The
    VF BARs follow the capture's own SR-IOV layout, so the per-VF BAR size
    must be known.
    """
    from dmabuf_lab.errors import LabInputError
    from dmabuf_lab.hw.vram import Vram
    from dmabuf_lab.pci.iov import enable_vfs

    def build():
        topo = load_machine(source)
        pf = topo.device(pf_bdf)
        if pf.sriov is None:
            raise LabInputError(f"{pf_bdf} has no SR-IOV capability in the capture", field="pf")
        bars = pf.sriov.vf_bars
        if LMEM_BAR not in bars or any(not vb.size_per_vf for vb in bars.values()):
            raise LabInputError(f"{pf_bdf}: the capture does not give the per-VF size of every VF BAR "
                                f"(known: {sorted(n for n, vb in bars.items() if vb.size_per_vf)})", field="pf")
        pf.vram = Vram(vram_size)
        pf.driver = pf.driver or "xe"
        dev = pf
        while dev is not None:
            if "acs" in dev.unknown:
                del dev.unknown["acs"]
                topo.notes.append(f"what-if assumption: {dev.bdf} does not redirect P2P with ACS "
                                  "(the capture does not show its ACS control)")
            dev = dev.parent
        for vf in enable_vfs(pf, num_vfs):
            vf.driver = "xe"
            vf.lmem = pf.vram.alloc(lmem_quota, owner=vf, name=f"VF{vf.vf_index + 1} LMEM")
            if vf.lmem is None:
                raise LabInputError(f"{vram_size:#x} bytes of VRAM cannot hold {num_vfs} x {lmem_quota:#x}",
                                    field="lmem_quota")
        return topo.validate()

    return build


# ---------------------------------------------------------------------------
# bufinfo: who shares what
# ---------------------------------------------------------------------------

def bufinfo_buffers(info) -> pl.DataFrame:
    """One row per buffer of a bufinfo dump (``Bufinfo.rows()``), with its attached devices as a list."""
    rows = []
    for i, b in enumerate(info.buffers):
        rows.append({"buffer": i, "ino": b.ino, "exp_name": b.exp_name, "name": b.name, "size": b.size,
                     "count": b.count, "fences": len(b.fences),
                     "unsignalled": sum(1 for f in b.fences if not f.signalled),
                     "attached": _attached_to(b), "line": b.line})
    return pl.DataFrame(rows, schema={"buffer": pl.Int64, "ino": pl.Int64, "exp_name": pl.Utf8, "name": pl.Utf8,
                                      "size": pl.Int64, "count": pl.Int64, "fences": pl.Int64,
                                      "unsignalled": pl.Int64, "attached": pl.List(pl.Utf8), "line": pl.Int64})


NOT_ATTACHED = "(not attached)"
CUT_OFF = "(cut off in the capture)"


def _attached_to(b) -> list:
    if b.attached:
        return list(b.attached)
    # no device listed: a printed "Total 0 devices attached" means none; no total line means the dump ends here
    return [NOT_ATTACHED] if b.attached_total == 0 else [CUT_OFF]


def bufinfo_sharing(info) -> pl.DataFrame:
    """Exporter x attached device: buffers and bytes shared.

    A buffer with no attachment counts once, under ``(not attached)``, or
    under ``(cut off in the capture)`` when the dump ends before its
    attachment list does.
    """
    rows = []
    for b in info.buffers:
        for dev in _attached_to(b):
            rows.append({"exporter": b.exp_name, "device": dev, "size": b.size})
    df = pl.DataFrame(rows, schema={"exporter": pl.Utf8, "device": pl.Utf8, "size": pl.Int64})
    return (df.group_by("exporter", "device").agg(pl.len().alias("buffers"), pl.col("size").sum().alias("bytes"))
            .sort("exporter", "device"))
