"""drivers/gpu/drm/xe/xe_pt.c in RFC v1 of the interconnects series: binding the imported ranges, through the VF BAR translation for an IOV interconnect."""
from __future__ import annotations

from dmabuf_lab.drivers.xe.dpa_oracle import first_mismatch, true_dpa_pieces
from dmabuf_lab.kmodel import report
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_res_cursor_h.rfc_v1 import xe_res_cursor, xe_res_first_dma, xe_res_first_sg, xe_res_walk
from dmabuf_lab.twins import mirrors


@mirrors("posting:interconnects-rfc-v1#8/8:drivers/gpu/drm/xe/xe_pt.c:xe_pt_stage_bind")
def xe_pt_stage_bind(self) -> None:
    """Walk the BO as the page-table bind does and record (offset, address, bytes) runs.

    External device memory: the DPA array with ``dma_offset = 0``;
    otherwise the sg_table (a NULL one oopses).  Then the lab's check of
    every bound byte against the true DPA.
    """
    bo = self.bo
    size = self.dmabuf.size
    cur = xe_res_cursor()
    if bo.is_devmem_external:
        dma_offset = 0
        xe_res_first_dma(bo.dma_data.dma_addr, 0, size, cur)
    else:
        dma_offset = 0
        xe_res_first_sg(bo.sg, 0, size, cur)
    self.bind = [(off, addr + dma_offset, n) for off, addr, n in xe_res_walk(cur)]
    if bo.is_devmem_external:
        truth = true_dpa_pieces(self.dev, self.shadow)
        if truth is not None:
            bad = first_mismatch(self.bind, truth, size)
            if bad is not None:
                off, got, want = bad
                got_s = f"{got:#x}" if got is not None else "nothing"
                want_s = f"DPA {want:#x}" if want is not None else "nowhere in the buffer"
                report("mistranslation", f"xe_pt bind: BO byte {off:#x} is bound to {got_s}, "
                                         f"its VRAM is {want_s}")
