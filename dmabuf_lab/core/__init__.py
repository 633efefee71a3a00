"""Mainline dma-buf as of Linux 6.19 (the lab's mainline-6.19): export, attach, map,
move_notify and revoke, the DMA API over the modelled IOMMU and the MMIO
phys_vec -> sg_table helper (its P2P providers are ``dmabuf_lab.pci.p2pdma``).

Later revisions build on these pieces: they subclass the ops tables and
the attachment, and call the same map/unmap paths.
"""
from .attachment import dma_buf_attachment, dma_buf_attachment_is_dynamic
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_6_19 import (CONFIG_DMABUF_MOVE_NOTIFY, dma_buf_attach, dma_buf_detach,
                      dma_buf_dynamic_attach, dma_buf_export, dma_buf_fd, dma_buf_get,
                      dma_buf_is_dynamic, dma_buf_map_attachment,
                      dma_buf_map_attachment_unlocked, dma_buf_move_notify, dma_buf_pin,
                      dma_buf_pin_on_map, dma_buf_put, dma_buf_release, dma_buf_unmap_attachment,
                      dma_buf_unmap_attachment_unlocked, dma_buf_unpin)
from .dma_mapping import (DMA_ATTR_MMIO, DMA_BIDIRECTIONAL, DMA_FROM_DEVICE,
                          DMA_IOVA_USE_SWIOTLB, DMA_MAPPING_ERROR, DMA_NONE, DMA_TO_DEVICE,
                          dma_iova_destroy, dma_iova_free, dma_iova_link, dma_iova_state,
                          dma_iova_sync, dma_iova_try_alloc, dma_iova_unlink, dma_map_phys,
                          dma_mapping_error, dma_unmap_phys, dma_use_iova, valid_dma_direction)
from .file import close_fd, set_rlimit_nofile
from .ops import dma_buf_attach_ops, dma_buf_export_info, dma_buf_ops
from dmabuf_lab.linux.drivers.dma_buf.dma_buf_mapping.common import calc_sg_nents, dma_buf_dma, dma_buf_free_sgt, dma_buf_phys_vec_to_sgt

# ``dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_6_19`` is the module (drivers/dma-buf/dma-buf.c); the struct
# is ``from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_6_19 import dma_buf``
__all__ = [n for n in dir() if not n.startswith("_") and n not in (
    "attachment", "dma_buf", "dma_mapping", "file", "ops", "phys_vec_to_sgt", "iommu_dma")]
