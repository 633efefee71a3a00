"""xe_dma_buf.c's importer in 6.19: attach first, initialise the BO after.

``xe_gem_prime_import()`` allocates raw BO storage, attaches dynamically
with that storage as ``importer_priv`` (from then on the exporter's
``move_notify`` can reach it), and only then runs ``xe_dma_buf_init_obj()``.
That function allocates a dummy GEM object to lock the dma-buf's
reservation object through drm_exec and, inside a validation guard,
initialises the BO in the storage; on -ENOMEM the guard restarts once
(``xe_validation_retry_on_oom``) with the same storage, which the failed
``xe_bo_init_locked()`` has already freed.  On failure the importer returns
the error with the attachment still on the buffer's list, and when the
dummy object cannot be allocated the storage is not freed at all.

The tree read is analogdevicesinc/linux 93a528f67ce5, a mainline commit of
the 7.1 cycle whose importer still has the 6.19 order; 6.19 differs from it
by that commit's own change (the storage freed when the dummy allocation
fails) and by the callback's name (``move_notify``).
"""
from __future__ import annotations

from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_6_19 import dma_buf_dynamic_attach
from dmabuf_lab.core.ops import dma_buf_attach_ops
from dmabuf_lab.kmodel import (ENOMEM, ERR_CAST, ERR_PTR, IS_ERR, PTR_ERR, WARN_ON, dma_resv_lock,
                               dma_resv_unlock, kfree, kstruct, kzalloc)
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.mainline_6_19 import (xe_bo_alloc, xe_bo_evict, xe_bo_free,
                                                                     xe_bo_init_locked)
from dmabuf_lab.twins import mirrors
from dmabuf_lab.core.ops import dma_buf_ops
from dmabuf_lab.kmodel import EINVAL
from dmabuf_lab.linux.drivers.gpu.drm.drm_prime.mainline_6_19 import xe_dma_buf_release
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.common import (XE_DMA_BUF_C, XE_GAP, XE_PL_TT, p2p_distance, xe_bo_migrate, xe_bo_pin_external,
    xe_bo_unpin_external)
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo_h.common import xe_bo_is_pinned
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_dma_buf.common import xe_dma_buf_attach_checks, xe_dma_buf_map_common, xe_dma_buf_unmap_common
from dmabuf_lab.twins import mirrors
from dmabuf_lab.linux.drivers.gpu.drm.drm_gpuvm.mainline_6_19 import drm_gpuvm_resv_object_alloc, drm_gem_object  # noqa: F401

TREE = "analogdevicesinc/linux@93a528f67ce5:drivers/gpu/drm/xe/xe_dma_buf.c"
GAP = ("the tree of mainline commit 93a528f67ce5 (7.1 cycle), whose importer keeps the 6.19 order; "
       "6.19 names the callback move_notify")
INIT_GAP = GAP + "; 6.19 lacks that commit's xe_bo_free(storage) when the dummy object cannot be allocated"


@mirrors(f"{TREE}:xe_dma_buf_init_obj", gap=INIT_GAP, revisions=("mainline-6.19",))
def xe_dma_buf_init_obj(dev, storage, dma_buf):
    """Initialise ``storage`` as the imported BO under the dma-buf's lock.

    Dummy object missing: -ENOMEM, the storage left allocated.  In the
    validation guard: lock, ``xe_bo_init_locked(storage)``; an -ENOMEM
    restarts the guard once with the same ``storage`` (freed by the failed
    init), another error or a second -ENOMEM ends it.
    """
    resv = dma_buf.resv
    dummy_obj = drm_gpuvm_resv_object_alloc(dev)
    if dummy_obj is None:
        return ERR_PTR(-ENOMEM)
    dummy_obj.resv = resv
    retried = False                      # xe_validation_ctx: restart once on OOM
    ret, bo = 0, None
    while True:
        dma_resv_lock(resv)              # drm_exec_lock_obj(&exec, dummy_obj)
        bo = xe_bo_init_locked(dev, storage, resv, dma_buf.size)
        dma_resv_unlock(resv)            # drm_exec_fini / restart drops every lock
        if IS_ERR(bo):
            ret = PTR_ERR(bo)
            if ret == -ENOMEM and not retried:   # xe_validation_retry_on_oom()
                retried, ret = True, 0
                continue
        break
    kfree(dummy_obj)                     # drm_gem_object_put(): its only reference
    return ERR_PTR(ret) if ret else bo


@mirrors(f"{TREE}:xe_dma_buf_move_notify", gap=GAP, revisions=("mainline-6.19", "mainline-7.1",
                                                                "mainline-7.2", "mainline-7.3-rc6"))
def xe_dma_buf_move_notify(attach) -> None:
    """The exporter moves the buffer: evict the BO named by ``importer_priv``."""
    bo = attach.importer_priv
    WARN_ON(xe_bo_evict(bo) != 0, "xe_dma_buf_move_notify: xe_bo_evict failed")


def xe_dma_buf_attach_ops(notify=xe_dma_buf_move_notify) -> dma_buf_attach_ops:
    """The importer's attach ops: P2P allowed, the notification in ``move_notify``."""
    return dma_buf_attach_ops(allow_peer2peer=True, move_notify=notify, name="xe_dma_buf_attach_ops")


@mirrors(f"{TREE}:xe_gem_prime_import", gap=GAP, revisions=("mainline-6.19",))
def xe_gem_prime_import(dev, dma_buf, attach_ops=None):
    """Import ``dma_buf`` as a BO of ``dev``: storage, attach, then init.

    Storage failure: its ERR_PTR.  Attach failure: the storage freed and
    the attach's error.  Init failure: its error, the attachment left on
    the list (it names the freed storage).  ``attach_ops`` defaults to
    xe's; the lab passes its own wrapper of them.
    """
    # dma_buf->ops == &xe_dmabuf_ops and obj->dev == dev: our own BO, referenced again
    if getattr(dma_buf.ops, "name", "") == "xe_dmabuf_ops" and getattr(dma_buf.priv, "pdev", None) is dev:
        return dma_buf.priv
    bo = xe_bo_alloc()
    if IS_ERR(bo):
        return ERR_CAST(bo)
    attach = dma_buf_dynamic_attach(dma_buf, dev, attach_ops or xe_dma_buf_attach_ops(), bo)
    if IS_ERR(attach):
        xe_bo_free(bo)
        return ERR_CAST(attach)
    obj = xe_dma_buf_init_obj(dev, bo, dma_buf)
    if IS_ERR(obj):
        return obj
    # get_dma_buf(): the BO's reference on the buffer is the lab importer's own
    obj.import_attach = attach
    return obj


# the exporter side, as the lab's xe adapters run it

@mirrors(f"{XE_DMA_BUF_C}:xe_dma_buf_attach", gap=XE_GAP, revisions=("mainline-6.19", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def xe_dma_buf_attach(dmabuf, attach) -> int:
    """Drop P2P for an importer that cannot reach us; refuse if the BO then has nowhere to go."""
    bo = dmabuf.priv
    if attach.peer2peer and p2p_distance(bo.pdev, attach.dev) < 0:
        attach.peer2peer = False
    return xe_dma_buf_attach_checks(bo, attach, bool(attach.peer2peer))


def _session_of(attach):
    return getattr(attach.dmabuf.priv, "session", None)


@mirrors(f"{XE_DMA_BUF_C}:xe_dma_buf_pin", gap=XE_GAP, revisions=("mainline-6.19", "offer-list", "rfc-v1", "rfc-v2", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def xe_dma_buf_pin(attach) -> int:
    """Pin for an importer that cannot follow moves: only in system memory.

    A BO already pinned somewhere other than TT: -EINVAL.  Otherwise migrate
    to TT (-EINVAL when the BO's placements exclude TT, -EBUSY when pinned
    elsewhere) and pin it there.
    """
    bo = attach.dmabuf.priv
    if xe_bo_is_pinned(bo) and bo.placement != XE_PL_TT:
        return -EINVAL
    ret = xe_bo_migrate(bo, XE_PL_TT)
    if ret:
        return ret
    xe_bo_pin_external(bo)
    return 0


@mirrors(f"{XE_DMA_BUF_C}:xe_dma_buf_unpin", gap=XE_GAP, revisions=("mainline-6.19", "rfc-v1", "rfc-v2", "mapping-types-2026-03", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def xe_dma_buf_unpin(attach) -> None:
    """Drop the pin ``xe_dma_buf_pin`` took."""
    xe_bo_unpin_external(attach.dmabuf.priv)


@mirrors(f"{XE_DMA_BUF_C}:xe_dma_buf_map", gap=XE_GAP, revisions=("mainline-6.19", "offer-list", "rfc-v1", "rfc-v2", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def xe_dma_buf_map(attach, direction):
    """Migrate to system memory for a non-P2P importer, else hand out VRAM via the BAR."""
    bo = attach.dmabuf.priv
    return xe_dma_buf_map_common(bo, bool(attach.peer2peer), _session_of(attach))


@mirrors("torvalds/linux@4f9786035f9e:drivers/gpu/drm/xe/xe_dma_buf.c:xe_dma_buf_unmap", gap="the stored copy of this file; not the tag the revision names", revisions=("mainline-6.19", "offer-list", "rfc-v1", "rfc-v2", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def xe_dma_buf_unmap(attach, sgt, direction) -> None:
    """Undo ``xe_dma_buf_map``."""
    xe_dma_buf_unmap_common(sgt)


xe_dmabuf_ops = dma_buf_ops(attach=xe_dma_buf_attach, pin=xe_dma_buf_pin, unpin=xe_dma_buf_unpin,
                            map_dma_buf=xe_dma_buf_map, unmap_dma_buf=xe_dma_buf_unmap,
                            release=xe_dma_buf_release, name="xe_dmabuf_ops")
