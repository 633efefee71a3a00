"""The xe importer as scenarios drive it: ``xe_gem_prime_import()`` per release.

The attach step is xe's import: the release's
:func:`xe_gem_prime_import` (:mod:`dmabuf_lab.linux.drivers.gpu.drm.xe.xe_dma_buf`)
allocates and initialises the BO and attaches in that release's order, with
``xe_dma_buf_move_notify()`` as the callback.  Once the import returned, an
eviction of the BO drops the importer's mapping as the sg_table importer
does (TTM's move of a dma-buf backed BO unmaps the attachment).  The detach
step is the BO's last reference going: detach the attachment, put the BO.

Option ``bo_init_oom`` (int, default 0) arms kmodel's call-chain fault
filter so that the first N allocations under ``xe_bo_init_locked()`` fail:
1 is one OOM that the validation guard retries, 2 an init that fails for good.
Option ``dummy_obj_oom`` (bool) arms the same filter on
``drm_gpuvm_resv_object_alloc()``: the dummy GEM object the import locks
the buffer through cannot be allocated.
"""
from __future__ import annotations

from types import ModuleType

from dmabuf_lab.drivers.common import check_ptr
from dmabuf_lab.drivers.sgt_importer import SgtImporter
from dmabuf_lab.drivers.sgt_importer_7_3 import SgtImporter73
from dmabuf_lab.kmodel import IS_ERR, current_kernel
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.mainline_6_19 import xe_bo_put
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_dma_buf import mainline_6_19 as xe_dma_buf_6_19
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_dma_buf import mainline_7_1 as xe_dma_buf_7_1
from dmabuf_lab.revisions.base import CannotExpress


class XePrimeImporter:
    """Mixin over an sg_table importer class: attach and detach through xe's BO."""

    name = "xe"
    default_dynamic = True
    #: The release's twin module of drivers/gpu/drm/xe/xe_dma_buf.c.
    xe_dma_buf: ModuleType = xe_dma_buf_6_19
    bo = None

    def attach(self, dmabuf) -> None:
        if not self.dynamic or self.attach_via != "dynamic":
            return super().attach(dmabuf)          # the lab's other attach forms
        self.dmabuf = dmabuf
        oom = int(self.s.importer.option("bo_init_oom", 0))
        if oom:
            current_kernel().fault.fail_in("xe_bo_init_locked", times=oom)
        if self.s.importer.option("dummy_obj_oom", False):
            current_kernel().fault.fail_in("drm_gpuvm_resv_object_alloc", times=1)
        obj = self.xe_dma_buf.xe_gem_prime_import(self.dev, dmabuf)
        if obj is dmabuf.priv:
            raise CannotExpress("xe_gem_prime_import(): the buffer is this device's own BO, so xe uses the "
                                "GEM object itself and no dma-buf attachment exists to map")
        if not IS_ERR(obj):
            self.bo = obj
            self.attachment = obj.import_attach
            obj.evict_hook = self._evicted
        check_ptr(obj, f"{self.name}: xe_gem_prime_import")
        self.attached = True
        self.kind = self._kind()

    def _evicted(self) -> None:
        """TTM moved the BO: the dma-buf mapping behind it goes (as the sg importer's notification)."""
        if self.attachment is not None:
            SgtImporter.move_notify(self, self.attachment)

    def detach(self) -> None:
        if self.bo is None:
            return super().detach()
        if not self.attached:
            return
        self.core.dma_buf_detach(self.dmabuf, self.attachment)
        bo, self.bo = self.bo, None
        bo.evict_hook = None
        xe_bo_put(bo)
        self.attachment = None
        self.attached = False
        self.sgt, self.mapped = None, False


class XeImporter619(XePrimeImporter, SgtImporter):
    """xe importing under 6.19: storage, attach, then init."""

    xe_dma_buf = xe_dma_buf_6_19


class XeImporter71(XePrimeImporter, SgtImporter73):
    """xe importing under 7.1 and later: create the BO, then attach."""

    xe_dma_buf = xe_dma_buf_7_1
