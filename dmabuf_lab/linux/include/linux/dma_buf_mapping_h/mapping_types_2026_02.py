"""include/linux/dma-buf-mapping.h in the 2026-02 mapping-types RFC: the mapping type, match and exporter-ops structs, the physical address list, and the inline match-entry constructors."""
from __future__ import annotations

from dataclasses import dataclass
from dmabuf_lab.kmodel import EOPNOTSUPP, kstruct
from dmabuf_lab.twins import mirrors
from typing import Callable, Optional


# enum dma_sgt_requires_p2p
DMA_SGT_NO_P2P = 0


DMA_SGT_EXPORTER_REQUIRES_P2P_DISTANCE = 1


DMA_SGT_IMPORTER_ACCEPTS_P2P = 2


@dataclass(eq=False)
class dma_buf_mapping_type:
    """One mapping type; a singleton compared by address.

    ``match(dmabuf, exp, imp)``: 0 compatible, -EOPNOTSUPP try the next pair,
    any other error aborts matching.  None means "same type always matches".
    ``finish_match(args, exp, imp)`` records the result in ``args.attach``.
    """

    name: str
    match: Optional[Callable] = None
    finish_match: Optional[Callable] = None
    debugfs_dump: Optional[Callable] = None


@dataclass(eq=False)
class dma_buf_mapping_exp_ops:
    """The empty tag every per-type exporter ops table embeds (reached with container_of)."""


@dataclass(eq=False)
class dma_buf_mapping_sgt_exp_ops(dma_buf_mapping_exp_ops):
    """SGT exporter ops: the classic map/unmap pair, now per mapping type."""

    map_dma_buf: Optional[Callable] = None
    unmap_dma_buf: Optional[Callable] = None


@dataclass(eq=False)
class dma_buf_mapping_pal_exp_ops(dma_buf_mapping_exp_ops):
    """PAL exporter ops: hand out / take back a physical address list."""

    map_phys: Optional[Callable] = None
    unmap_phys: Optional[Callable] = None


class dma_buf_sgt_data(kstruct):
    """The SGT member of the match union."""

    fields = ("importing_dma_device", "exporting_p2p_device",
              ("importer_accepts_p2p", DMA_SGT_NO_P2P), ("exporter_requires_p2p", DMA_SGT_NO_P2P))


class dma_buf_mapping_match(kstruct):
    """One entry of an importer or exporter match list: a type, the exporter's ops, type data."""

    fields = ("type", "exp_ops", ("sgt_data", dma_buf_sgt_data))


class dma_buf_match_args(kstruct):
    """What dma_buf_mapping_attach() hands to the exporter's match_mapping()."""

    fields = ("dmabuf", "attach", "imp_matches", ("imp_len", 0))


@mirrors("posting:mapping-types-rfc:include/linux/dma-buf-mapping.h:DMA_BUF_IMAPPING_SGT", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def DMA_BUF_IMAPPING_SGT(importing_dma_device, importer_accepts_p2p: int) -> dma_buf_mapping_match:
    """Importer entry: an sg_table for ``importing_dma_device``; P2P accepted or not."""
    from dmabuf_lab.linux.drivers.dma_buf.dma_buf_mapping.mapping_types_2026_02 import dma_buf_mapping_sgt_type  # the extern the .c defines
    m = dma_buf_mapping_match(type=dma_buf_mapping_sgt_type)
    m.sgt_data.importing_dma_device = importing_dma_device
    m.sgt_data.importer_accepts_p2p = importer_accepts_p2p
    return m


@mirrors("posting:mapping-types-rfc:include/linux/dma-buf-mapping.h:DMA_BUF_EMAPPING_SGT", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def DMA_BUF_EMAPPING_SGT(exp_ops: dma_buf_mapping_sgt_exp_ops) -> dma_buf_mapping_match:
    """Exporter entry: an sg_table that never needs P2P."""
    from dmabuf_lab.linux.drivers.dma_buf.dma_buf_mapping.mapping_types_2026_02 import dma_buf_mapping_sgt_type  # the extern the .c defines
    return dma_buf_mapping_match(type=dma_buf_mapping_sgt_type, exp_ops=exp_ops)


@mirrors("posting:mapping-types-rfc:include/linux/dma-buf-mapping.h:DMA_BUF_EMAPPING_SGT_P2P", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def DMA_BUF_EMAPPING_SGT_P2P(exp_ops: dma_buf_mapping_sgt_exp_ops, p2p_device) -> dma_buf_mapping_match:
    """Exporter entry: an sg_table of P2P addresses of ``p2p_device``'s MMIO."""
    m = DMA_BUF_EMAPPING_SGT(exp_ops)
    m.sgt_data.exporter_requires_p2p = DMA_SGT_EXPORTER_REQUIRES_P2P_DISTANCE
    m.sgt_data.exporting_p2p_device = p2p_device
    return m


class dma_buf_phys_vec(kstruct):
    """struct dma_buf_phys_vec {paddr, len}."""

    fields = (("paddr", 0), ("len", 0))


class dma_buf_phys_list(kstruct):
    """struct dma_buf_phys_list {length, phys[]}: allocated by the exporter (kvzalloc)."""

    fields = (("length", 0), "phys")


@mirrors("posting:mapping-types-rfc:include/linux/dma-buf-mapping.h:DMA_BUF_IMAPPING_PAL", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def DMA_BUF_IMAPPING_PAL() -> dma_buf_mapping_match:
    """Importer entry: a physical address list (iommufd only)."""
    from dmabuf_lab.linux.drivers.dma_buf.dma_buf_mapping.mapping_types_2026_02 import dma_buf_mapping_pal_type  # the extern the .c defines
    return dma_buf_mapping_match(type=dma_buf_mapping_pal_type)


@mirrors("posting:mapping-types-rfc:include/linux/dma-buf-mapping.h:DMA_BUF_EMAPPING_PAL", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def DMA_BUF_EMAPPING_PAL(exp_ops: dma_buf_mapping_pal_exp_ops) -> dma_buf_mapping_match:
    """Exporter entry: a physical address list through ``exp_ops``."""
    from dmabuf_lab.linux.drivers.dma_buf.dma_buf_mapping.mapping_types_2026_02 import dma_buf_mapping_pal_type  # the extern the .c defines
    return dma_buf_mapping_match(type=dma_buf_mapping_pal_type, exp_ops=exp_ops)
