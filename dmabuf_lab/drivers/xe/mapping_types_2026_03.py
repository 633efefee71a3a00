"""The xe driver under the March 2026 mapping-types branch.

The branch's dma-buf core has 609fc8766d68's form ("dma-buf: Always build
with DMABUF_MOVE_NOTIFY": the Kconfig symbol is gone), yet its
``xe_dma_buf_match_mapping()`` still lists ``SGT_P2P`` only under
``IS_ENABLED(CONFIG_DMABUF_MOVE_NOTIFY)``, which is now always 0 (read in
jgunthorpe/linux 169394c2e408, drivers/gpu/drm/xe/xe_dma_buf.c; the exact
2026-03-01 state is not proven).  So, as posted, the branch's xe offers only
``SGT`` and only for a BO that may move to system memory: a P2P importer
gets system pages, and a BO that must stay in VRAM matches nothing
(-EINVAL at attach).  The fix (bug ``xe-sgt-p2p-dead-config``) lists
``SGT_P2P`` unconditionally, as the RFC does with the option set.  The
branch passes its real match count (``xe-match-len`` fixed upstream).

Everything else is the RFC's xe (:mod:`dmabuf_lab.drivers.xe.mapping_types_2026_02`).
"""
from __future__ import annotations

from dmabuf_lab.drivers.xe.bo import XE_PL_TT, xe_bo_can_migrate
from dmabuf_lab.drivers.xe.mainline import XeExporter
from dmabuf_lab.drivers.xe.mapping_types_2026_02 import (MtXeExporter, make_importer,  # noqa: F401
                                                         xe_dma_buf_attach, xe_dma_buf_release,
                                                         xe_dma_buf_sgt_ops)
from dmabuf_lab.kmodel import KArray
from dmabuf_lab.revisions.base import fixed
from dmabuf_lab.revisions.mapping_types_2026_02 import (DMA_BUF_EMAPPING_SGT, DMA_BUF_EMAPPING_SGT_P2P,
                                                        dma_buf_mapping_match, dma_buf_match_mapping,
                                                        dma_buf_ops_mt)
from dmabuf_lab.twins import mirrors

#: IS_ENABLED() of a Kconfig symbol the branch deleted: always 0.
IS_ENABLED_CONFIG_DMABUF_MOVE_NOTIFY = False


@mirrors("jgunthorpe/linux@169394c2e408:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_match_mapping",
         gap="the branch as stored, not proven to be its 2026-03-01 state")
def xe_dma_buf_match_mapping(args) -> int:
    """[SGT_P2P if IS_ENABLED(CONFIG_DMABUF_MOVE_NOTIFY) (never), SGT if the
    BO may move to system memory], ``num_match`` entries passed."""
    bo = args.dmabuf.priv
    sgt_match = KArray(2, dma_buf_mapping_match, uninit=True)      # on the stack, not zeroed
    num_match = 0
    if IS_ENABLED_CONFIG_DMABUF_MOVE_NOTIFY or fixed("xe-sgt-p2p-dead-config"):
        sgt_match[num_match] = DMA_BUF_EMAPPING_SGT_P2P(xe_dma_buf_sgt_ops, bo.pdev)
        num_match += 1
    if xe_bo_can_migrate(bo, XE_PL_TT):
        sgt_match[num_match] = DMA_BUF_EMAPPING_SGT(xe_dma_buf_sgt_ops)
        num_match += 1
    return dma_buf_match_mapping(args, sgt_match, num_match)


xe_dmabuf_ops = dma_buf_ops_mt(attach=xe_dma_buf_attach, release=xe_dma_buf_release,
                               match_mapping=xe_dma_buf_match_mapping,
                               name="xe_dmabuf_ops (mapping-types branch)")


class BranchXeExporter(MtXeExporter):
    """The RFC's exporter with the branch's match list; no Kconfig option to read."""

    ops = xe_dmabuf_ops

    def export(self):
        return XeExporter.export(self)      # the RFC's export without its Kconfig option


def make_exporter(session):
    return BranchXeExporter(session)
