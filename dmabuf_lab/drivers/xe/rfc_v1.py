"""xe under RFC v1: the PF importing its VFs' VRAM over the IOV interconnect.

the RFC v1 thread (2025-10-14), patches 5, 7 and 8:

* patch 5 (xe_dma_buf.c): :meth:`XeRfcV1Importer.xe_dma_buf_supports_interconnects`
  offers ``[CREATE_IOV_INTERCONNECT(own pdev, LMEM_BAR)]`` and lets
  ``dma_buf_match_interconnects()`` decide;
* patch 7 (xe_bo.c): :meth:`XeRfcV1Importer.xe_bo_move_dmabuf` maps through
  ``dma_buf_map_interconnect()`` when the attachment negotiated IOV, hands
  the ranges to ``xe_bo_xarray_to_dma_addr()``
  (:mod:`dmabuf_lab.drivers.xe.xarray_to_dma_addr`) and falls back to
  ``dma_buf_map_attachment()`` when either fails;
  :meth:`XeRfcV1Importer.xe_ttm_bo_delete_mem_notify` frees the DPA array and
  drops the LMEM reference.  The mapped ``dma_buf_ranges`` are never given
  back (``xe-ranges-leak``); a second move overwrites the DPA array and takes
  a second reference (``xe-remap-leak``); eviction (``move_notify``) defers
  every unmap to the next map, as xe does;
* patch 8 (xe_pt.c): :meth:`XeRfcV1Importer.xe_pt_stage_bind` walks
  ``bo->dma_data.dma_addr`` with ``xe_res_first_dma`` and ``dma_offset = 0``,
  else the sg_table with ``xe_res_first_sg``.  The lab compares the bound
  addresses with the true DPAs (``mistranslation``).

The exporter side of xe is unchanged by the RFC (mainline's VRAM exporter).

Importer options: ``hold_resv = false`` (validate without the reservation
lock), ``drm_xe_debug = true`` (CONFIG_DRM_XE_DEBUG: ``xe_assert`` is live).
"""
from __future__ import annotations

from dmabuf_lab.core.dma_mapping import DMA_BIDIRECTIONAL
from dmabuf_lab.drivers.common import check_ptr, importer_dev
from dmabuf_lab.drivers.xe.bo import LMEM_BAR
from dmabuf_lab.drivers.xe.dpa_oracle import first_mismatch, true_dpa_pieces
from dmabuf_lab.drivers.xe.mainline_6_19 import XeExporter
from dmabuf_lab.drivers.xe.res_cursor import xe_res_cursor, xe_res_first_dma, xe_res_first_sg, xe_res_walk
from dmabuf_lab.drivers.xe.sriov_pf_config import xe_bo_put
from dmabuf_lab.drivers.xe.xarray_to_dma_addr import xe_bo_xarray_to_dma_addr
from dmabuf_lab.kmodel import (IS_ERR, PTR_ERR, KernelError, dma_resv_lock, dma_resv_unlock, kfree, kstruct,
                               report)
from dmabuf_lab.revisions import rfc_v1
from dmabuf_lab.revisions.base import ImporterDriver, fixed
from dmabuf_lab.revisions.rfc_v1 import (CREATE_IOV_INTERCONNECT, DMA_BUF_INTERCONNECT_IOV,
                                         dma_buf_attach_ops_ic, dma_buf_map_interconnect,
                                         dma_buf_match_interconnects, dma_buf_unmap_interconnect)
from dmabuf_lab.twins import mirrors


class xe_sriov_dma_data(kstruct):
    """``struct xe_sriov_dma_data``: the DPA array and the reference on the VF's LMEM object."""

    fields = ("dma_addr", "lmem_obj")


class xe_bo(kstruct):
    """The imported BO's members this path touches (``ttm_bo->sg``, patch 7's additions).

    ``ic_ranges`` exists only in the fixed variant (``xe-ranges-leak``): it
    keeps the mapped ranges so they can be given back.
    """

    fields = ("sg", ("is_devmem_external", False), ("dma_data", xe_sriov_dma_data), "ic_ranges")


class XeRfcV1Importer(ImporterDriver):
    """xe (usually the PF) importing a dma-buf: IOV interconnect first, sg_table otherwise."""

    name = "xe"

    def __init__(self, session):
        super().__init__(session)
        spec = session.importer
        self.dev = importer_dev(session, "xe")
        self.dynamic = True if spec.dynamic is None else bool(spec.dynamic)
        self.hold_resv = bool(spec.option("hold_resv", True))
        self.debug = bool(spec.option("drm_xe_debug", False))
        self.dmabuf = None
        self.attachment = None
        self.bo = xe_bo()
        self.shadow: list = []        # per DPA entry: (BAR address, bytes) it stands for
        self.bind: list = []          # (BO offset, address, bytes) the page-table walk consumed
        self.lmem_objs: list = []
        self.evictions = 0

    # -- dma_buf_attach_ops --------------------------------------------------------
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

    # -- the runner's protocol ---------------------------------------------------------
    def _sgt_kind(self) -> str:
        p2p = bool(self.attachment.peer2peer) and bool(self.s.shared.get("p2p_memory"))
        return "sgt-p2p" if p2p else "sgt"

    def attach(self, dmabuf) -> None:
        self.dmabuf = dmabuf
        if self.dynamic:
            ops = dma_buf_attach_ops_ic(allow_peer2peer=True, move_notify=self.xe_dma_buf_move_notify,
                                        supports_interconnects=self.xe_dma_buf_supports_interconnects,
                                        name="xe_dma_buf_attach_ops")
            att = rfc_v1.dma_buf_dynamic_attach(dmabuf, self.dev, ops, self)
        else:
            att = rfc_v1.dma_buf_attach(dmabuf, self.dev)
        self.attachment = check_ptr(att, "xe: attach")
        self.attached = True
        a = self.attachment
        self.kind = "iov" if a.allow_ic and a.interconnect.type == DMA_BUF_INTERCONNECT_IOV else self._sgt_kind()

    def map(self) -> None:
        """Validate the BO into TT (``xe_bo_move_dmabuf``) and bind it (``xe_pt_stage_bind``)."""
        if self.hold_resv:
            dma_resv_lock(self.dmabuf.resv)
        try:
            self.xe_bo_move_dmabuf(to_system=False)
            self.mapped = True
            self.xe_pt_stage_bind()
        finally:
            if self.hold_resv:
                dma_resv_unlock(self.dmabuf.resv)
        self.kind = "iov" if self.bo.is_devmem_external else self._sgt_kind()

    def unmap(self) -> None:
        """The BO goes away: ``xe_ttm_bo_delete_mem_notify``."""
        dma_resv_lock(self.dmabuf.resv)
        try:
            self.xe_ttm_bo_delete_mem_notify()
        finally:
            dma_resv_unlock(self.dmabuf.resv)
        self.mapped = False

    def detach(self) -> None:
        if not self.attached:
            return
        rfc_v1.dma_buf_detach(self.dmabuf, self.attachment)
        self.attachment = None
        self.attached = False
        for obj in self.lmem_objs:
            refs = getattr(obj, "xe_refs", 0)
            if refs > 0:
                report("leak", f"{refs} reference(s) on {obj.name!r} (xe_bo_get) never dropped")
                obj.xe_refs = 0

    # -- xe_bo.c ----------------------------------------------------------------------
    @mirrors("posting:interconnects-rfc-v1#7/8:drivers/gpu/drm/xe/xe_bo.c:xe_bo_move_dmabuf")
    def xe_bo_move_dmabuf(self, *, to_system: bool) -> None:
        """Map the attachment for a move into TT: interconnect first, sg_table as the fallback.

        A move to system memory (eviction) keeps whatever is mapped: xe defers
        the unmap to the next map or to the BO's destruction.
        """
        attach = self.attachment
        bo = self.bo
        if to_system:
            return
        if bo.sg is not None:
            rfc_v1.dma_buf_unmap_attachment(attach, bo.sg, DMA_BIDIRECTIONAL)
            bo.sg = None
        if fixed("xe-ranges-leak") and bo.ic_ranges is not None:
            dma_buf_unmap_interconnect(attach, bo.ic_ranges)
            bo.ic_ranges = None
        if fixed("xe-remap-leak") and bo.is_devmem_external:
            self._free_dma_data()

        sg = None
        allow_ic = False
        if attach.allow_ic and attach.interconnect.type == DMA_BUF_INTERCONNECT_IOV:
            allow_ic = True
            ranges = dma_buf_map_interconnect(attach)
            if IS_ERR(ranges):
                allow_ic = False
            else:
                shadow: list = []
                if xe_bo_xarray_to_dma_addr(ranges, bo, self.dev, debug=self.debug, shadow=shadow):
                    dma_buf_unmap_interconnect(attach, ranges)
                    allow_ic = False
                else:
                    self.shadow = shadow
                    if fixed("xe-ranges-leak"):
                        bo.ic_ranges = ranges
                if bo.is_devmem_external and bo.dma_data.lmem_obj is not None \
                        and bo.dma_data.lmem_obj not in self.lmem_objs:
                    self.lmem_objs.append(bo.dma_data.lmem_obj)
            attach.allow_ic = allow_ic
        if not allow_ic:
            sg = rfc_v1.dma_buf_map_attachment(attach, DMA_BIDIRECTIONAL)
            if IS_ERR(sg):
                raise KernelError(PTR_ERR(sg), "xe: dma_buf_map_attachment")
        bo.sg = sg

    def _free_dma_data(self) -> None:
        bo = self.bo
        xe_bo_put(bo.dma_data.lmem_obj)
        kfree(bo.dma_data.dma_addr)
        bo.dma_data.lmem_obj = None
        bo.dma_data.dma_addr = None
        bo.is_devmem_external = False

    @mirrors("posting:interconnects-rfc-v1#7/8:drivers/gpu/drm/xe/xe_bo.c:xe_ttm_bo_delete_mem_notify")
    def xe_ttm_bo_delete_mem_notify(self) -> None:
        """Release the attachment's mapping: the sg_table, or the DPA array and the LMEM reference."""
        bo = self.bo
        if bo.sg is not None:
            rfc_v1.dma_buf_unmap_attachment(self.attachment, bo.sg, DMA_BIDIRECTIONAL)
            bo.sg = None
        if bo.is_devmem_external:
            xe_bo_put(bo.dma_data.lmem_obj)
            kfree(bo.dma_data.dma_addr)
            if fixed("xe-remap-leak"):
                bo.is_devmem_external = False
                bo.dma_data.dma_addr = None
        if fixed("xe-ranges-leak") and bo.ic_ranges is not None:
            dma_buf_unmap_interconnect(self.attachment, bo.ic_ranges)
            bo.ic_ranges = None

    # -- xe_pt.c ----------------------------------------------------------------------
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


def make_importer(session):
    return XeRfcV1Importer(session)


def make_exporter(session):
    return XeExporter(session)
