"""drivers/gpu/drm/xe/xe_dma_buf.c in RFC v2 of the interconnects series: the importer's interconnect test; the xe adapter stands for the importing device (self)."""
from __future__ import annotations

from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.common import LMEM_BAR
from dmabuf_lab.revisions import rfc_v2 as v2
from dmabuf_lab.twins import mirrors


@mirrors("posting:interconnects-rfc-v2#1/8:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_supports_interconnects", gap="the lab's reading of RFC v1 5/8 on RFC v2's per-interconnect ops")
def xe_dma_buf_supports_interconnects(self, attach, exp, exp_ics: int) -> bool:
    """Importer side: accept only the IOV interconnect to this PF's LMEM BAR."""
    supports_ics = [v2.CREATE_IOV_INTERCONNECT(attach.dev, LMEM_BAR)]
    return v2.dma_buf_match_interconnects(attach, exp, exp_ics, supports_ics, len(supports_ics))
