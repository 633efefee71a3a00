"""vfio-pci as Jason Gunthorpe's March 2026 branch has it (jgunthorpe/linux 29ddc7d35bb9).

The branch's ``drivers/vfio/pci/vfio_pci_dmabuf.c`` is the mapping-type RFC's
vfio (:mod:`dmabuf_lab.drivers.vfio_pci.mapping_types_2026_02`) rebased onto
Leon Romanovsky's revoke series, so it already carries the wait of
1a8a5227f229:

* every buffer has a ``kref`` (1 while registered, +1 per SGT mapping *and*
  per PAL list handed out) and a ``completion`` its last put completes;
* revoke and restore alike, under the reservation lock, invalidate the
  importers and wait for every BOOKKEEP fence (revoke sets ``revoked``
  first); then revoke puts the registered reference and sleeps in
  ``wait_for_completion()``, while restore re-initialises the kref and the
  completion and clears ``revoked``; nothing re-arms them after a revoke;
* attach refuses an importer that cannot be revoked
  (``dma_buf_attach_revocable()``, -EOPNOTSUPP);
* cleanup (device close) does, for every buffer, the same invalidate, fence
  wait, ``kref_put()`` and ``wait_for_completion()``, whether or not a revoke
  already drained it.

What follows from the code as it is, found by the kernel-runtime model's
general checks (refcount_t saturation, a wait nothing can end):

``cleanup-after-revoke``
    closing the device after a revoke puts a kref that is already 0
    (refcount_t underflow WARN, the count saturates) and then waits for a
    completion the revoke consumed: the close never returns.  Mainline
    fixed the same shape with c64a647c84f3 (re-arm after the wait; cleanup
    goes through move(), which skips a revoked buffer); the fixed variant
    is that shape.
``pal-revoked``
    the PAL ``map_phys`` has no ``revoked`` test, so after a revoke it hands
    out the ranges and takes ``kref_get()`` on a count of 0 (refcount_t
    "addition on 0" WARN); fixed: -ENODEV.
``vfio-match-lock``
    ``match_mapping`` asserts the reservation lock attach does not hold;
    fixed: Jason Gunthorpe's diff of 2026-04-13 (own ``pci_dev`` reference).
``fd-error-put``
    a failing ``dma_buf_fd()`` jumps to ``err_dma_buf`` and falls through
    the unwind labels (the 6.19 double free; e98137f0a874 is not in the
    branch); fixed: put and return.

Names follow the lab's RFC core (``move_notify`` for the branch's
``invalidate_mappings``); ``dma_buf_attach_revocable()`` is therefore "the
importer has the notification".  The close path is 6.19's
(:mod:`~dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_core.common`; d97708701434 came later
[inference from its date]).
"""
from __future__ import annotations

from dmabuf_lab.core.file import fput, get_file_active
from dmabuf_lab.linux.drivers.dma_buf.dma_buf_mapping.common import dma_buf_free_sgt, dma_buf_phys_vec_to_sgt
from dmabuf_lab.core.workqueue import flush_scheduled_work
from dmabuf_lab.drivers.vfio_pci.mapping_types_2026_02 import (MappingTypesVfioExporter, vfio_pci_dma_buf_mt,
                                                               vfio_pci_dma_buf_release_mt)
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_6_19 import _list_del, vfio_device_put_registration
from dmabuf_lab.kmodel import (ENODEV, ENOMEM, EOPNOTSUPP, ERR_PTR, IS_ERR, KArray, allocation_of,
                               dma_resv_assert_held, dma_resv_lock, dma_resv_unlock, kvfree, kvzalloc, report)
from dmabuf_lab.kmodel.completion import (completion, complete, init_completion, kref, kref_get, kref_init,
                                          kref_put, reinit_completion)
from dmabuf_lab.kmodel.completion import wait_for_completion as _wait_for_completion
from dmabuf_lab.kmodel.fence import DMA_RESV_USAGE_BOOKKEEP, MAX_SCHEDULE_TIMEOUT, dma_resv_wait_timeout
from dmabuf_lab.kmodel.rwsem import down_write, up_write
from dmabuf_lab.kmodel.sched import shared_read
from dmabuf_lab.revisions.base import deref, fixed
from dmabuf_lab.revisions.mapping_types_2026_02 import (DMA_BUF_EMAPPING_PAL, DMA_BUF_EMAPPING_SGT_P2P,
                                                        dma_buf_mapping_pal_exp_ops,
                                                        dma_buf_mapping_sgt_exp_ops, dma_buf_match_mapping,
                                                        dma_buf_move_notify, dma_buf_ops_mt, dma_buf_phys_list,
                                                        dma_buf_phys_vec, match_list)
from dmabuf_lab.twins import mirrors

_PIN = "jgunthorpe/linux@29ddc7d35bb9:drivers/vfio/pci/vfio_pci_dmabuf.c"


class vfio_pci_dma_buf_branch(vfio_pci_dma_buf_mt):
    """The RFC's private object plus the revoke series' kref and completion."""

    fields = ("kref", "comp")


@mirrors("jgunthorpe/linux@169394c2e408:drivers/dma-buf/dma-buf.c:dma_buf_attach_revocable")
def dma_buf_attach_revocable(attach) -> bool:
    """be6d4c9e9d71's test as the branch's core has it: the importer has the
    notification (``invalidate_mappings``, the lab's RFC core calls it ``move_notify``)."""
    ops = attach.importer_ops
    return ops is not None and ops.move_notify is not None


@mirrors(f"{_PIN}:vfio_pci_dma_buf_attach")
def vfio_pci_dma_buf_attach(dmabuf, attachment) -> int:
    """-ENODEV once revoked; -EOPNOTSUPP for an importer that cannot be revoked."""
    priv = dmabuf.priv
    if priv.revoked:
        return -ENODEV
    if not dma_buf_attach_revocable(attachment):
        return -EOPNOTSUPP
    return 0


@mirrors(f"{_PIN}:vfio_pci_dma_buf_done")
def vfio_pci_dma_buf_done(r) -> None:
    """The last reference went: wake the revoke (or cleanup) that waits."""
    complete(r.container.comp)


@mirrors(f"{_PIN}:vfio_pci_dma_buf_map")
def vfio_pci_dma_buf_map(attachment, direction: int):
    """SGT map (resv held): -ENODEV when revoked; a mapping holds a reference."""
    priv = attachment.dmabuf.priv
    dma_resv_assert_held(priv.dmabuf.resv)
    if priv.revoked:
        return ERR_PTR(-ENODEV)
    sgt = dma_buf_phys_vec_to_sgt(attachment, priv.provider, priv.phys_vec, priv.nr_ranges, priv.size,
                                  direction, faithful=not fixed("sgt-helper"))
    if IS_ERR(sgt):
        return sgt
    kref_get(priv.kref)
    return sgt


@mirrors(f"{_PIN}:vfio_pci_dma_buf_unmap")
def vfio_pci_dma_buf_unmap(attachment, sgt, direction: int) -> None:
    """SGT unmap (resv held): free the table, drop the mapping's reference."""
    priv = attachment.dmabuf.priv
    dma_resv_assert_held(priv.dmabuf.resv)
    dma_buf_free_sgt(attachment, sgt, direction, faithful=not fixed("sgt-helper"))
    kref_put(priv.kref, vfio_pci_dma_buf_done)


vfio_pci_dma_buf_sgt_ops = dma_buf_mapping_sgt_exp_ops(map_dma_buf=vfio_pci_dma_buf_map,
                                                       unmap_dma_buf=vfio_pci_dma_buf_unmap)


@mirrors(f"{_PIN}:vfio_pci_dma_pal_map_phys")
def vfio_pci_dma_pal_map_phys(attach):
    """Copy the ranges into a new list and take a reference for it; ERR_PTR(-ENOMEM).

    As posted there is no ``revoked`` test: after a revoke the ranges are
    handed out (the lab reports ``use-after-revoke``) and the reference is
    taken on a count the revoke left at 0.
    """
    priv = attach.dmabuf.priv
    if priv.revoked:
        if fixed("pal-revoked"):
            return ERR_PTR(-ENODEV)
        report("use-after-revoke", "vfio_pci_dma_pal_map_phys hands out the ranges of a revoked BAR")
    phys = kvzalloc(dma_buf_phys_list)
    if phys is None:
        return ERR_PTR(-ENOMEM)
    phys.phys = KArray(priv.nr_ranges, dma_buf_phys_vec, alloc=allocation_of(phys))
    phys.length = priv.nr_ranges
    for i in range(priv.nr_ranges):
        phys.phys[i].paddr = priv.phys_vec[i].paddr
        phys.phys[i].len = priv.phys_vec[i].len
    kref_get(priv.kref)
    return phys


@mirrors(f"{_PIN}:vfio_pci_dma_pal_unmap_phys")
def vfio_pci_dma_pal_unmap_phys(attach, phys) -> None:
    """Free the list and drop its reference."""
    priv = attach.dmabuf.priv
    kvfree(phys)
    kref_put(priv.kref, vfio_pci_dma_buf_done)


vfio_pci_dma_buf_pal_ops = dma_buf_mapping_pal_exp_ops(map_phys=vfio_pci_dma_pal_map_phys,
                                                       unmap_phys=vfio_pci_dma_pal_unmap_phys)


@mirrors(f"{_PIN}:vfio_pci_dma_buf_match_mapping")
def vfio_pci_dma_buf_match_mapping(args) -> int:
    """Offer [PAL, SGT_P2P]: as posted under an assertion of the lock attach does not
    hold and -ENODEV after cleanup; fixed, through the export's ``pci_dev`` reference."""
    priv = args.dmabuf.priv
    if fixed("vfio-match-lock"):
        pdev = priv.pdev
    else:
        dma_resv_assert_held(priv.dmabuf.resv)
        if priv.vdev is None:
            return -ENODEV
        # read again, as the C does: without the lock a cleanup can clear it in between
        pdev = deref(priv.vdev, "pdev", "vfio_pci_dma_buf_match_mapping")
    exp = match_list(DMA_BUF_EMAPPING_PAL(vfio_pci_dma_buf_pal_ops),
                     DMA_BUF_EMAPPING_SGT_P2P(vfio_pci_dma_buf_sgt_ops, pdev))
    return dma_buf_match_mapping(args, exp, len(exp))


vfio_pci_dmabuf_ops = dma_buf_ops_mt(attach=vfio_pci_dma_buf_attach, release=vfio_pci_dma_buf_release_mt,
                                     match_mapping=vfio_pci_dma_buf_match_mapping,
                                     name="vfio_pci_dmabuf_ops (mapping-types branch)")


@mirrors(f"{_PIN}:vfio_pci_core_feature_dma_buf")
def vfio_pci_dma_buf_arm(priv) -> None:
    """The export's ``kref_init()`` and ``init_completion()`` after dma_buf_export()."""
    priv.kref = kref("vfio_pci_dma_buf.kref")
    priv.kref.container = priv
    kref_init(priv.kref)
    priv.comp = completion("vfio_pci_dma_buf.comp")
    init_completion(priv.comp)


def wait_for_completion(priv) -> None:
    """Sleep until the last reference goes.  While vfio sleeps the importers'
    queued work runs (their deferred unmaps); a single-thread run where nothing
    is left to complete it gets the kernel model's "never returns" finding."""
    flush_scheduled_work()
    _wait_for_completion(priv.comp)


def _invalidate_and_wait(priv) -> None:
    """Under the reservation lock: tell the importers, wait for their fences."""
    dma_buf_move_notify(priv.dmabuf)
    dma_resv_wait_timeout(priv.dmabuf.resv, DMA_RESV_USAGE_BOOKKEEP, False, MAX_SCHEDULE_TIMEOUT)


@mirrors(f"{_PIN}:vfio_pci_dma_buf_move")
def vfio_pci_dma_buf_move(vdev, revoked: bool) -> None:
    """memory_lock held for write.  Both directions, under the reservation lock:
    set ``revoked`` (revoke only), invalidate, wait for fences.  Then revoke
    puts the registered reference and waits for the last one; restore
    re-initialises the kref and the completion and clears ``revoked``.

    With ``cleanup-after-revoke`` fixed this is mainline's shape after
    c64a647c84f3 (gregkh/linux 2519003dd5fb): revoke re-arms the kref and the
    completion after its wait and restore no longer re-initialises them.
    """
    rearm = fixed("cleanup-after-revoke")
    shared_read(vdev, "dmabufs")          # the walk starts from the list as it is now
    for priv in list(vdev.dmabufs):
        if get_file_active(priv.dmabuf.file) is None:
            continue
        if priv.revoked != revoked:
            dma_resv_lock(priv.dmabuf.resv)
            if revoked:
                priv.revoked = True
            _invalidate_and_wait(priv)        # both directions, as the branch's C has it
            dma_resv_unlock(priv.dmabuf.resv)
            if revoked:
                kref_put(priv.kref, vfio_pci_dma_buf_done)
                wait_for_completion(priv)
                if rearm:
                    kref_init(priv.kref)
                    reinit_completion(priv.comp)
            else:
                if not rearm:
                    kref_init(priv.kref)
                    reinit_completion(priv.comp)
                dma_resv_lock(priv.dmabuf.resv)
                priv.revoked = False
                dma_resv_unlock(priv.dmabuf.resv)
        fput(priv.dmabuf.file)


@mirrors(f"{_PIN}:vfio_pci_dma_buf_cleanup")
def vfio_pci_dma_buf_cleanup(vdev) -> None:
    """Device close, under memory_lock: for every live buffer unlink it, revoke it,
    invalidate, wait for fences, put the registered reference and wait for the last.

    As posted this runs for a buffer a revoke already drained: the put finds 0
    and the wait finds the completion consumed.  Fixed (c64a647c84f3's shape):
    revoke through move(), which skips revoked buffers, then unlink.
    """
    down_write(vdev.memory_lock)
    if fixed("cleanup-after-revoke"):
        vfio_pci_dma_buf_move(vdev, True)
        for priv in list(vdev.dmabufs):
            if get_file_active(priv.dmabuf.file) is None:
                continue
            _list_del(vdev.dmabufs, priv)
            priv.vdev = None
            vfio_device_put_registration(vdev)
            fput(priv.dmabuf.file)
        up_write(vdev.memory_lock)
        return
    for priv in list(vdev.dmabufs):
        if get_file_active(priv.dmabuf.file) is None:
            continue
        dma_resv_lock(priv.dmabuf.resv)
        _list_del(vdev.dmabufs, priv)
        priv.vdev = None
        priv.revoked = True
        _invalidate_and_wait(priv)
        dma_resv_unlock(priv.dmabuf.resv)
        kref_put(priv.kref, vfio_pci_dma_buf_done)
        wait_for_completion(priv)
        vfio_device_put_registration(vdev)
        fput(priv.dmabuf.file)
    up_write(vdev.memory_lock)


class BranchVfioExporter(MappingTypesVfioExporter):
    """The RFC exporter's ioctl and ops swap, with the branch's ops, kref and revoke."""

    ops = vfio_pci_dmabuf_ops
    priv_type = vfio_pci_dma_buf_branch
    fd_error_bug = "fd-error-put"
    dma_buf_move = staticmethod(vfio_pci_dma_buf_move)
    dma_buf_cleanup = staticmethod(vfio_pci_dma_buf_cleanup)

    def after_export(self, priv) -> None:
        super().after_export(priv)
        vfio_pci_dma_buf_arm(priv)


def make_exporter(session):
    return BranchVfioExporter(session)
