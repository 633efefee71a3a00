"""xe under mapping-types-2025-10.

Exporter: declares ``[XE_VRAM(this device), SGT_P2P(this device), SGT]``
(the last only when the BO may move to system memory).  ``XE_VRAM`` is a
driver-defined type, Thomas's "VRAM offset within this specific VRAM
memory": it matches an importer that names this device's VRAM (a peer GPU
linked to it) and ``map_vram`` returns the BO's VRAM ranges (DPA, length).
The SGT entries share 6.19's map body; the plain one migrates the BO to
system memory first.

Importer (the PF): dynamic, with ``[XE_VRAM(this PF), IOV(this PF,
LMEM_BAR), SGT(this PF, accepts P2P)]``.  Over XE_VRAM (a BO of its own
VRAM) it takes the VRAM ranges as they are (``private``); over IOV it turns
the VF BAR ranges into VRAM DPAs (:mod:`dmabuf_lab.drivers.xe.vf_translate`)
and gives the list back; over SGT it maps an sg_table.  No fallback between
them.  A static xe importer cannot use mapping types (-EINVAL).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from dmabuf_lab.core.dma_mapping import DMA_BIDIRECTIONAL
from dmabuf_lab.core.ops import dma_buf_attach_ops
from dmabuf_lab.drivers.common import check_ptr, spec_device
from dmabuf_lab.drivers.resv_importer import ResvImporter
from dmabuf_lab.drivers.xe.bo import (LMEM_BAR, XE_PL_TT, xe_bo_can_migrate, xe_bo_release,
                                      xe_dma_buf_attach_checks, xe_dma_buf_map_common, xe_dma_buf_unmap_common)
from dmabuf_lab.drivers.xe.mainline_6_19 import XeExporter
from dmabuf_lab.drivers.xe.vf_translate import xe_free_dpa_ranges, xe_translate_bar_ranges_to_dpa
from dmabuf_lab.kmodel import (EINVAL, ENOMEM, EOPNOTSUPP, ERR_PTR, WARN_ON, dma_resv_assert_held, IS_ERR, PTR_ERR, KernelError, dma_resv_lock,
                               dma_resv_unlock, errname, kvfree, kvmalloc_array)
from dmabuf_lab.revisions import mapping_types_2025_10 as mt
from dmabuf_lab.twins import mirrors


# --- the driver-defined type ------------------------------------------------------

@mirrors("posting:mapping-types-design:drivers/gpu/drm/xe/xe_dma_buf.c:xe_vram_match", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it")
def xe_vram_match(dmabuf, exp, imp) -> int:
    """The importer must name *this* device's VRAM."""
    return 0 if imp.pdev is exp.pdev else -EOPNOTSUPP


xe_vram_mapping_type = mt.dma_buf_mapping_type("XE_VRAM", match=xe_vram_match, lab_kind="private")


@dataclass(eq=False)
class xe_vram_exp_ops(mt.dma_buf_mapping_exp_ops):
    """``map_vram(attach) -> array of (dpa, len)``, ``unmap_vram(attach, array)``."""

    map_vram: Optional[Callable] = None
    unmap_vram: Optional[Callable] = None


@mirrors("posting:mapping-types-design:drivers/gpu/drm/xe/xe_dma_buf.c:XE_MAPPING_VRAM", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it", revisions=("mapping-types-2025-10", "mapping-types-2026-05"))
def XE_MAPPING_VRAM(pdev, ops=None) -> mt.dma_buf_mapping_match:
    """Entry for ``pdev``'s VRAM (importer: the VRAM it reaches; exporter: its own, with ops)."""
    return mt.dma_buf_mapping_match(type=xe_vram_mapping_type, exp_ops=ops, pdev=pdev)


@mirrors("posting:mapping-types-design:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_map_vram", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it")
def xe_dma_buf_map_vram(attach):
    """The BO's VRAM ranges (DPA, length) as a kvmalloc'ed array."""
    bo = attach.dmabuf.priv
    ranges = bo.lmem.ranges
    out = kvmalloc_array(len(ranges), 16)
    if out is None:
        return ERR_PTR(-ENOMEM)
    for i, r in enumerate(ranges):
        out[i] = r
    return out


@mirrors("posting:mapping-types-design:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_unmap_vram", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it")
def xe_dma_buf_unmap_vram(attach, arr) -> None:
    """Free the array made by ``xe_dma_buf_map_vram``."""
    kvfree(arr)


# --- exporter ---------------------------------------------------------------------

@mirrors("posting:mapping-types-design:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_sgt_attach", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it")
def xe_dma_buf_sgt_attach(dmabuf, attach) -> int:
    """SGT mapping type: P2P only when the chosen type requires it."""
    return xe_dma_buf_attach_checks(dmabuf.priv, attach, bool(attach.map_type.requires_p2p))


@mirrors("posting:mapping-types-design:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_map", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it")
def xe_dma_buf_map(attach, direction):
    """sg_table for the importer: VRAM through the BAR for SGT_P2P, else migrate."""
    bo = attach.dmabuf.priv
    return xe_dma_buf_map_common(bo, bool(attach.map_type.requires_p2p), getattr(bo, "session", None))


@mirrors("posting:mapping-types-design:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_unmap", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it")
def xe_dma_buf_unmap(attach, sgt, direction) -> None:
    """Undo ``xe_dma_buf_map``."""
    xe_dma_buf_unmap_common(sgt)


@mirrors("posting:mapping-types-design:drivers/gpu/drm/drm_prime.c:drm_gem_dmabuf_release", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it", revisions=("mapping-types-2025-10", "mapping-types-2026-05"))
def xe_dma_buf_release(dmabuf) -> None:
    """Last reference gone: drop the BO."""
    xe_bo_release(dmabuf.priv)


xe_sgt_ops = mt.dma_buf_sgt_exp_ops(attach=xe_dma_buf_sgt_attach, map_dma_buf=xe_dma_buf_map,
                                    unmap_dma_buf=xe_dma_buf_unmap)
xe_vram_ops = xe_vram_exp_ops(map_vram=xe_dma_buf_map_vram, unmap_vram=xe_dma_buf_unmap_vram)


@mirrors("posting:mapping-types-design:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_mapping_types", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it", revisions=("mapping-types-2025-10", "mapping-types-2026-05"))
def xe_dma_buf_mapping_types(dmabuf) -> list:
    """The mapping types xe exports for this BO, in the order it lists them."""
    bo = dmabuf.priv
    out = [XE_MAPPING_VRAM(bo.pdev, xe_vram_ops), mt.DMA_BUF_EMAPPING_SGT_P2P(xe_sgt_ops, bo.pdev)]
    if xe_bo_can_migrate(bo, XE_PL_TT):
        out.append(mt.DMA_BUF_EMAPPING_SGT(xe_sgt_ops))
    return out


xe_dmabuf_mt_ops = mt.dma_buf_ops_mt(release=xe_dma_buf_release, mapping_types=xe_dma_buf_mapping_types,
                                     name="xe_dmabuf_ops (mapping types 2025-10)")


class MtXeExporter(XeExporter):
    ops = xe_dmabuf_mt_ops
    export_fn = staticmethod(mt.dma_buf_export)


@mirrors("posting:mapping-types-design:drivers/gpu/drm/xe/xe_dma_buf.c:xe_vram_map", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it")
def xe_vram_map(attach):
    """Typed map of the XE_VRAM type (resv held): the BO's VRAM ranges, or ERR_PTR."""
    if WARN_ON(attach.map_type.type is not xe_vram_mapping_type, "xe_vram_map on another type"):
        return ERR_PTR(-EINVAL)
    dma_resv_assert_held(attach.dmabuf.resv)
    return attach.map_type.exp_ops.map_vram(attach)


@mirrors("posting:mapping-types-design:drivers/gpu/drm/xe/xe_dma_buf.c:xe_vram_unmap", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it")
def xe_vram_unmap(attach, arr) -> None:
    """Give the VRAM ranges back."""
    attach.map_type.exp_ops.unmap_vram(attach, arr)


# --- importer (the PF) ---------------------------------------------------------------

class MtXeImporter(ResvImporter):
    """The xe PF importing with its match list; the peer GPU (``drivers/peer_gpu``)
    is the same importer with a shorter list (:meth:`match_list`)."""

    name = "xe"
    core = mt
    attach_ops_name = "xe_dma_buf_attach_ops"

    def __init__(self, session):
        super().__init__(session)
        spec = session.importer
        self.dynamic = True if spec.dynamic is None else spec.dynamic
        self.pf = spec_device(session, "importer")
        self.dmabuf = None
        self.attachment = None
        self.sgt = None
        self.dpa = None
        self.vram = None

    def match_list(self) -> list:
        """``[XE_VRAM(this PF), IOV(this PF, LMEM_BAR), SGT(this PF, accepts P2P)]``."""
        return [XE_MAPPING_VRAM(self.pf), mt.DMA_BUF_MAPPING_IOV(self.pf, LMEM_BAR),
                mt.DMA_BUF_IMAPPING_SGT(self.pf, True)]

    def attach(self, dmabuf) -> None:
        ops = (dma_buf_attach_ops(allow_peer2peer=True, move_notify=self.move_notify,
                                  name=self.attach_ops_name) if self.dynamic else None)
        self._mapping_attach(dmabuf, self.match_list(), ops)

    def map(self) -> None:
        dma_resv_lock(self.dmabuf.resv)
        try:
            if self.attachment.map_type.type is xe_vram_mapping_type:
                self.vram = check_ptr(xe_vram_map(self.attachment), f"{self.name}: map_vram")
                self.mapped = True
            elif self.attachment.map_type.type is mt.dma_buf_mapping_iov_type:
                self._map_iov()
            else:
                sgt = mt.dma_buf_map_attachment(self.attachment, DMA_BIDIRECTIONAL)
                self.sgt = check_ptr(sgt, f"{self.name}: dma_buf_map_attachment")
                self.mapped = True
        finally:
            dma_resv_unlock(self.dmabuf.resv)

    def _map_iov(self) -> None:
        lst = mt.dma_buf_iov_map(self.attachment)
        if IS_ERR(lst):
            raise KernelError(PTR_ERR(lst), "xe: dma_buf_iov_map")
        ranges = [(int(lst.phys[i].paddr), int(lst.phys[i].len)) for i in range(lst.length)]
        ret, dpa = xe_translate_bar_ranges_to_dpa(self.s.topology, self.pf, self.attachment.map_type.bar, ranges)
        mt.dma_buf_iov_unmap(self.attachment, lst)
        if ret:
            raise KernelError(ret, f"xe: BAR -> DPA translation failed ({errname(ret)})")
        self.dpa = dpa
        self.s.shared["xe_dpa"] = [tuple(x) for x in dpa]
        self.s.log(f"xe: {len(ranges)} BAR range(s) -> {len(dpa)} DPA run(s)")
        self.mapped = True

    def _drop(self) -> None:
        if self.vram is not None:
            xe_vram_unmap(self.attachment, self.vram)
            self.vram = None
        if self.dpa is not None:
            xe_free_dpa_ranges(self.dpa)
            self.dpa = None
        if self.sgt is not None:
            mt.dma_buf_unmap_attachment(self.attachment, self.sgt, DMA_BIDIRECTIONAL)
            self.sgt = None
        self.mapped = False


def make_exporter(session):
    return MtXeExporter(session)


def make_importer(session):
    return MtXeImporter(session)
