"""The mainline sg_table importer pattern, shared by the drivers that use it.

Every mainline importer does the same four things: attach (statically with
``dma_buf_attach()`` or dynamically with ``dma_buf_dynamic_attach()`` and
``dma_buf_attach_ops {allow_peer2peer, move_notify}``), map under the
reservation lock with ``dma_buf_map_attachment()``, unmap, detach.  A
dynamic importer's ``move_notify`` (run with the lock held) drops its
mapping; the next map rebuilds it.  The lab calls what it holds ``sgt-p2p``
when the attachment allows P2P and the exporter's memory is device memory
(``session.shared["p2p_memory"]``), else ``sgt``.

The attach/map entry points come from ``core``, a revision's module that
defines them under their kernel names, so a later revision that keeps this
importer unchanged (offer-list's legacy path, the mapping-type compat
wrappers) reuses the class by naming its own module.
"""
from __future__ import annotations

from types import ModuleType
from typing import Optional

from dmabuf_lab.core.dma_mapping import DMA_BIDIRECTIONAL
from dmabuf_lab.core.ops import dma_buf_attach_ops
from dmabuf_lab.core.workqueue import queue_work
from dmabuf_lab.drivers.common import check_ptr, check_ret, importer_dev
from dmabuf_lab.drivers.dma_access import dma_access, dma_token, mapping_returned
from dmabuf_lab.kmodel import IS_ERR, dma_resv_lock, dma_resv_unlock
from dmabuf_lab.kmodel.fence import DMA_RESV_USAGE_BOOKKEEP, dma_fence, dma_fence_signal, dma_resv_add_fence
from dmabuf_lab.revisions.base import ImporterDriver

#: The revisions whose importers read the ``deferred_unmap`` option.
DEFERRED_UNMAP_REVISIONS = ("mainline-6.19", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6")

#: drivers/dma-buf/dma-buf.c as merged
from dmabuf_lab.linux.drivers.dma_buf.dma_buf import mainline_6_19 as mainline  # noqa: E402


class SgtImporter(ImporterDriver):
    """An importer that wants an sg_table of DMA addresses for its device.

    Options from the scenario's ``[importer]`` table: ``allow_peer2peer``
    (default: true for a dynamic importer), ``attach_via`` =
    ``"dynamic-null-ops"`` makes a static importer call
    ``dma_buf_dynamic_attach(dmabuf, dev, NULL, NULL)`` instead of
    ``dma_buf_attach()`` (some drivers do); ``deferred_unmap`` makes the
    notification only schedule the unmap, which then runs later on a worker
    (as GPU drivers do), see :mod:`dmabuf_lab.core.workqueue`.  A driver may
    set :attr:`invalidate_callback` (False: ops without the callback) and
    :attr:`pin_after_attach` from its own options (the rdma driver does).
    """

    name = "sgt importer"
    default_dynamic = True
    #: The revision's module whose dma_buf_attach(), dma_buf_dynamic_attach(),
    #: dma_buf_detach() and dma_buf_(un)map_attachment() this importer calls.
    core: ModuleType = mainline
    #: The dma_buf_attach_ops member the notification goes in: ``move_notify``
    #: up to 7.0, ``invalidate_mappings`` after the revoke series.
    notify_member = "move_notify"
    #: Whether ``importer_ops`` carries the notification callback.  A driver
    #: whose scenario says otherwise attaches with ops that only set
    #: ``allow_peer2peer`` (an importer that cannot be told to unmap).
    invalidate_callback = True
    #: Whether the importer pins right after a dynamic attach (``dma_buf_pin()``
    #: under the reservation lock) and unpins before it detaches.
    pin_after_attach = False

    def __init__(self, session, devname: Optional[str] = None):
        super().__init__(session)
        spec = session.importer
        self.dynamic = self.default_dynamic if spec.dynamic is None else spec.dynamic
        self.allow_peer2peer = bool(spec.option("allow_peer2peer", self.dynamic))
        self.attach_via = spec.option("attach_via", "dynamic" if self.dynamic else "static")
        self.dev = importer_dev(session, devname or self.name)
        self.dmabuf = None
        self.attachment = None
        self.sgt = None
        self.token = None
        self.invalidated = 0
        self.deferred_unmap = (session.revision.name in DEFERRED_UNMAP_REVISIONS
                               and bool(spec.option("deferred_unmap", False)))
        self.pinned = False

    # -- dma_buf_attach_ops.move_notify / invalidate_mappings ----------------------
    def move_notify(self, attach) -> None:
        """Exporter moved/revoked the buffer (resv held): drop the mapping, now or on a worker."""
        self.s.log(f"{self.name}: {self.notify_member}")
        self.invalidated += 1
        if not self.mapped:
            return
        if self.deferred_unmap:
            queue_work(self._deferred_unmap, f"{self.name}: unmap after {self.notify_member}")
            return
        self.core.dma_buf_unmap_attachment(attach, self.sgt, DMA_BIDIRECTIONAL)
        self.sgt = None
        self.mapped = False

    def _deferred_unmap(self) -> None:
        """The worker half: take the lock and unmap what the notification left."""
        if not self.mapped:
            return
        self.s.log(f"{self.name}: deferred unmap")
        self.unmap()

    def _kind(self) -> str:
        p2p = bool(self.attachment.peer2peer) and bool(self.s.shared.get("p2p_memory"))
        return "sgt-p2p" if p2p else "sgt"

    def attach(self, dmabuf) -> None:
        self.dmabuf = dmabuf
        if self.attach_via == "dynamic-null-ops":
            att = self.core.dma_buf_dynamic_attach(dmabuf, self.dev, None, None)
        elif self.dynamic:
            notify = {self.notify_member: self.move_notify} if self.invalidate_callback else {}
            ops = dma_buf_attach_ops(allow_peer2peer=self.allow_peer2peer,
                                     name=f"{self.name} importer_ops", **notify)
            att = self.core.dma_buf_dynamic_attach(dmabuf, self.dev, ops, self)
        else:
            att = self.core.dma_buf_attach(dmabuf, self.dev)
        self.attachment = check_ptr(att, f"{self.name}: attach")
        self.attached = True
        if self.pin_after_attach and self.dynamic and self.attach_via == "dynamic":
            self._pin()
        self.kind = self._kind()

    def _pin(self) -> None:
        """dma_buf_pin() under the reservation lock; when the exporter refuses,
        detach again and fail the attach with its error."""
        resv = self.dmabuf.resv
        dma_resv_lock(resv)
        try:
            ret = self.core.dma_buf_pin(self.attachment)
        finally:
            dma_resv_unlock(resv)
        if ret:
            self.core.dma_buf_detach(self.dmabuf, self.attachment)
            self.attachment, self.attached = None, False
            check_ret(ret, f"{self.name}: dma_buf_pin")
        self.pinned = True

    def _unpin(self) -> None:
        """dma_buf_unpin() under the reservation lock, before the detach."""
        resv = self.dmabuf.resv
        dma_resv_lock(resv)
        try:
            self.core.dma_buf_unpin(self.attachment)
        finally:
            dma_resv_unlock(resv)
        self.pinned = False

    def map(self) -> None:
        dma_resv_lock(self.dmabuf.resv)
        try:
            sgt = self.core.dma_buf_map_attachment(self.attachment, DMA_BIDIRECTIONAL)
            if not IS_ERR(sgt):
                # the importer's state changes under the lock, as move_notify reads it there
                mapping_returned(self.s, "dma_buf_map_attachment")
                self.token = dma_token(self.s)
                self.sgt, self.mapped = sgt, True
        finally:
            dma_resv_unlock(self.dmabuf.resv)
        self.sgt = check_ptr(sgt, f"{self.name}: map")
        self.mapped = True
        self.kind = self._kind()
        self.on_mapped(self.sgt)

    def on_mapped(self, sgt) -> None:
        """Hook for importers that look at the addresses (page tables, translation)."""

    def use(self) -> None:
        """Submit a DMA job: under the lock, map again if move_notify dropped the
        mapping and add the job's fence; then the DMA runs and the fence signals."""
        resv = self.dmabuf.resv
        dma_resv_lock(resv)
        try:
            if not self.mapped:
                sgt = self.core.dma_buf_map_attachment(self.attachment, DMA_BIDIRECTIONAL)
                if not IS_ERR(sgt):
                    mapping_returned(self.s, "dma_buf_map_attachment")
                    self.token = dma_token(self.s)
                self.sgt = check_ptr(sgt, f"{self.name}: map for DMA")
                self.mapped = True
            fence = dma_fence(f"{self.name} job")
            dma_resv_add_fence(resv, fence, DMA_RESV_USAGE_BOOKKEEP)
            token = self.token
        finally:
            dma_resv_unlock(resv)
        dma_access(self.s, token, self.name)
        dma_fence_signal(fence)

    def unmap(self) -> None:
        if not self.mapped:
            return
        dma_resv_lock(self.dmabuf.resv)
        try:
            if self.mapped:          # move_notify may have dropped it while we waited for the lock
                self.core.dma_buf_unmap_attachment(self.attachment, self.sgt, DMA_BIDIRECTIONAL)
                self.sgt, self.mapped = None, False
        finally:
            dma_resv_unlock(self.dmabuf.resv)
        self.sgt = None
        self.mapped = False

    def detach(self) -> None:
        if not self.attached:
            return
        if self.pinned:
            self._unpin()
        self.core.dma_buf_detach(self.dmabuf, self.attachment)
        self.attachment = None
        self.attached = False
        # A mapping still held went with the attachment: no unmap can name it any more,
        # so it is left to the leak scan, never unmapped through the detached attachment.
        self.sgt, self.mapped = None, False
