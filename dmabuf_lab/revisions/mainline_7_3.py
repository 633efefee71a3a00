"""Mainline dma-buf as of Linux 7.3, the newest mainline the lab models.

What changed since :mod:`dmabuf_lab.revisions.mainline` (Linux 6.19), each
modelled where the code lives:

* the revoke series by Leon Romanovsky, merged through drm-misc-next for
  7.1 (:mod:`dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_7_3`): ``move_notify`` renamed
  ``invalidate_mappings`` (ef246da8e63c, 95308225e5ba), dma-buf always
  built with move-notify (609fc8766d68), ``dma_buf_attach_revocable()``;
  and in vfio (:mod:`dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_7_3`): no pin ops,
  revocable importers only, and 1a8a5227f229 "vfio: Wait for dma-buf
  invalidation to complete";
* e98137f0a874 "vfio/pci: Fix double free in dma-buf feature"
  (CVE-2026-31468): the fd error path no longer frees ``priv`` twice;
* 06dd5e1ae8ce "dma-buf: Split sgl by largest page-aligned chunk" and
  b344ca94e8cc "dma-buf: Fix silent overflow for phys vec to sgt" (both
  in the 7.3-rc fixes of September 2026)
  (:mod:`dmabuf_lab.linux.drivers.dma_buf.dma_buf_mapping.common`, ``release="7.3"``);
* iommufd pins the buffer (8c5f9645c389) and unpins it under the lock
  (e745cd2c749e).

Unchanged, and still modelled as a bug with its lab fix: the helper hands
out ``orig_nents = 0`` (so sg_free_table() frees nothing) and links every
range at IOVA offset 0 (torvalds/linux 0b9828c7231e,
drivers/dma-buf/dma-buf-mapping.c).  The vfio file is modelled as read at
the v7.1-rc4 merge; later vfio changes are not known to the lab.

Sources: ``docs/sources.md`` [mainline-7.3].
"""
from __future__ import annotations

from dmabuf_lab.revisions.base import Revision

REVISION = Revision(
    name="mainline-7.3",
    module="mainline_7_3",
    title="Mainline dma-buf (Linux 7.3)",
    date="2026-09",
    source="mainline-7.3",
    patch="Linux 7.3: drivers/dma-buf/dma-buf.c, dma-buf-mapping.c, drivers/vfio/pci/vfio_pci_dmabuf.c",
    bugs={
        "sgt-helper": "dma_buf_phys_vec_to_sgt()/dma_buf_free_sgt() as in 7.3: orig_nents = 0 leaks "
                      "the sg chunk, every range linked at IOVA offset 0",
    },
)
