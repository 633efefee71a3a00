"""R0: mainline dma-buf (Linux 6.19), the baseline every proposal extends.

An adapter over :mod:`dmabuf_lab.core` (``drivers/dma-buf/dma-buf.c``,
``dma-buf-mapping.c``) and the 6.19 vfio-pci exporter
(:mod:`dmabuf_lab.drivers.vfio_pci_dmabuf`, Leon Romanovsky's series merged
through VFIO).  There is no negotiation: importers attach statically
(``dma_buf_attach``) or dynamically (``dma_buf_dynamic_attach`` with
``allow_peer2peer``/``move_notify``) and always get an sg_table of DMA
addresses (``sgt``, or ``sgt-p2p`` when the addresses point at another
device's memory).  iommufd reaches vfio's physical range through the private
``vfio_pci_dma_buf_iommufd_map()`` bridge (``phys``); KVM has no way in.

Seed: none (R0 in ``reference/revisions.md``).  Bugs the foundation models
in the merged code, each fixed in the ``fixed`` variant:

``sgt-helper``
    ``dma_buf_phys_vec_to_sgt()`` / ``dma_buf_free_sgt()``: the table is
    handed out with ``orig_nents = 0`` and ``sg_free_table()`` walks
    ``orig_nents``, so every map/unmap cycle leaks the scatterlist chunk
    (found by the lab, not by reviewers); the IOVA path links every range
    at offset 0.  See :mod:`dmabuf_lab.core.phys_vec_to_sgt`.
``fd-error-put``
    ``vfio_pci_core_feature_dma_buf()`` frees ``priv`` again after
    ``dma_buf_put()`` when installing the fd fails.

Modes (the vfio exporter of the revoke series that followed 6.19, for the
race scenarios; everything else stays 6.19):

``wait-fix``
    1a8a5227f229 "vfio: Wait for dma-buf invalidation to complete" as first
    merged with the rest of Leon Romanovsky's revoke series (v7.1 merge
    window): map takes a kref, unmap drops it, revoke waits for every
    fence (BOOKKEEP) and then for the last unmap; attach refuses importers
    that are not revocable; cleanup() puts the kref again.
``wait-fix-rearm``
    the same exporter as in mainline around v7.1-rc4: revoke re-arms the
    kref and completion right after its wait, and cleanup() goes through
    move(), which closes the 7.1-rc hang of a device closed after a revoke.
"""
from __future__ import annotations

from dmabuf_lab.revisions.base import Revision

REVISION = Revision(
    name="mainline",
    module="mainline",
    title="Mainline dma-buf (Linux 6.19)",
    date="2025-12",
    seed=None,
    patch="Linux 6.19: drivers/dma-buf/dma-buf.c, dma-buf-mapping.c, drivers/vfio/pci/vfio_pci_dmabuf.c",
    bugs={
        "sgt-helper": "dma_buf_phys_vec_to_sgt()/dma_buf_free_sgt() as merged: leaks the sg chunk, IOVA offset 0",
        "fd-error-put": "vfio_pci_core_feature_dma_buf() frees priv after dma_buf_put() on a failed fd install",
    },
    modes={
        "wait-fix": "vfio revoke waits for fences and unmaps (1a8a5227f229, revoke series as first merged)",
        "wait-fix-rearm": "the same with the re-arming kref and cleanup() through move() (mainline ~v7.1-rc4)",
    },
)
