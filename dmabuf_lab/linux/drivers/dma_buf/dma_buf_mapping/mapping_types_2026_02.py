"""drivers/dma-buf/dma-buf-mapping.c in the 2026-02 mapping-types RFC: the match, the SGT and PAL types with their finish steps, and the PAL map and unmap."""
from __future__ import annotations

from dmabuf_lab.kmodel import EINVAL, EOPNOTSUPP, ERR_PTR, WARN_ON, dma_resv_assert_held
from dmabuf_lab.linux.include.linux.dma_buf_mapping_h.mapping_types_2026_02 import DMA_SGT_EXPORTER_REQUIRES_P2P_DISTANCE, DMA_SGT_IMPORTER_ACCEPTS_P2P, DMA_SGT_NO_P2P, dma_buf_mapping_match, dma_buf_mapping_pal_exp_ops, dma_buf_mapping_sgt_exp_ops, dma_buf_mapping_type, dma_buf_match_args
from dmabuf_lab.pci.p2pdma import pci_p2pdma_distance
from dmabuf_lab.twins import mirrors
from typing import Optional


@mirrors("jgunthorpe/linux@476e59f8dedd:drivers/dma-buf/dma-buf-mapping.c:dma_buf_match_mapping", gap="the RFC's match loop read in the rebased branch (2026-03), where it is unchanged", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def dma_buf_match_mapping(args: dma_buf_match_args, exp, exp_len: int) -> int:
    """Pick the first exporter entry (in exporter order) some importer entry accepts.

    For each exporter entry, each importer entry of the same type pointer
    is tried; the type's ``match`` (if any) decides: -EOPNOTSUPP moves on,
    another error aborts with it.  On success ``finish_match`` records the
    result and 0 is returned; with no compatible pair, -EINVAL.
    """
    for e in range(exp_len):
        ex = exp[e]
        for i in range(args.imp_len):
            im = args.imp_matches[i]
            if ex.type is not im.type:
                continue
            if ex.type.match is not None:
                ret = ex.type.match(args.dmabuf, ex, im)
                if ret == -EOPNOTSUPP:
                    continue
                if ret != 0:
                    return ret
            ex.type.finish_match(args, ex, im)
            return 0
    return -EINVAL


@mirrors("posting:mapping-types-rfc:drivers/dma-buf/dma-buf-mapping.c:dma_buf_sgt_match", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def dma_buf_sgt_match(dmabuf, exp, imp) -> int:
    """A P2P-requiring exporter needs an importer that accepts P2P and can reach it."""
    req = exp.sgt_data.exporter_requires_p2p
    if req == DMA_SGT_NO_P2P:
        return 0
    if req == DMA_SGT_EXPORTER_REQUIRES_P2P_DISTANCE:
        if (WARN_ON(exp.sgt_data.exporting_p2p_device is None, "SGT_P2P without an exporting device")
                or imp.sgt_data.importer_accepts_p2p != DMA_SGT_IMPORTER_ACCEPTS_P2P):
            return -EOPNOTSUPP
        if pci_p2pdma_distance(exp.sgt_data.exporting_p2p_device,
                               imp.sgt_data.importing_dma_device) < 0:
            return -EOPNOTSUPP
        return 0
    return 0


@mirrors("posting:mapping-types-rfc:drivers/dma-buf/dma-buf-mapping.c:dma_buf_sgt_finish_match", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def dma_buf_sgt_finish_match(args, exp, imp) -> None:
    """Store the SGT match in ``attach.map_type`` and mirror it into ``dev``/``peer2peer``."""
    attach = args.attach
    mt = dma_buf_mapping_match(type=dma_buf_mapping_sgt_type, exp_ops=exp.exp_ops)
    mt.sgt_data.importing_dma_device = imp.sgt_data.importing_dma_device
    mt.sgt_data.importer_accepts_p2p = imp.sgt_data.importer_accepts_p2p
    mt.sgt_data.exporter_requires_p2p = exp.sgt_data.exporter_requires_p2p
    attach.map_type = mt
    attach.dev = imp.sgt_data.importing_dma_device
    attach.peer2peer = mt.sgt_data.importer_accepts_p2p == DMA_SGT_IMPORTER_ACCEPTS_P2P


dma_buf_mapping_sgt_type = dma_buf_mapping_type(
    name="DMA Mapped Scatter Gather Table",
    match=dma_buf_sgt_match,
    finish_match=dma_buf_sgt_finish_match,
)


@mirrors("posting:mapping-types-rfc:drivers/dma-buf/dma-buf-mapping.c:dma_buf_sgt_dma_device", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch")
def dma_buf_sgt_dma_device(attach):
    """The device to pass to the DMA API in SGT map/unmap (None for another type)."""
    if attach.map_type.type is not dma_buf_mapping_sgt_type:
        return None
    return attach.map_type.sgt_data.importing_dma_device


@mirrors("posting:mapping-types-rfc:drivers/dma-buf/dma-buf-mapping.c:dma_buf_sgt_p2p_allowed", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def dma_buf_sgt_p2p_allowed(attach) -> bool:
    """True when the exporter's P2P-requiring SGT entry was the one matched."""
    if attach.map_type.type is not dma_buf_mapping_sgt_type:
        return False
    return attach.map_type.sgt_data.exporter_requires_p2p == DMA_SGT_EXPORTER_REQUIRES_P2P_DISTANCE


@mirrors("posting:mapping-types-rfc:drivers/dma-buf/dma-buf-mapping.c:dma_buf_get_sgt_ops", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def dma_buf_get_sgt_ops(attach) -> Optional[dma_buf_mapping_sgt_exp_ops]:
    """container_of(map_type.exp_ops, sgt ops) when the SGT type was matched, else None."""
    if attach.map_type.type is not dma_buf_mapping_sgt_type:
        return None
    return attach.map_type.exp_ops


@mirrors("posting:mapping-types-rfc:drivers/dma-buf/dma-buf-mapping.c:to_pal_exp_ops", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def to_pal_exp_ops(attach) -> dma_buf_mapping_pal_exp_ops:
    """container_of(attach->map_type.exp_ops, struct dma_buf_mapping_pal_exp_ops, ops)."""
    return attach.map_type.exp_ops


@mirrors("posting:mapping-types-rfc:drivers/dma-buf/dma-buf-mapping.c:dma_buf_pal_map_phys", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def dma_buf_pal_map_phys(attach):
    """The exporter's physical address list for a PAL attachment (resv held), or ERR_PTR."""
    dma_resv_assert_held(attach.dmabuf.resv)
    return to_pal_exp_ops(attach).map_phys(attach)


@mirrors("posting:mapping-types-rfc:drivers/dma-buf/dma-buf-mapping.c:dma_buf_pal_unmap_phys", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def dma_buf_pal_unmap_phys(attach, phys) -> None:
    """Give a physical address list back to the exporter."""
    to_pal_exp_ops(attach).unmap_phys(attach, phys)


@mirrors("posting:mapping-types-rfc:drivers/dma-buf/dma-buf-mapping.c:dma_buf_pal_finish_match", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def dma_buf_pal_finish_match(args, exp, imp) -> None:
    """Store the PAL match in ``attach.map_type``."""
    args.attach.map_type = dma_buf_mapping_match(type=dma_buf_mapping_pal_type, exp_ops=exp.exp_ops)


dma_buf_mapping_pal_type = dma_buf_mapping_type(name="Physical Address List",
                                                finish_match=dma_buf_pal_finish_match)
