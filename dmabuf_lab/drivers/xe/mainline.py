"""xe under mainline: the VRAM exporter and the dynamic P2P importer.

Exporter: ``xe_dma_buf_attach`` / ``xe_dma_buf_map`` / ``xe_dma_buf_unmap``
(xe_dma_buf.c) over :mod:`dmabuf_lab.drivers.xe.bo`; importer:
``xe_gem_prime_import`` attaches dynamically with ``allow_peer2peer`` and
maps an sg_table (the sg path of the RFCs' xe patches).
"""
from __future__ import annotations

from dmabuf_lab.core.dma_buf import dma_buf_export, dma_buf_move_notify, dma_buf_put
from dmabuf_lab.core.ops import dma_buf_export_info, dma_buf_ops
from dmabuf_lab.drivers.common import check_ptr, spec_device
from dmabuf_lab.drivers.sgt_importer import SgtImporter
from dmabuf_lab.drivers.xe.bo import (XE_PL_TT, XE_PL_VRAM0, p2p_distance, xe_bo_create_vram,
                                      xe_bo_release, xe_dma_buf_attach_checks, xe_dma_buf_map_common,
                                      xe_dma_buf_unmap_common)
from dmabuf_lab.kmodel import dma_resv_lock, dma_resv_unlock
from dmabuf_lab.kmodel.fence import DMA_RESV_USAGE_BOOKKEEP, MAX_SCHEDULE_TIMEOUT, dma_resv_wait_timeout
from dmabuf_lab.kmodel.sched import shared_write
from dmabuf_lab.revisions.base import ExporterDriver
from dmabuf_lab.twins import mirrors


@mirrors("torvalds/linux@4f9786035f9e:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_attach", gap="the stored copy of this file; not the tag the revision names", revisions=("mainline-6.19", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2026-05", "mainline-7.3"))
def xe_dma_buf_attach(dmabuf, attach) -> int:
    """Drop P2P for an importer that cannot reach us; refuse if the BO then has nowhere to go."""
    bo = dmabuf.priv
    if attach.peer2peer and p2p_distance(bo.pdev, attach.dev) < 0:
        attach.peer2peer = False
    return xe_dma_buf_attach_checks(bo, attach, bool(attach.peer2peer))


def _session_of(attach):
    return getattr(attach.dmabuf.priv, "session", None)


@mirrors("torvalds/linux@4f9786035f9e:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_map", gap="the stored copy of this file; not the tag the revision names", revisions=("mainline-6.19", "offer-list", "rfc-v1", "rfc-v2", "mainline-7.3"))
def xe_dma_buf_map(attach, direction):
    """Migrate to system memory for a non-P2P importer, else hand out VRAM via the BAR."""
    bo = attach.dmabuf.priv
    return xe_dma_buf_map_common(bo, bool(attach.peer2peer), _session_of(attach))


@mirrors("torvalds/linux@4f9786035f9e:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_unmap", gap="the stored copy of this file; not the tag the revision names", revisions=("mainline-6.19", "offer-list", "rfc-v1", "rfc-v2", "mainline-7.3"))
def xe_dma_buf_unmap(attach, sgt, direction) -> None:
    """Undo ``xe_dma_buf_map``."""
    xe_dma_buf_unmap_common(sgt)


@mirrors("torvalds/linux@4f9786035f9e:drivers/gpu/drm/drm_prime.c:drm_gem_dmabuf_release", gap="the release op xe_dmabuf_ops names at this commit, reduced to dropping the BO; drm_prime.c itself not re-read", revisions=("mainline-6.19", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2026-05", "mainline-7.3"))
def xe_dma_buf_release(dmabuf) -> None:
    """Last reference gone: drop the BO."""
    xe_bo_release(dmabuf.priv)


xe_dmabuf_ops = dma_buf_ops(attach=xe_dma_buf_attach, map_dma_buf=xe_dma_buf_map,
                            unmap_dma_buf=xe_dma_buf_unmap, release=xe_dma_buf_release,
                            name="xe_dmabuf_ops")


class XeExporter(ExporterDriver):
    """Exports a VRAM BO of ``size`` bytes (option; default: sum of the range lengths).

    Options: ``migratable`` (default true): the BO may move to system memory.
    """

    ops = xe_dmabuf_ops
    export_fn = staticmethod(dma_buf_export)

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
        return self.dmabuf

    def move(self) -> None:
        """Evict the BO to system memory (or back) and tell the importers.

        Under the reservation lock: move_notify, then the move itself, which
        TTM/xe order after every fence already in the BO's dma_resv (the
        migration job depends on them), modelled as a wait for them; only
        then does the old placement stop holding the data."""
        resv = self.dmabuf.resv
        dma_resv_lock(resv)
        dma_buf_move_notify(self.dmabuf)
        dma_resv_wait_timeout(resv, DMA_RESV_USAGE_BOOKKEEP, False, MAX_SCHEDULE_TIMEOUT)
        shared_write(self.bo, "placement")
        self.bo.placement = XE_PL_TT if self.bo.placement == XE_PL_VRAM0 else XE_PL_VRAM0
        self.bo.moves += 1
        dma_resv_unlock(resv)

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
    return XeImporter(session)
