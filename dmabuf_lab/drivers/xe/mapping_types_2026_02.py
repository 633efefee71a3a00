"""xe converted to mapping types (RFC 2026-02, the xe patch of 00/26).

Exporter: ``xe_dma_buf_match_mapping`` builds a 2-entry stack array
``sgt_match[2]``: ``SGT_P2P`` of the device when CONFIG_DMABUF_MOVE_NOTIFY
is set, then plain ``SGT`` when the BO can migrate to system memory
(``xe_bo_can_migrate(bo, XE_PL_TT)``).  As posted it passes
``ARRAY_SIZE(sgt_match)`` (2) however many entries it filled, so the
matcher can read an uninitialised entry (bug ``xe-match-len``; the fix
passes ``num_match``).  ``xe_dma_buf_attach`` loses its P2P-distance and
migratability checks (the match does them) and map tests
``dma_buf_sgt_p2p_allowed()`` instead of ``attach->peer2peer``.

Importer: unchanged, so it reaches ``dma_buf_dynamic_attach()`` (an SGT
list accepting P2P).

Exporter options: ``migratable`` (default true), ``dmabuf_move_notify``
(CONFIG_DMABUF_MOVE_NOTIFY, default: the lab's kernel config, off as in
6.19's defconfig).
"""
from __future__ import annotations


from dmabuf_lab.drivers.sgt_importer_mt import MtSgtImporter
from dmabuf_lab.drivers.xe.bo import (XE_PL_TT, xe_bo_can_migrate, xe_bo_release, xe_dma_buf_map_common,
                                      xe_dma_buf_unmap_common)
from dmabuf_lab.drivers.xe.mainline_6_19 import XeExporter
from dmabuf_lab.kmodel import KArray
from dmabuf_lab.revisions.base import fixed
from dmabuf_lab.revisions.mapping_types_2026_02 import (DMA_BUF_EMAPPING_SGT, DMA_BUF_EMAPPING_SGT_P2P,
                                                        dma_buf_export, dma_buf_mapping_match,
                                                        dma_buf_mapping_sgt_exp_ops, dma_buf_match_mapping,
                                                        dma_buf_ops_mt, dma_buf_sgt_p2p_allowed)

from dmabuf_lab.core import dma_buf as _core
from dmabuf_lab.twins import mirrors


@mirrors("posting:mapping-types-rfc:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_attach", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def xe_dma_buf_attach(dmabuf, attach) -> int:
    """The series drops both checks (P2P distance, no way to system memory): the match did them."""
    return 0


@mirrors("posting:mapping-types-rfc:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_map", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def xe_dma_buf_map(attach, direction):
    """sg_table for the importer: VRAM through the BAR when SGT P2P is allowed, else migrate."""
    bo = attach.dmabuf.priv
    return xe_dma_buf_map_common(bo, dma_buf_sgt_p2p_allowed(attach), getattr(bo, "session", None))


@mirrors("posting:mapping-types-rfc:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_unmap", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def xe_dma_buf_unmap(attach, sgt, direction) -> None:
    """Undo ``xe_dma_buf_map``."""
    xe_dma_buf_unmap_common(sgt)


@mirrors("posting:mapping-types-rfc:drivers/gpu/drm/drm_prime.c:drm_gem_dmabuf_release", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def xe_dma_buf_release(dmabuf) -> None:
    """Last reference gone: drop the BO."""
    xe_bo_release(dmabuf.priv)


xe_dma_buf_sgt_ops = dma_buf_mapping_sgt_exp_ops(map_dma_buf=xe_dma_buf_map, unmap_dma_buf=xe_dma_buf_unmap)


@mirrors("posting:mapping-types-rfc:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_match_mapping", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def xe_dma_buf_match_mapping(args) -> int:
    """Offer [SGT_P2P if CONFIG_DMABUF_MOVE_NOTIFY, SGT if migratable] from a 2-entry stack array."""
    bo = args.dmabuf.priv
    sgt_match = KArray(2, dma_buf_mapping_match, uninit=True)      # on the stack, not zeroed
    num_match = 0
    if getattr(bo, "config_move_notify", _core.CONFIG_DMABUF_MOVE_NOTIFY):
        sgt_match[num_match] = DMA_BUF_EMAPPING_SGT_P2P(xe_dma_buf_sgt_ops, bo.pdev)
        num_match += 1
    if xe_bo_can_migrate(bo, XE_PL_TT):
        sgt_match[num_match] = DMA_BUF_EMAPPING_SGT(xe_dma_buf_sgt_ops)
        num_match += 1
    n = num_match if fixed("xe-match-len") else len(sgt_match)
    return dma_buf_match_mapping(args, sgt_match, n)


xe_dmabuf_ops = dma_buf_ops_mt(attach=xe_dma_buf_attach, release=xe_dma_buf_release,
                               match_mapping=xe_dma_buf_match_mapping, name="xe_dmabuf_ops (mapping types)")


class MtXeExporter(XeExporter):
    ops = xe_dmabuf_ops
    export_fn = staticmethod(dma_buf_export)

    def export(self):
        dmabuf = super().export()
        self.bo.config_move_notify = bool(self.s.exporter.option("dmabuf_move_notify",
                                                                 _core.CONFIG_DMABUF_MOVE_NOTIFY))
        return dmabuf


class MtXeImporter(MtSgtImporter):
    name = "xe"
    default_dynamic = True


def make_exporter(session):
    return MtXeExporter(session)


def make_importer(session):
    return MtXeImporter(session)
