"""xe_dma_buf.c's importer in 7.1: a working BO first, the attach after.

A patch over :mod:`.mainline_6_19` by four commits of the 7.1 cycle:

* 93a528f67ce5 "drm/xe: Fix bo leak in xe_dma_buf_init_obj() on allocation
  failure" and 111ab678471b "drm/xe: Fix dma-buf attachment leak in
  xe_gem_prime_import()" (Shuicheng Lin) free the storage when the dummy
  object is missing and detach when init fails; both are then superseded by
* 981bedbbe613 "drm/xe/dma-buf: handle empty bo and UAF races" (Matthew
  Auld): the BO is initialised before the attach, so no notification can
  reach raw or freed storage, and a failed attach drops the BO;
* 155a372a1cc5 "drm/xe/dma-buf: fix UAF with retry loop" (Matthew Auld):
  ``xe_dma_buf_create_obj()`` lets ``xe_bo_init_locked()`` allocate inside
  the retry loop, so a restart never reuses freed storage.

The tree read is gregkh/linux 827062952ed9, a stable tree carrying both of
Matthew Auld's fixes; it names the callback ``move_notify``, 7.1
``invalidate_mappings`` (ef246da8e63c).
"""
from __future__ import annotations

from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_7_1 import dma_buf_dynamic_attach
from dmabuf_lab.core.ops import dma_buf_attach_ops
from dmabuf_lab.kmodel import (ENOMEM, ERR_CAST, ERR_PTR, IS_ERR, PTR_ERR, dma_resv_lock,
                               dma_resv_unlock, kfree)
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.mainline_6_19 import xe_bo_init_locked, xe_bo_put
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_dma_buf.mainline_6_19 import (  # noqa: F401  (unchanged)
    drm_gpuvm_resv_object_alloc, xe_dma_buf_move_notify)
from dmabuf_lab.twins import mirrors

TREE = "gregkh/linux@827062952ed9:drivers/gpu/drm/xe/xe_dma_buf.c"
GAP = ("a stable tree carrying 981bedbbe613 and 155a372a1cc5 (a backport: it still says move_notify); "
       "7.1 names the callback invalidate_mappings (ef246da8e63c)")
REVS = ("mainline-7.1", "mainline-7.2", "mainline-7.3-rc6")


def xe_dma_buf_attach_ops(notify=xe_dma_buf_move_notify) -> dma_buf_attach_ops:
    """The importer's attach ops: P2P allowed, the notification in ``invalidate_mappings`` (ef246da8e63c)."""
    return dma_buf_attach_ops(allow_peer2peer=True, invalidate_mappings=notify,
                              name="xe_dma_buf_attach_ops")


@mirrors(f"{TREE}:xe_dma_buf_create_obj", gap=GAP, revisions=REVS)
def xe_dma_buf_create_obj(dev, dma_buf):
    """Create and initialise the imported BO under the dma-buf's lock (155a372a1cc5).

    Dummy object missing: -ENOMEM, nothing else allocated yet.  In the
    validation guard ``xe_bo_init_locked(NULL)`` allocates the BO itself,
    so the one restart on -ENOMEM starts from fresh storage.
    """
    resv = dma_buf.resv
    dummy_obj = drm_gpuvm_resv_object_alloc(dev)
    if dummy_obj is None:
        return ERR_PTR(-ENOMEM)
    dummy_obj.resv = resv
    retried = False
    ret, bo = 0, None
    while True:
        dma_resv_lock(resv)
        bo = xe_bo_init_locked(dev, None, resv, dma_buf.size)
        dma_resv_unlock(resv)
        if IS_ERR(bo):
            ret = PTR_ERR(bo)
            if ret == -ENOMEM and not retried:
                retried, ret = True, 0
                continue
        break
    kfree(dummy_obj)                     # drm_gem_object_put(): its only reference
    return ERR_PTR(ret) if ret else bo


@mirrors(f"{TREE}:xe_gem_prime_import", gap=GAP, revisions=REVS)
def xe_gem_prime_import(dev, dma_buf, attach_ops=None):
    """Import ``dma_buf``: create the BO (981bedbbe613, 155a372a1cc5), then attach.

    Create failure: its error, nothing attached.  Attach failure: the BO
    put and the attach's error.
    """
    # dma_buf->ops == &xe_dmabuf_ops and obj->dev == dev: our own BO, referenced again
    if getattr(dma_buf.ops, "name", "") == "xe_dmabuf_ops" and getattr(dma_buf.priv, "pdev", None) is dev:
        return dma_buf.priv
    obj = xe_dma_buf_create_obj(dev, dma_buf)
    if IS_ERR(obj):
        return obj
    attach = dma_buf_dynamic_attach(dma_buf, dev, attach_ops or xe_dma_buf_attach_ops(), obj)
    if IS_ERR(attach):
        xe_bo_put(obj)
        return ERR_CAST(attach)
    obj.import_attach = attach
    return obj
