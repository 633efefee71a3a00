"""drivers/gpu/drm/xe/xe_dma_buf.c in RFC v1 of the interconnects series: the importer's interconnect test and move_notify; the xe adapter stands for the importing BO (self)."""
from __future__ import annotations

from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.common import LMEM_BAR
from dmabuf_lab.linux.include.linux.dma_buf_interconnect_h.rfc_v1 import CREATE_IOV_INTERCONNECT
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.rfc_v1 import dma_buf_match_interconnects
from dmabuf_lab.twins import mirrors


@mirrors("posting:interconnects-rfc-v1#5/8:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_supports_interconnects")
def xe_dma_buf_supports_interconnects(self, attach, exp, exp_ics: int) -> bool:
    """Offer IOV for our own pdev and the LMEM BAR; the core matches."""
    pdev = attach.dev
    supports_ics = [CREATE_IOV_INTERCONNECT(pdev, LMEM_BAR)]
    return dma_buf_match_interconnects(attach, exp, exp_ics, supports_ics, len(supports_ics))


@mirrors("posting:interconnects-rfc-v1#5/8:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_move_notify")
def xe_dma_buf_move_notify(self, attach) -> None:
    """The exporter moved or revoked the buffer (resv held): evict; unmapping waits for the next map."""
    self.s.log("xe: move_notify -> xe_bo_evict")
    self.evictions += 1
    self.xe_bo_move_dmabuf(to_system=True)
