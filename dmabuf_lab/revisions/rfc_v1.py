"""rfc-v1: "dma-buf: Add support for mapping dmabufs via interconnects", RFC v1.

Models Vivek Kasireddy's 8-patch RFC of 2025-10-14 as posted, from
the RFC v1 thread (2025-10-14) (patches and reviews).  This module is the
dma-buf core part, patches 1-3 (``drivers/dma-buf/dma-buf.c`` and the new
``include/linux/dma-buf-interconnect.h``):

* patch 1: ``struct dma_buf_ranges {xarray ranges; nranges}``,
  ``enum dma_buf_interconnect_type``, ``struct dma_buf_interconnect``,
  ``dma_buf_interconnect_ops {map_interconnect, unmap_interconnect}`` hung off
  ``dma_buf_ops.interconnect_ops``, ``attach->allow_ic`` and
  ``attach->interconnect``, :func:`dma_buf_map_interconnect` /
  :func:`dma_buf_unmap_interconnect`;
* patch 2: ``supports_interconnects`` in ``dma_buf_attach_ops`` (sets
  ``allow_ic`` in :func:`dma_buf_dynamic_attach`), ``match_interconnect`` and
  :func:`dma_buf_match_interconnects` (exporter list outside, importer list
  inside; the exporter's ``match_interconnect`` decides);
* patch 3: ``DMA_BUF_INTERCONNECT_IOV`` and ``struct dma_buf_iov_interconnect
  {base, pdev, bar}`` with ``CREATE_IOV_INTERCONNECT()``.

The vfio-pci side (patch 4) is in ``drivers/vfio_pci/rfc_v1.py``, the xe side
(patches 5-8) in ``drivers/xe/rfc_v1.py`` and the modules it imports.

Bugs (``REVISION.bugs``), each fixed by the variant ``fix-<name>`` and all of
them by ``fixed``.  None of these was named in the thread's reviews, which
were about the interface (kerneldoc, pointer identity, xarray of pointers,
iterators, mapping types); the three marked (facts) are listed in
``docs/sources.md``, the rest were found by the lab.

Three have no litmus scenario and are tested directly in
``tests/revisions/test_rfc_v1.py``: no modelled driver reaches
``null-attach`` (xe asserts its attachment, the others pass what attach
returned) or ``unmap-early-return`` (xe, the only importer with ranges to
give back, unmaps before it clears ``allow_ic``, and vfio has the unmap
op); ``xe-remap-leak`` is reached, but every posted IOV map also leaks its
``dma_buf_ranges`` (``xe-ranges-leak``), and a scenario compares finding
kinds, so fixing it alone still shows a ``leak``.

Sources: ``docs/sources.md`` [interconnects-rfc-v1].
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from dmabuf_lab.core.attachment import dma_buf_attachment, dma_buf_attachment_is_dynamic
from dmabuf_lab.core.ops import dma_buf_attach_ops, dma_buf_ops
from dmabuf_lab.kmodel import (EINVAL, ENOMEM, EOPNOTSUPP, ERR_PTR, IS_ERR, WARN_ON, dma_resv_assert_held,
                               dma_resv_lock, dma_resv_unlock, kfree, kstruct, kzalloc, might_sleep,
                               xa_destroy, xa_init, xarray)
from dmabuf_lab.revisions.base import Revision, deref, fixed

from dmabuf_lab.linux.drivers.dma_buf.dma_buf import mainline_6_19 as core  # drivers/dma-buf/dma-buf.c (6.19)
from dmabuf_lab.twins import mirrors
from dmabuf_lab.linux.include.linux.dma_buf_interconnect_h.rfc_v1 import DMA_BUF_INTERCONNECT_NONE, DMA_BUF_INTERCONNECT_IOV, dma_buf_ranges, dma_buf_interconnect, dma_buf_iov_interconnect, dma_buf_interconnect_match, CREATE_IOV_INTERCONNECT, container_of_iov, dma_buf_interconnect_ops  # noqa: F401
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.rfc_v1 import dma_buf_ops_ic, dma_buf_attach_ops_ic, dma_buf_attachment_ic, dma_buf_dynamic_attach, dma_buf_attach, dma_buf_map_interconnect, dma_buf_unmap_interconnect, dma_buf_match_interconnects, dma_buf_detach, dma_buf_map_attachment, dma_buf_unmap_attachment, dma_buf_move_notify  # noqa: F401

REVISION = Revision(
    name="rfc-v1",
    module="rfc_v1",
    title="dma-buf: Add support for mapping dmabufs via interconnects (RFC v1)",
    date="2025-10-14",
    source="interconnects-rfc-v1",
    patch="[RFC 0/8] dma-buf: Add support for mapping dmabufs via interconnects (Vivek Kasireddy)",
    bugs={
        "null-attach": "(lab) dma_buf_map/unmap_interconnect() read attach->dmabuf before WARN_ON(!attach); "
                       "no driver passes NULL (unit test only)",
        "unmap-early-return": "(lab) dma_buf_unmap_interconnect() returns without freeing the ranges when "
                              "allow_ic is clear or the exporter has no unmap op; no driver path gets "
                              "there (unit test only)",
        "ic-revoked": "(lab) vfio accepts an interconnect attach before its revoked test and "
                      "vfio_pci_map_interconnect() never tests revoked",
        "iov-match-pf": "(lab) vfio_pci_match_iov_interconnect() accepts a PF exporter: pci_physfn() of "
                        "a PF is the PF, while patch 3 says the exporter is a VF",
        "xe-ranges-leak": "(lab) xe_bo_move_dmabuf() never unmaps the dma_buf_ranges it mapped",
        "xe-no-fallback": "(lab) xe_bo_xarray_to_dma_addr() returns 0 when it cannot translate: "
                          "no sg_table and no DPA array, the bind dereferences a NULL sg_table",
        "xe-remap-leak": "(lab) a second xe_bo_move_dmabuf() overwrites dma_data: the old DPA array "
                         "and the LMEM object reference leak; the ranges leak masks it in every "
                         "scenario (unit test)",
        "xe-bo-addr-page-size": "(lab) xe_bo_addr() is passed the range length as page_size; "
                                "xe_assert(page_size <= PAGE_SIZE) fires on CONFIG_DRM_XE_DEBUG",
        "vf-lookup-last-page": "(facts) xe_find_vf_dev() tests phys < start + len - PAGE_SIZE: "
                               "the last page of every VF BAR finds no VF",
        "start-only-translation": "(facts) only each range's start goes through xe_bo_addr(): a range "
                                  "crossing a VRAM block boundary is mistranslated",
        "get-order-overstates": "(facts) order = get_order(len) rounds up: the entry claims more "
                                "bytes than the range has",
        "sgt-helper": "inherited 6.19 dma_buf_phys_vec_to_sgt()/dma_buf_free_sgt() leak (vfio's sg path)",
    },
)

# ---------------------------------------------------------------------------
# include/linux/dma-buf-interconnect.h
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# drivers/dma-buf/dma-buf.c
# ---------------------------------------------------------------------------


__all__ = [
    "REVISION", "DMA_BUF_INTERCONNECT_NONE", "DMA_BUF_INTERCONNECT_IOV", "dma_buf_ranges",
    "dma_buf_interconnect", "dma_buf_iov_interconnect", "dma_buf_interconnect_match",
    "CREATE_IOV_INTERCONNECT", "container_of_iov", "dma_buf_interconnect_ops", "dma_buf_ops_ic",
    "dma_buf_attach_ops_ic", "dma_buf_attachment_ic", "dma_buf_dynamic_attach", "dma_buf_attach",
    "dma_buf_map_interconnect", "dma_buf_unmap_interconnect", "dma_buf_match_interconnects",
    "dma_buf_attachment_is_dynamic", "dma_buf_detach", "dma_buf_map_attachment", "dma_buf_unmap_attachment",
    "dma_buf_move_notify", "IS_ERR",
]
