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

The branch's ``xe_dmabuf_ops`` keep ``pin``/``unpin``, and its core pins a
static importer at map time (609fc8766d68's ``dma_buf_pin_on_map()``: no
Kconfig term, so a dynamic importer is never pinned there).  Its
``xe_dma_buf_pin()`` keeps the BO in VRAM only when every attachment of
the buffer was matched as SGT P2P; otherwise it migrates the BO to system
memory first (-EINVAL for a BO pinned elsewhere, the migration's error for
one that cannot leave VRAM) and then pins it.

Everything else is the RFC's xe (:mod:`dmabuf_lab.drivers.xe.mapping_types_2026_02`).
"""
from __future__ import annotations

from dmabuf_lab.drivers.xe.bo import (XE_PL_TT, XE_PL_VRAM0, xe_bo_can_migrate, xe_bo_is_pinned,
                                      xe_bo_migrate, xe_bo_pin_external)
from dmabuf_lab.drivers.xe.mainline_6_19 import xe_dma_buf_unpin
from dmabuf_lab.drivers.xe.mainline_6_19 import XeExporter
from dmabuf_lab.drivers.xe.mapping_types_2026_02 import (MtXeExporter, make_importer,  # noqa: F401
                                                         xe_dma_buf_attach, xe_dma_buf_release,
                                                         xe_dma_buf_sgt_ops)
from dmabuf_lab.kmodel import EINVAL, KArray
from dmabuf_lab.revisions.base import fixed
from dmabuf_lab.revisions.mapping_types_2026_02 import (DMA_BUF_EMAPPING_SGT, DMA_BUF_EMAPPING_SGT_P2P,
                                                        dma_buf_mapping_match, dma_buf_match_mapping,
                                                        dma_buf_ops_mt, dma_buf_sgt_p2p_allowed)
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


@mirrors("jgunthorpe/linux@169394c2e408:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_pin",
         gap="the branch as stored, not proven to be its 2026-03-01 state")
def xe_dma_buf_pin(attach) -> int:
    """Pin (resv held): in VRAM only when every attachment is SGT P2P, else in system memory.

    A BO already pinned somewhere that is neither TT nor (P2P for all) VRAM:
    -EINVAL.  Without VRAM, migrate to TT first and return its error.
    """
    dmabuf = attach.dmabuf
    bo = dmabuf.priv
    allow_vram = dma_buf_sgt_p2p_allowed(attach)
    if allow_vram:
        for other in dmabuf.attachments:
            if not dma_buf_sgt_p2p_allowed(other):
                allow_vram = False
                break
    if xe_bo_is_pinned(bo) and bo.placement != XE_PL_TT and not (bo.placement == XE_PL_VRAM0 and allow_vram):
        return -EINVAL
    if not allow_vram:
        ret = xe_bo_migrate(bo, XE_PL_TT)
        if ret:
            return ret
    xe_bo_pin_external(bo)
    return 0


xe_dmabuf_ops = dma_buf_ops_mt(attach=xe_dma_buf_attach, release=xe_dma_buf_release,
                               pin=xe_dma_buf_pin, unpin=xe_dma_buf_unpin,
                               match_mapping=xe_dma_buf_match_mapping,
                               name="xe_dmabuf_ops (mapping-types branch)")


class BranchXeExporter(MtXeExporter):
    """The RFC's exporter with the branch's match list and pin; no Kconfig option to read."""

    ops = xe_dmabuf_ops
    kconfig_move_notify = False

    def export(self):
        # the branch's core behaves as if CONFIG_DMABUF_MOVE_NOTIFY were always set
        self.s.shared["config_dmabuf_move_notify"] = True
        return XeExporter.export(self)      # the RFC's export without its Kconfig option


def make_exporter(session):
    return BranchXeExporter(session)
