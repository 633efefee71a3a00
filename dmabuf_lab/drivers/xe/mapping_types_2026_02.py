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
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.common import XE_PL_TT, xe_bo_can_migrate, xe_bo_release
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_dma_buf.common import (xe_dma_buf_map_common, xe_dma_buf_unmap_common)
from dmabuf_lab.drivers.xe.mainline_6_19 import XeExporter
from dmabuf_lab.kmodel import KArray
from dmabuf_lab.revisions.base import fixed
from dmabuf_lab.revisions.mapping_types_2026_02 import (DMA_BUF_EMAPPING_SGT, DMA_BUF_EMAPPING_SGT_P2P,
                                                        dma_buf_export, dma_buf_mapping_match,
                                                        dma_buf_mapping_sgt_exp_ops, dma_buf_match_mapping,
                                                        dma_buf_ops_mt, dma_buf_sgt_p2p_allowed)

from dmabuf_lab.linux.drivers.dma_buf.dma_buf import mainline_6_19 as _core
from dmabuf_lab.twins import mirrors
from dmabuf_lab.linux.drivers.gpu.drm.drm_prime.mapping_types_2026_02 import xe_dma_buf_release  # noqa: F401
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_dma_buf.mapping_types_2026_02 import xe_dma_buf_attach, xe_dma_buf_map, xe_dma_buf_unmap, xe_dma_buf_sgt_ops, xe_dma_buf_match_mapping, xe_dmabuf_ops  # noqa: F401


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
