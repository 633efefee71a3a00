"""A ``dmabuf_lab.hw`` topology as the arrays the translation kernels take."""
from __future__ import annotations

from dmabuf_lab.kernels.translate import TranslateTopology
from dmabuf_lab.pci.iov import pci_iov_resource_start


def from_topology(topo, pf_bdf: str, bar: int = 2) -> TranslateTopology:
    """Arrays for :func:`translate_bar_to_dpa` from a ``dmabuf_lab.hw`` topology.

    Reads the PF's SR-IOV VF BAR layout for ``bar`` (xe's LMEM_BAR is 2) and
    every enabled VF's LMEM object blocks.
    """
    pf = topo.device(pf_bdf)
    if getattr(pf, "sriov", None) is None:
        raise ValueError(f"{pf_bdf} has no SR-IOV capability")
    vfbar = pf.sriov.vf_bars.get(bar) if isinstance(pf.sriov.vf_bars, dict) else None
    if vfbar is None:
        raise ValueError(f"{pf_bdf} has no VF BAR {bar}")
    base = int(pci_iov_resource_start(pf, bar))
    per_vf = int(vfbar.size_per_vf)
    vfs = sorted((d for d in topo.devices.values() if getattr(d, "physfn", None) is pf),
                 key=lambda d: d.vf_index)
    n = int(pf.sriov.num_vfs) if not vfs else len(vfs)
    blocks = []
    for i in range(n):
        vf = vfs[i] if i < len(vfs) else None
        blocks.append(_vf_lmem_blocks(topo, pf, vf, i))
    return TranslateTopology.sriov(base, per_vf, blocks)


def _vf_lmem_blocks(topo, pf, vf, index):
    """(dpa, len) blocks of VF ``index``'s LMEM object, wherever the hw model keeps it."""
    cands = []
    if vf is not None:
        cands += [getattr(vf, "lmem", None), getattr(vf, "lmem_obj", None)]
    for holder in (getattr(pf, "vram", None), pf, topo):
        for name in ("vf_lmem", "lmem_objs", "vf_lmem_objs"):
            table = getattr(holder, name, None)
            if table is not None:
                try:
                    cands.append(table[index + 1] if isinstance(table, dict) and index + 1 in table
                                 and index not in table else table[index])
                except (KeyError, IndexError, TypeError):
                    pass
    for c in cands:
        if c is not None and hasattr(c, "blocks"):
            return [(int(d), int(n)) for d, n in c.blocks]
    return []
