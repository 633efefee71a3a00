"""drivers/vfio/pci/vfio_pci_dmabuf.c in the March 2026 mapping-types branch: the RFC's exporter with the revoke series' kref, completion and wait (without the later re-arm)."""
from __future__ import annotations

from dmabuf_lab.core.file import fput, get_file_active
from dmabuf_lab.core.workqueue import flush_scheduled_work
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mapping_types_2026_02 import (vfio_pci_dma_buf_mt, vfio_pci_dma_buf_release_mt)
from dmabuf_lab.kmodel import ENODEV, ENOMEM, EOPNOTSUPP, ERR_PTR, IS_ERR, KArray, allocation_of, dma_resv_assert_held, dma_resv_lock, dma_resv_unlock, kvfree, kvzalloc, report
from dmabuf_lab.kmodel.completion import wait_for_completion as _wait_for_completion, complete, completion, init_completion, kref, kref_get, kref_init, kref_put, reinit_completion
from dmabuf_lab.kmodel.fence import DMA_RESV_USAGE_BOOKKEEP, MAX_SCHEDULE_TIMEOUT, dma_resv_wait_timeout
from dmabuf_lab.kmodel.rwsem import down_write, up_write
from dmabuf_lab.kmodel.sched import shared_read
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mapping_types_2026_03 import dma_buf_attach_revocable
from dmabuf_lab.linux.drivers.dma_buf.dma_buf_mapping.common import dma_buf_free_sgt, dma_buf_phys_vec_to_sgt
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_6_19 import _list_del, vfio_device_put_registration
from dmabuf_lab.revisions.base import deref, fixed
from dmabuf_lab.linux.include.linux.dma_buf_mapping_h.mapping_types_2026_02 import (DMA_BUF_EMAPPING_PAL, DMA_BUF_EMAPPING_SGT_P2P, dma_buf_mapping_pal_exp_ops,
    dma_buf_mapping_sgt_exp_ops, dma_buf_phys_list, dma_buf_phys_vec)
from dmabuf_lab.linux.drivers.dma_buf.dma_buf_mapping.mapping_types_2026_02 import dma_buf_match_mapping
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mapping_types_2026_02 import dma_buf_ops_mt, match_list
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_6_19 import dma_buf_move_notify
from dmabuf_lab.twins import mirrors


_PIN = "jgunthorpe/linux@29ddc7d35bb9:drivers/vfio/pci/vfio_pci_dmabuf.c"


class vfio_pci_dma_buf_branch(vfio_pci_dma_buf_mt):
    """The RFC's private object plus the revoke series' kref and completion."""

    fields = ("kref", "comp")


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
