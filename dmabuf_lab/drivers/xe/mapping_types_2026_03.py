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

from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.common import (XE_PL_TT, XE_PL_VRAM0, xe_bo_can_migrate, xe_bo_is_pinned,
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
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_dma_buf.mapping_types_2026_03 import IS_ENABLED_CONFIG_DMABUF_MOVE_NOTIFY, xe_dma_buf_match_mapping, xe_dma_buf_pin, xe_dmabuf_ops  # noqa: F401


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
