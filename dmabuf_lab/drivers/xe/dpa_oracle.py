"""The lab's oracle for a PF importing its VFs' VRAM: the true DPA of every byte.

Not kernel code.  For a buffer given as VF BAR ranges (CPU physical
addresses inside the PF's IOV LMEM window) it answers, from the topology
alone, which VRAM byte each buffer byte is: the VF by SR-IOV arithmetic
(``vf_for_bar_address``: every byte of the BAR, last page included), then
the VF's LMEM object block by block (``xe_bo_addr_range``).  The xe model of
RFC v1 compares what the patches compute against it and reports
``no-mapping``, ``mistranslation`` and ``overstated-segment``
(:mod:`dmabuf_lab.kmodel` findings).
"""
from __future__ import annotations

import bisect
from typing import Optional

from dmabuf_lab.hw import xe_bo_addr_range
from dmabuf_lab.pci.iov import pci_iov_resource_size, vf_for_bar_address
from dmabuf_lab.kmodel import KernelError
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.common import LMEM_BAR
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_gt_sriov_pf_config.rfc_v1 import pf_pick_vf_config

Piece = tuple  # (offset, address, bytes)


def true_vf(pf, phys: int):
    """The VF whose LMEM BAR holds ``phys`` and the offset in it, or (None, None)."""
    hit = vf_for_bar_address(pf, LMEM_BAR, phys)
    if hit is None:
        return None, None
    vf_id, off = hit
    return pf_pick_vf_config(pf, vf_id + 1), off


def true_dpa_pieces(pf, bar_ranges) -> Optional[list]:
    """``[(buffer offset, dpa, bytes)]`` for the whole buffer, split at VRAM block edges.

    None when some byte is not VRAM of a VF: outside every VF window, across
    two windows, or past the VF's LMEM quota.
    """
    out, pos = [], 0
    for phys, ln in bar_ranges:
        vf, off = true_vf(pf, phys)
        if vf is None or vf.lmem is None or off + ln > pci_iov_resource_size(pf, LMEM_BAR):
            return None
        try:
            pieces = xe_bo_addr_range(vf.lmem, off, ln)
        except KernelError:
            return None
        for dpa, n in pieces:
            out.append((pos, dpa, n))
            pos += n
    return out


def address_at(pieces: list, off: int) -> Optional[int]:
    """Address of buffer byte ``off`` in a piece list, or None when no piece covers it."""
    starts = [p[0] for p in pieces]
    i = bisect.bisect_right(starts, off) - 1
    if i < 0:
        return None
    s, a, n = pieces[i]
    return a + (off - s) if off < s + n else None


def first_mismatch(claimed: list, truth: list, total: int) -> Optional[tuple]:
    """First buffer offset where ``claimed`` and ``truth`` disagree: (offset, claimed, true), or None.

    Both are piece lists; each piece is linear, so checking every piece
    boundary of either list covers every byte.
    """
    cuts = sorted({p[0] for p in claimed} | {p[0] for p in truth} | {p[0] + p[2] for p in claimed}
                  | {p[0] + p[2] for p in truth} | {0})
    for off in cuts:
        if off >= total:
            break
        got, want = address_at(claimed, off), address_at(truth, off)
        if got != want:
            return off, got, want
    return None
