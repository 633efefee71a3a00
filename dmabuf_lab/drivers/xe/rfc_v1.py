"""xe under RFC v1: the PF importing its VFs' VRAM over the IOV interconnect.

the RFC v1 thread (2025-10-14), patches 5, 7 and 8:

* patch 5 (xe_dma_buf.c): :meth:`XeRfcV1Importer.xe_dma_buf_supports_interconnects`
  offers ``[CREATE_IOV_INTERCONNECT(own pdev, LMEM_BAR)]`` and lets
  ``dma_buf_match_interconnects()`` decide;
* patch 7 (xe_bo.c): :meth:`XeRfcV1Importer.xe_bo_move_dmabuf` maps through
  ``dma_buf_map_interconnect()`` when the attachment negotiated IOV, hands
  the ranges to ``xe_bo_xarray_to_dma_addr()``
  (:mod:`dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.rfc_v1`) and falls back to
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
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.common import LMEM_BAR
from dmabuf_lab.drivers.xe.dpa_oracle import first_mismatch, true_dpa_pieces
from dmabuf_lab.drivers.xe.mainline_6_19 import XeExporter
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_res_cursor_h.rfc_v1 import xe_res_cursor, xe_res_first_dma, xe_res_first_sg, xe_res_walk
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo_h.common import xe_bo_put
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.rfc_v1 import xe_bo_xarray_to_dma_addr
from dmabuf_lab.kmodel import (IS_ERR, PTR_ERR, KernelError, dma_resv_lock, dma_resv_unlock, kfree, kstruct,
                               report)
from dmabuf_lab.revisions import rfc_v1
from dmabuf_lab.revisions.base import ImporterDriver, fixed
from dmabuf_lab.revisions.rfc_v1 import (CREATE_IOV_INTERCONNECT, DMA_BUF_INTERCONNECT_IOV,
                                         dma_buf_attach_ops_ic, dma_buf_map_interconnect,
                                         dma_buf_match_interconnects, dma_buf_unmap_interconnect)
from dmabuf_lab.twins import mirrors
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_dma_buf.rfc_v1 import xe_dma_buf_supports_interconnects, xe_dma_buf_move_notify
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.rfc_v1 import xe_bo_move_dmabuf, xe_ttm_bo_delete_mem_notify
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_pt.rfc_v1 import xe_pt_stage_bind


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
    xe_dma_buf_supports_interconnects = xe_dma_buf_supports_interconnects

    xe_dma_buf_move_notify = xe_dma_buf_move_notify

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
    xe_bo_move_dmabuf = xe_bo_move_dmabuf

    def _free_dma_data(self) -> None:
        bo = self.bo
        xe_bo_put(bo.dma_data.lmem_obj)
        kfree(bo.dma_data.dma_addr)
        bo.dma_data.lmem_obj = None
        bo.dma_data.dma_addr = None
        bo.is_devmem_external = False

    xe_ttm_bo_delete_mem_notify = xe_ttm_bo_delete_mem_notify

    # -- xe_pt.c ----------------------------------------------------------------------
    xe_pt_stage_bind = xe_pt_stage_bind


def make_importer(session):
    return XeRfcV1Importer(session)


def make_exporter(session):
    return XeExporter(session)
