"""An importer that gives its mapping back under the buffer's reservation lock.

Its invalidation callback runs with ``dmabuf->resv`` held and drops what the
importer holds; ``unmap`` does the same work after taking the lock itself,
and ``detach`` calls the revision's ``dma_buf_detach()``.  Subclasses name
the revision's module (``core``) and write :meth:`ResvImporter._drop`, which
runs with the lock held.  A mapping-type importer attaches with its match
list through :meth:`ResvImporter._mapping_attach`.
"""
from __future__ import annotations

from types import ModuleType

from dmabuf_lab.drivers.common import check_ptr
from dmabuf_lab.kmodel import dma_resv_lock, dma_resv_unlock
from dmabuf_lab.revisions.base import ImporterDriver


class ResvImporter(ImporterDriver):
    name = "importer"
    #: the revision's module whose dma_buf_detach() (and dma_buf_mapping_attach()) it calls
    core: ModuleType
    #: what the importer holds through its attachment (unmapped only through it); the
    #: rest of what ``_drop`` frees is the importer's own memory
    attachment_handles: tuple = ("sgt", "vram")

    def _drop(self) -> None:
        """Give back what is mapped (resv held)."""
        raise NotImplementedError

    def move_notify(self, attach) -> None:
        """The exporter moved or revoked the buffer (resv held): drop the mapping."""
        self.s.log(f"{self.name}: move_notify")
        if self.mapped:
            self._drop()

    def _mapping_attach(self, dmabuf, imp: list, ops) -> None:
        """``dma_buf_mapping_attach(dmabuf, imp, len(imp), ops, priv)`` and the kind it matched."""
        self.dmabuf = dmabuf
        self.attachment = check_ptr(self.core.dma_buf_mapping_attach(dmabuf, imp, len(imp), ops, self),
                                    f"{self.name}: dma_buf_mapping_attach")
        self.attached = True
        self.kind = self.core.mapping_kind(self.attachment)

    def unmap(self) -> None:
        if not self.mapped:
            return
        dma_resv_lock(self.dmabuf.resv)
        try:
            self._drop()
        finally:
            dma_resv_unlock(self.dmabuf.resv)

    def detach(self) -> None:
        if self.attached:
            self.core.dma_buf_detach(self.dmabuf, self.attachment)
            self.attached = False
            # a mapping still held through the attachment went with it: no unmap can name
            # it any more, so it is left to the leak scan; the importer's own memory stays
            # for its teardown to free
            for handle in self.attachment_handles:
                if getattr(self, handle, None) is not None:
                    setattr(self, handle, None)
