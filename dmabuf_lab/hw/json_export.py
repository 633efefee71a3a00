"""A topology as plain JSON-ready data: one record per PCI function.

Shared by ``dmabuf-lab topology --json`` and the snapshot loaders, so a preset
and a captured machine print the same shape.  Addresses and sizes are ints;
vendor and device ids are four-digit hex strings as lspci prints them.
"""
from __future__ import annotations

from dmabuf_lab.hw.topology import Topology, lmem_quota


def _bar(bar) -> dict:
    return {"index": bar.index, "base": bar.base, "size": bar.size,
            "prefetchable": bar.prefetchable, "is64": bar.is64, "virtual": bar.virtual}


def device_to_json(topo: Topology, dev) -> dict:
    """One function: bdf, ids, kind, bars, and for a PF its SR-IOV capability."""
    rec = {
        "bdf": dev.bdf,
        "vendor": f"{dev.vendor:04x}",
        "device": f"{dev.device:04x}",
        "class": f"{dev.class_code:06x}",
        "name": dev.name,
        "kind": "vf" if dev.is_virtfn else dev.pcie_type,
        "parent": dev.parent.bdf if dev.parent is not None else None,
        "driver": dev.driver,
        "iommu_group": dev.iommu_group,
        "bars": [_bar(b) for _, b in sorted(dev.bars.items())],
    }
    if dev.is_bridge:
        rec["secondary"] = dev.secondary
        rec["subordinate"] = dev.subordinate
        rec["acs_ctrl"] = dev.acs_ctrl
    if dev.is_physfn:
        iov = dev.sriov
        rec["sriov"] = {
            "initial_vfs": iov.initial_vfs, "total_vfs": iov.total_vfs, "num_vfs": iov.num_vfs,
            "vf_offset": iov.vf_offset, "vf_stride": iov.vf_stride, "vf_device": f"{iov.vf_device:04x}",
            "vf_bars": [{"index": vb.index, "base": vb.base, "size_per_vf": vb.size_per_vf,
                         "prefetchable": vb.prefetchable, "is64": vb.is64}
                        for _, vb in sorted(iov.vf_bars.items())],
        }
    if dev.is_virtfn:
        rec["physfn"] = dev.physfn.bdf
        rec["vf_index"] = dev.vf_index
        if dev.lmem is not None or dev.lmem_quota is not None:
            rec["lmem"] = {"quota": lmem_quota(dev),
                           "blocks": [[dpa, n] for dpa, n in dev.lmem.blocks] if dev.lmem is not None else None}
    if dev.vram is not None:
        rec["vram"] = {"size": dev.vram.size, "base": dev.vram.base, "block_size": dev.vram.chunk,
                       "used": dev.vram.used}
    return rec


def topology_to_json(topo: Topology) -> list[dict]:
    """Every function of the topology in tree order."""
    return [device_to_json(topo, dev) for dev in topo]
