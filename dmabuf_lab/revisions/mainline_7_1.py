"""Mainline dma-buf as of Linux 7.1 (``mainline-7.1``), a patch over 6.19.

What changed since :mod:`dmabuf_lab.revisions.mainline_6_19`, each modelled
where the code lives:

* the revoke series by Leon Romanovsky (drm-misc-next for 7.1,
  :mod:`dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_7_1`): ``move_notify`` renamed
  ``invalidate_mappings`` (ef246da8e63c, 95308225e5ba), dma-buf always
  built with move-notify (609fc8766d68), ``dma_buf_attach_revocable()``
  (be6d4c9e9d71); in vfio (:mod:`dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.common`):
  no pin ops (6ffe939bf94f), revocable importers only, and 1a8a5227f229
  "vfio: Wait for dma-buf invalidation to complete" with its re-arm fix
  c64a647c84f3;
* e98137f0a874 "vfio/pci: Fix double free in dma-buf feature"
  (CVE-2026-31468, 7.0-rc6);
* d97708701434: close cleans the dma-bufs up before disabling the function;
* iommufd pins the buffer (8c5f9645c389), and its release path unpins
  without the reservation lock (bug ``iommufd-unpin-lock``).

dma-buf-mapping.c is still the 6.19 file: no commit to the modelled
functions between 6.19 and 7.1 is known.

Files as read for 7.1 (``data/mainline_releases.toml``): dma-buf.c at
intel-lab-lkp/linux 02f9ac5589e4, dma-buf-mapping.c at torvalds/linux
b703b31ea8cd, vfio_pci_dmabuf.c at gregkh/linux 2519003dd5fb (the v7.1-rc4
merge), xe_dma_buf.c at gregkh/linux 827062952ed9,
uverbs_std_types_dmabuf.c at torvalds/linux 311aa68319f6, umem_dmabuf.c at
jakemoroni/linux 95dc8cfc1b46 (the pinned-revocable series before the revoke
series' rename), vfio_pci_core.c and vfio_pci_rdwr.c at gregkh/linux
1129c0011b90 (after the tag: BARs claimed at open, 05f2a68b407a; the export
checks them, 702809dabdec); vfio_pci_config.c and pages.c not read (from
posted diffs).

Bugs the model shows in 7.1, each with its fix as a variant:

``sgt-helper``
    the 6.19 ``dma_buf_phys_vec_to_sgt()`` / ``dma_buf_free_sgt()``:
    ``orig_nents = 0`` leaks the scatterlist chunk, every range is linked
    at IOVA offset 0, and the ``unsigned int`` lengths wrap past 4 GiB
    (b344ca94e8cc, 7.3); entries of 0xFFFFFFFF bytes (06dd5e1ae8ce, 7.3).
``iommufd-unpin-lock``
    iommufd's ``iopt_release_pages()`` calls ``dma_buf_unpin()`` without
    the reservation lock, so ``dma_resv_assert_held()`` fires (fixed by
    e745cd2c749e in 7.2).
``uverbs-dmabuf-release``
    the RDMA uverbs dma-buf's release op takes a NULL ``uobj.context`` to
    mean an aborted ALLOC.  Every destroy clears it, so when the uverbs
    file goes before the buffer's last reference the object and a uverbs
    file reference leak; and on the -EIO abort the object is freed before
    the deferred release reads it.  The lab's fix: the abort paths detach
    the buffer from the object (``dmabuf->priv = NULL``) before the file is
    put, and the release tests that instead.  Present up to the newest
    source read.

Mode ``rc1`` runs vfio's revoke and cleanup as first merged for 7.1-rc1
(before c64a647c84f3, which no release lacks): a close after a revoke
underflows the kref and waits forever.

Sources: ``docs/sources.md`` [mainline-7.1], [mainline-releases], [vfio-kref-rearm].
"""
from __future__ import annotations

from dmabuf_lab.revisions.base import Revision

#: The RDMA uverbs dma-buf's release-op bug, carried by every release that has the exporter.
UVERBS_DMABUF_RELEASE = ("uverbs_dmabuf_release() returns when uobj.context is NULL, which every destroy "
                         "sets: closing the uverbs file first leaks the object and a uverbs file "
                         "reference; the -EIO abort frees the object before the deferred release reads it "
                         "(lab fix: the aborts clear dmabuf->priv, the release tests it)")

REVISION = Revision(
    name="mainline-7.1",
    module="mainline_7_1",
    title="Mainline dma-buf (Linux 7.1)",
    date="2026-06",
    source="mainline-7.1",
    patch="Linux 7.1: drivers/dma-buf/dma-buf.c, dma-buf-mapping.c, drivers/vfio/pci/vfio_pci_dmabuf.c, "
          "drivers/iommu/iommufd/pages.c",
    bugs={
        "sgt-helper": "dma_buf_phys_vec_to_sgt()/dma_buf_free_sgt() still as in 6.19: leaks the sg chunk "
                      "(orig_nents = 0), IOVA offset 0, unsigned int lengths wrap past 4 GiB, "
                      "entries of UINT_MAX bytes",
        "iommufd-unpin-lock": "iopt_release_pages() calls dma_buf_unpin() without the reservation lock "
                          "(e745cd2c749e takes it)",
        "uverbs-dmabuf-release": UVERBS_DMABUF_RELEASE,
    },
    modes={
        "rc1": "vfio's revoke as first merged (1a8a5227f229 with 6ffe939bf94f, 7.1-rc1 to rc3): restore "
               "re-arms the kref, cleanup drains every buffer itself (c64a647c84f3 changed both)",
    },
)
