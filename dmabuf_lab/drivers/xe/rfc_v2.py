"""xe under rfc-v2.

Importer (the PF): ``xe_dma_buf_attach_ops`` gains ``supports_interconnects``,
which answers the exporter's list with ``[IOV(this PF, LMEM_BAR)]`` through
``dma_buf_match_interconnects()``.  At map (``xe_bo_move_dmabuf``), with
``allow_ic`` and the IOV interconnect it calls ``dma_buf_iov_map()``, turns
the VF BAR ranges into VRAM DPAs (:mod:`dmabuf_lab.drivers.xe.vf_translate`,
the bind input) and frees the exporter's mapping itself (no unmap); on any
failure it clears ``allow_ic`` and falls back to
``dma_buf_map_attachment()`` — the third path Jason objects to.  It holds
``iov``, else ``sgt``/``sgt-p2p``.

Importer option ``ic_map_unconditionally = true``: call
``dma_buf_iov_map()`` without looking at ``allow_ic`` and without falling
back (a probe of the core's checks: a static importer gets -EINVAL; a
dynamic one whose exporter never ran the matcher keeps ``allow_ic`` set with
no interconnect recorded and also gets -EINVAL, one whose match failed
gets -EOPNOTSUPP).

Exporter: xe offers no interconnect in this series; mainline's VRAM exporter.
"""
from __future__ import annotations

from dmabuf_lab.core.dma_mapping import DMA_BIDIRECTIONAL
from dmabuf_lab.addr.phys_vec_array import dma_buf_mapping_free
from dmabuf_lab.drivers.common import check_ptr, spec_device
from dmabuf_lab.drivers.resv_importer import ResvImporter
from dmabuf_lab.drivers.xe.bo import LMEM_BAR
from dmabuf_lab.drivers.xe.mainline_6_19 import XeExporter
from dmabuf_lab.drivers.xe.vf_translate import xe_free_dpa_ranges, xe_translate_bar_ranges_to_dpa
from dmabuf_lab.kmodel import IS_ERR, PTR_ERR, KernelError, dma_resv_lock, dma_resv_unlock, errname
from dmabuf_lab.revisions import rfc_v2 as v2
from dmabuf_lab.twins import mirrors


class XeV2Importer(ResvImporter):
    name = "xe"
    core = v2

    def __init__(self, session):
        super().__init__(session)
        spec = session.importer
        self.dynamic = True if spec.dynamic is None else spec.dynamic
        self.unconditional = bool(spec.option("ic_map_unconditionally", False))
        self.pf = spec_device(session, "importer")
        self.dmabuf = None
        self.attachment = None
        self.sgt = None
        self.dpa = None

    # -- dma_buf_attach_ops (move_notify: ResvImporter's) ------------------------
    @mirrors("posting:interconnects-rfc-v2#1/8:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_supports_interconnects", gap="the lab's reading of RFC v1 5/8 on RFC v2's per-interconnect ops")
    def xe_dma_buf_supports_interconnects(self, attach, exp, exp_ics: int) -> bool:
        """Importer side: accept only the IOV interconnect to this PF's LMEM BAR."""
        supports_ics = [v2.CREATE_IOV_INTERCONNECT(attach.dev, LMEM_BAR)]
        return v2.dma_buf_match_interconnects(attach, exp, exp_ics, supports_ics, len(supports_ics))

    def attach(self, dmabuf) -> None:
        self.dmabuf = dmabuf
        if self.dynamic:
            ops = v2.dma_buf_attach_ops_v2(allow_peer2peer=True, move_notify=self.move_notify,
                                           supports_interconnects=self.xe_dma_buf_supports_interconnects,
                                           name="xe_dma_buf_attach_ops")
            att = v2.dma_buf_dynamic_attach(dmabuf, self.pf, ops, self)
        else:
            att = v2.dma_buf_attach(dmabuf, self.pf)
        self.attachment = check_ptr(att, "xe: attach")
        self.attached = True
        self.kind = "iov" if self._iov() else None

    def _iov(self) -> bool:
        a = self.attachment
        return bool(a.allow_ic) and a.interconnect is v2.dma_buf_iov_interconnect

    def map(self) -> None:
        dma_resv_lock(self.dmabuf.resv)
        try:
            if self.unconditional or self._iov():
                if self._map_iov():
                    return
            self._map_sgt()
        finally:
            dma_resv_unlock(self.dmabuf.resv)

    def _map_iov(self) -> bool:
        m, bar, nelms = v2.dma_buf_iov_map(self.attachment)
        if IS_ERR(m):
            if self.unconditional:
                raise KernelError(PTR_ERR(m), "xe: dma_buf_iov_map")
            self.s.log(f"xe: dma_buf_iov_map failed ({errname(PTR_ERR(m))}); falling back to sg_table")
            self.attachment.allow_ic = False
            return False
        ranges = [(int(m.phys[i].paddr), int(m.phys[i].len)) for i in range(nelms)]
        ret, dpa = xe_translate_bar_ranges_to_dpa(self.s.topology, self.pf, bar, ranges)
        dma_buf_mapping_free(m)        # no unmap: what map returned is ours to free
        if ret:
            self.s.log(f"xe: BAR -> DPA translation failed ({errname(ret)}); falling back to sg_table")
            self.attachment.allow_ic = False
            return False
        self.dpa = dpa
        self.s.shared["xe_dpa"] = [tuple(x) for x in dpa]
        self.s.log(f"xe: {nelms} BAR range(s) of BAR {bar} -> {len(dpa)} DPA run(s)")
        self.mapped = True
        self.kind = "iov"
        return True

    def _map_sgt(self) -> None:
        sgt = v2.dma_buf_map_attachment(self.attachment, DMA_BIDIRECTIONAL)
        self.sgt = check_ptr(sgt, "xe: dma_buf_map_attachment")
        self.mapped = True
        p2p = bool(self.attachment.peer2peer) and bool(self.s.shared.get("p2p_memory"))
        self.kind = "sgt-p2p" if p2p else "sgt"

    def _drop(self) -> None:
        if self.dpa is not None:
            xe_free_dpa_ranges(self.dpa)
            self.dpa = None
        if self.sgt is not None:
            v2.dma_buf_unmap_attachment(self.attachment, self.sgt, DMA_BIDIRECTIONAL)
            self.sgt = None
        self.mapped = False


def make_exporter(session):
    return XeExporter(session)


def make_importer(session):
    return XeV2Importer(session)
