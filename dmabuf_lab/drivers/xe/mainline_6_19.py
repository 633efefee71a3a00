"""xe under mainline 6.19: the VRAM exporter and the dynamic P2P importer.

Exporter: ``xe_dma_buf_attach`` / ``xe_dma_buf_pin`` / ``xe_dma_buf_unpin``
/ ``xe_dma_buf_map`` / ``xe_dma_buf_unmap`` (xe_dma_buf.c) over
:mod:`dmabuf_lab.drivers.xe.bo`; importer: ``xe_gem_prime_import``
in 6.19's order (raw BO storage attached, then initialised; the twin is
:mod:`dmabuf_lab.linux.drivers.gpu.drm.xe.xe_dma_buf.mainline_6_19`, the
adapter :class:`dmabuf_lab.drivers.xe.prime_import.XeImporter619`), then an
sg_table map (the sg path of the RFCs' xe patches).

xe has ``pin``, so the 6.19 core pins at map time every importer that
cannot take move_notify and, with CONFIG_DMABUF_MOVE_NOTIFY off (the
Kconfig default and the lab's, unless the exporter option
``dmabuf_move_notify`` says otherwise), every dynamic importer too.
``xe_dma_buf_pin`` first migrates the BO to system memory (TT): a BO whose
placements exclude TT fails with -EINVAL, any other is mapped as system
pages, never as P2P VRAM.

A move (eviction) runs :func:`xe_bo_move_body`: refused for a pinned BO,
otherwise the notification under the reservation lock, then the copy,
which TTM orders after every fence already in the BO's dma_resv (modelled
as a wait for them), and only then does the old placement stop holding the
data.  7.x (:mod:`dmabuf_lab.drivers.xe.mainline_7_1`) runs the same body
with the renamed notification (95308225e5ba).
"""
from __future__ import annotations

from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_6_19 import (CONFIG_DMABUF_MOVE_NOTIFY, dma_buf_export, dma_buf_move_notify,
                                     dma_buf_put)
from dmabuf_lab.core.ops import dma_buf_export_info, dma_buf_ops
from dmabuf_lab.drivers.common import check_ptr, spec_device
from dmabuf_lab.drivers.sgt_importer import SgtImporter
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.common import (XE_BO_C, XE_DMA_BUF_C, XE_GAP, XE_PL_TT, XE_PL_VRAM0, p2p_distance, xe_bo_create_vram,
    xe_bo_is_pinned, xe_bo_migrate, xe_bo_pin_external, xe_bo_release, xe_bo_unpin_external)
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_dma_buf.common import (xe_dma_buf_attach_checks, xe_dma_buf_map_common, xe_dma_buf_unmap_common)
from dmabuf_lab.kmodel import EINVAL, dma_resv_lock, dma_resv_unlock, is_freed
from dmabuf_lab.kmodel.fence import DMA_RESV_USAGE_BOOKKEEP, MAX_SCHEDULE_TIMEOUT, dma_resv_wait_timeout
from dmabuf_lab.kmodel.sched import shared_write
from dmabuf_lab.revisions.base import ExporterDriver
from dmabuf_lab.twins import mirrors
from dmabuf_lab.linux.drivers.gpu.drm.drm_prime.mainline_6_19 import xe_dma_buf_release  # noqa: F401
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.mainline_6_19 import xe_bo_move_body  # noqa: F401
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_dma_buf.mainline_6_19 import xe_dma_buf_attach, _session_of, xe_dma_buf_pin, xe_dma_buf_unpin, xe_dma_buf_map, xe_dma_buf_unmap, xe_dmabuf_ops  # noqa: F401


class _ExportedBo:
    """The BO and its dma-buf as xe_bo_move_body() reads them, once the owner's fd is closed."""

    def __init__(self, bo, dmabuf):
        self.bo, self.dmabuf = bo, dmabuf


class XeExporter(ExporterDriver):
    """Exports a VRAM BO of ``size`` bytes (option; default: sum of the range lengths).

    Options: ``migratable`` (default true): the BO may move to system memory;
    ``dmabuf_move_notify``: CONFIG_DMABUF_MOVE_NOTIFY of the run (default:
    the Kconfig default, off), which decides whether the core pins a
    dynamic importer at map time.
    """

    ops = xe_dmabuf_ops
    export_fn = staticmethod(dma_buf_export)
    #: The core's notification a move calls.
    notify = staticmethod(dma_buf_move_notify)
    #: Whether the kernel under this exporter still has CONFIG_DMABUF_MOVE_NOTIFY
    #: (read only when the ops carry a pin for the core to call).
    kconfig_move_notify = True

    def __init__(self, session):
        super().__init__(session)
        self.pdev = spec_device(session, "exporter")
        self.dmabuf = None
        self.bo = None

    def size(self) -> int:
        s = self.s.exporter
        return int(s.option("size", sum(ln for _, ln in s.ranges) or 2 << 20))

    def export(self):
        self.bo = xe_bo_create_vram(self.pdev, self.size(),
                                    migratable=bool(self.s.exporter.option("migratable", True)))
        if self.kconfig_move_notify and self.ops.pin is not None:
            self.s.shared["config_dmabuf_move_notify"] = bool(
                self.s.exporter.option("dmabuf_move_notify", CONFIG_DMABUF_MOVE_NOTIFY))
        self.bo.session = self.s
        self.bo.moves = 0
        self.s.shared["p2p_memory"] = True
        bo = self.bo
        self.s.shared["dma_target"] = bo
        self.s.shared["dma_token"] = lambda: bo.moves
        self.s.shared["dma_gone"] = lambda token: (None if token == bo.moves else
                                                   "xe moved the BO (its old placement was freed)")
        info = dma_buf_export_info(ops=self.ops, priv=self.bo, size=self.bo.size, exp_name="xe")
        self.dmabuf = check_ptr(self.export_fn(info), "xe: dma_buf_export")
        self.exported = self.dmabuf
        return self.dmabuf

    def move(self) -> None:
        """Evict the BO to system memory (or back) and tell the importers
        (see :func:`xe_bo_move_body`; a pinned BO stays where it is).

        After the owner closed its fd (``close``) the BO still lives, with
        ``ttm_bo->base.dma_buf`` set, while an importer holds the dma-buf; once
        the last reference is gone the BO went with it (the lab ties the two)
        and there is nothing left to evict."""
        if self.dmabuf is not None:
            xe_bo_move_body(self, self.notify)
            return
        dmabuf = getattr(self, "exported", None)
        if dmabuf is None or is_freed(dmabuf):
            self.s.log("xe: the BO went with its dma-buf: nothing to move")
            return
        xe_bo_move_body(_ExportedBo(self.bo, dmabuf), self.notify)

    def release(self) -> None:
        if self.dmabuf is not None:
            dma_buf_put(self.dmabuf)
            self.dmabuf = None
        elif self.bo is not None:
            xe_bo_release(self.bo)


class XeImporter(SgtImporter):
    """The xe PF importing through the sg_table path (dynamic, allow_peer2peer)."""

    name = "xe"
    default_dynamic = True


def make_exporter(session):
    return XeExporter(session)


def make_importer(session):
    from dmabuf_lab.drivers.xe.prime_import import XeImporter619
    return XeImporter619(session)
