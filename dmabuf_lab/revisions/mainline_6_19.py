"""Mainline dma-buf as of Linux 6.19 (``mainline-6.19``), the baseline every proposal extends.

An adapter over :mod:`dmabuf_lab.core` (``drivers/dma-buf/dma-buf.c``,
``dma-buf-mapping.c``) and the 6.19 vfio-pci exporter
(:mod:`dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_6_19`, Leon Romanovsky's series merged
through VFIO).  There is no negotiation: importers attach statically
(``dma_buf_attach``) or dynamically (``dma_buf_dynamic_attach`` with
``allow_peer2peer``/``move_notify``) and always get an sg_table of DMA
addresses (``sgt``, or ``sgt-p2p`` when the addresses point at another
device's memory).  iommufd reaches vfio's physical range through the private
``vfio_pci_dma_buf_iommufd_map()`` bridge (``phys``); KVM has no way in.

Kernel configuration: ``CONFIG_DMABUF_MOVE_NOTIFY`` is off by default, and
then ``dma_buf_pin_on_map()`` pins every importer of an exporter with
``pin``, dynamic or not (an exporter's ``dmabuf_move_notify`` option turns
it on for a run).  vfio's pin always fails; xe's pin moves the BO to system
memory first, so an xe VRAM BO is never shared peer to peer under the
default, and one whose placements exclude system memory cannot be mapped
(-EINVAL).  A static importer's map also waits for the buffer's KERNEL
fences.

The releases after it are :mod:`dmabuf_lab.revisions.mainline_7_1`,
:mod:`~dmabuf_lab.revisions.mainline_7_2` and
:mod:`~dmabuf_lab.revisions.mainline_7_3_rc6`, each a patch over the one
before.  Files as read for 6.19 (``data/mainline_releases.toml``):
dma-buf.c at gregkh/linux 73e7709d9919, dma-buf-mapping.c at torvalds/linux
b703b31ea8cd, vfio_pci_dmabuf.c at torvalds/linux 1f97d9dcf536,
vfio_pci_config.c at jgunthorpe/linux b3376904935d, pages.c at
intel-lab-lkp/linux 11cb9405ff85, xe_dma_buf.c at analogdevicesinc/linux
93a528f67ce5 (the 6.19 importer order, one 7.1-cycle fix on), umem_dmabuf.c
at gregkh/linux 2c8fedbbbb82 (with the error label 104016eb671e removes put
back), vfio_pci_core.c at torvalds/linux 0886196ca881 and vfio_pci_rdwr.c at
torvalds/linux 0604aa87b098 (older trees: enable, disable and the lazy BAR
claim); uverbs_std_types_dmabuf.c absent.  Bugs the
model shows in the 6.19 code, each fixed in the ``fixed`` variant:

``sgt-helper``
    ``dma_buf_phys_vec_to_sgt()`` / ``dma_buf_free_sgt()``: the table is
    handed out with ``orig_nents = 0`` and ``sg_free_table()`` walks
    ``orig_nents``, so every map/unmap cycle leaks the scatterlist chunk
    (found by the lab, not by reviewers); the IOVA path links every range
    at offset 0; ``unsigned int nents, mapped_len`` wrap, so an IOVA span
    past 4 GiB is synced and described only for its length modulo 2**32
    (fixed upstream by b344ca94e8cc in 7.3).  See
    :mod:`dmabuf_lab.linux.drivers.dma_buf.dma_buf_mapping.common`.
``fd-error-put``
    ``vfio_pci_core_feature_dma_buf()``: when installing the fd fails,
    ``dma_buf_put()`` defers the release to the return to user space and
    the error path falls through the unwind chain, freeing ``priv`` and
    putting the registration; the release then reads the freed ``priv``
    and frees it again.  Fixed upstream by e98137f0a874 (CVE-2026-31468).
``revoke-no-wait``
    ``vfio_pci_dma_buf_move()`` sets ``revoked``, calls move_notify and
    returns; an importer that unmaps later can still reach the BAR after
    revoke returned.  Fixed upstream by 1a8a5227f229 ("vfio: Wait for
    dma-buf invalidation to complete"); the lab's fix waits the same way.
``close-order``
    ``vfio_pci_core_close_device()`` calls ``vfio_pci_core_disable()``
    (memory decoding off) before ``vfio_pci_dma_buf_cleanup()`` revokes, so
    an importer's DMA can reach the disabled function, and the disable has
    already given the BAR windows back (``unowned-resource`` while a mapping
    is live).  Fixed upstream by d97708701434 ("vfio/pci: Clean up DMABUFs
    before disabling function").

``umem-double-unpin``
    ``ib_umem_dmabuf_get_pinned_with_dma_device()`` unpins when the map
    fails but leaves ``pinned`` set, so the release unpins a second time and
    the exporter's pin count underflows (xe: ``ttm_bo_unpin()`` WARNs).
    Fixed upstream by 104016eb671e ("RDMA/umem: Fix double dma_buf_unpin in
    failure path", CVE-2026-43128).

Not a variant: the export does not check that vfio claimed the BAR's
window (a BAR user space never touched, or one another driver holds, is
exported all the same; ``unowned-resource``), which 702809dabdec fixes in
7.1 together with the claim at open (05f2a68b407a).

Sources: ``docs/sources.md`` [mainline-6.19], [vfio-close-order], [vfio-bar-resources].
"""
from __future__ import annotations

from dmabuf_lab.revisions.base import Revision

REVISION = Revision(
    name="mainline-6.19",
    module="mainline_6_19",
    title="Mainline dma-buf (Linux 6.19)",
    date="2025-12",
    source="mainline-6.19",
    patch="Linux 6.19: drivers/dma-buf/dma-buf.c, dma-buf-mapping.c, drivers/vfio/pci/vfio_pci_dmabuf.c",
    bugs={
        "sgt-helper": "dma_buf_phys_vec_to_sgt()/dma_buf_free_sgt() as merged: leaks the sg chunk, "
                      "IOVA offset 0, unsigned int lengths wrap past 4 GiB",
        "revoke-no-wait": "vfio_pci_dma_buf_move() returns before the importers have unmapped "
                          "(1a8a5227f229 makes it wait)",
        "fd-error-put": "vfio_pci_core_feature_dma_buf() frees priv before the deferred release "
                        "frees it again on a failed fd install (e98137f0a874)",
        "close-order": "vfio_pci_core_close_device() disables the function before the dma-buf cleanup "
                       "revokes the buffers (d97708701434 swaps the two)",
        "umem-double-unpin": "ib_umem_dmabuf_get_pinned_with_dma_device() unpins when the map fails but "
                             "leaves pinned set, so the release unpins again (104016eb671e)",
    },
)
