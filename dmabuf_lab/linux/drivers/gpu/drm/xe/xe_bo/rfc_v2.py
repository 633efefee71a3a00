"""The xe PF turning its own VF's LMEM BAR addresses into VRAM DPAs (correct rule).

Shared by the revisions after RFC v1 whose xe PF receives BAR physical
addresses over an IOV interconnect or mapping type (rfc-v2,
mapping-types-2025-10).  RFC v1's own helpers, with their posted bugs
(the last-page lookup, start-only translation, ``get_order`` rounding), are
modelled with that revision; here the VF is found by the exact window rule
(``start <= phys < start + len``, :func:`dmabuf_lab.pci.iov.vf_for_bar_address`)
and each range is split wherever the VF's LMEM object changes block
(:func:`dmabuf_lab.hw.vram.xe_bo_addr_range`).  The output, ``(dpa, len)``
runs in a kvmalloc'd array, is what the page-table bind consumes.
"""
from __future__ import annotations

from dmabuf_lab.pci.iov import vf_for_bar_address
from dmabuf_lab.hw.vram import xe_bo_addr_range
from dmabuf_lab.kmodel import EINVAL, ENODEV, ENOMEM, KernelError, kvfree, kvmalloc_array
from dmabuf_lab.twins import mirrors


def vf_dev_for_bar_address(topology, pf, bar: int, phys: int):
    """The VF whose BAR ``bar`` holds ``phys`` and the offset into it, or (None, 0).

    The job of RFC v1's ``xe_find_vf_dev()`` (modelled, with its posted rule,
    in :mod:`.xarray_to_dma_addr`), done by the exact window rule."""
    hit = vf_for_bar_address(pf, bar, phys)
    if hit is None:
        return None, 0
    vf_id, offset = hit
    for vf in topology.vfs(pf):
        if vf.vf_index == vf_id:
            return vf, offset
    return None, 0


@mirrors("posting:interconnects-rfc-v2#1/8:drivers/gpu/drm/xe/xe_bo.c:xe_translate_bar_ranges_to_dpa", gap="RFC v2's xe side was not posted in the stored thread: the lab's reading of RFC v1 7/8 on RFC v2's types", revisions=("rfc-v2", "mapping-types-2025-10"))
def xe_translate_bar_ranges_to_dpa(topology, pf, bar: int, ranges) -> tuple[int, object]:
    """Translate ``[(phys, len)]`` of VF BAR addresses; ``(0, KArray of (dpa, len))`` or ``(-errno, None)``.

    -ENODEV when an address lies in no VF's BAR (or the VF has no LMEM),
    -EINVAL when a range runs past its VF's LMEM quota, -ENOMEM when the
    output array cannot be allocated.
    """
    out = []
    for phys, ln in ranges:
        vf, offset = vf_dev_for_bar_address(topology, pf, bar, int(phys))
        if vf is None or getattr(vf, "lmem", None) is None:
            return -ENODEV, None
        try:
            out.extend(xe_bo_addr_range(vf.lmem, offset, int(ln)))
        except KernelError:
            return -EINVAL, None
    arr = kvmalloc_array(len(out), 16)
    if arr is None:
        return -ENOMEM, None
    for i, seg in enumerate(out):
        arr[i] = seg
    return 0, arr


@mirrors("posting:interconnects-rfc-v2#1/8:drivers/gpu/drm/xe/xe_bo.c:xe_free_dpa_ranges", gap="RFC v2's xe side was not posted in the stored thread: the lab's reading of RFC v1 7/8 on RFC v2's types", revisions=("rfc-v2", "mapping-types-2025-10"))
def xe_free_dpa_ranges(arr) -> None:
    """Free the bind input."""
    kvfree(arr)
