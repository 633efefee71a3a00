"""drivers/infiniband/core/umem_dmabuf.c as Linux 7.1 has it: a patch over
:mod:`.mainline_6_19`.

What changed, by commit:

* 104016eb671e "RDMA/umem: Fix double dma_buf_unpin in failure path"
  (CVE-2026-43128): a failed map no longer unpins on the spot; the release
  it falls into unmaps and then unpins once, since ``pinned`` is still set.
* 575157b1b5fc "dma-buf: Make .invalidate_mapping() truly optional" (the
  revoke series): the check that the ops carry a callback is gone, and the
  pinned ops carry no callback at all, so vfio's dma_buf_attach_revocable()
  test refuses a plain pinned import.  ef246da8e63c renamed the member
  ``invalidate_mappings``.
* ff85a2ebacbd "RDMA/umem: Add pinned revocable dmabuf import interface"
  and the rest of its series: the pin-and-map body moves into
  ib_umem_dmabuf_get_pinned_and_lock(), which returns with the reservation
  lock held; revoke moves into ib_umem_dmabuf_revoke_locked(), which calls
  the driver's revoke callback first; ib_umem_dmabuf_get_pinned_revocable_and_lock()
  attaches with that as ``invalidate_mappings``, and the driver installs its
  callback with ib_umem_dmabuf_set_revoke_locked() before it unlocks.

Read in jakemoroni/linux 95dc8cfc1b46, the author's tree with the series
applied on a base that has 104016eb671e but not yet the revoke series'
rename; the 7.1 form of the two ops tables follows the revoke series
patches.  The dma-buf core called is the post-revoke one
(:mod:`dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_7_1`); since every function of the file calls
into it, each twin is restated here over the shared bodies in :mod:`.common`
rather than imported from 6.19.
"""
from __future__ import annotations

from typing import Optional

from dmabuf_lab.linux.drivers.dma_buf.dma_buf import mainline_7_1 as core
from dmabuf_lab.core.ops import dma_buf_attach_ops
from dmabuf_lab.kmodel import EINVAL, ERR_PTR, IS_ERR, dma_resv_assert_held, dma_resv_lock, dma_resv_unlock, kfree
from dmabuf_lab.twins import mirrors

from .common import ULONG_MAX, get_attached, ib_device, ib_umem_dmabuf, map_pages, unmap_pages

UMEM_DMABUF_C = "jakemoroni/linux@95dc8cfc1b46:drivers/infiniband/core/umem_dmabuf.c"
GAP_71 = ("the author's tree with the pinned-revocable series on a base before the revoke series; "
          "7.1 has the member renamed to invalidate_mappings (ef246da8e63c) and the pinned ops "
          "without a callback (575157b1b5fc)")
#: The lab revisions these twins serve (the releases from 7.1 on).
REVISIONS = ("mainline-7.1", "mainline-7.2", "mainline-7.3-rc6")


@mirrors(f"{UMEM_DMABUF_C}:ib_umem_dmabuf_map_pages", gap=GAP_71, revisions=REVISIONS)
def ib_umem_dmabuf_map_pages(umem_dmabuf: ib_umem_dmabuf) -> int:
    """6.19's map and trim, against the post-revoke core."""
    return map_pages(umem_dmabuf, core)


@mirrors(f"{UMEM_DMABUF_C}:ib_umem_dmabuf_unmap_pages", gap=GAP_71, revisions=REVISIONS)
def ib_umem_dmabuf_unmap_pages(umem_dmabuf: ib_umem_dmabuf) -> None:
    """6.19's untrim and unmap, against the post-revoke core."""
    unmap_pages(umem_dmabuf, core)


@mirrors(f"{UMEM_DMABUF_C}:ib_umem_dmabuf_get_with_dma_device", gap=GAP_71, revisions=REVISIONS)
def ib_umem_dmabuf_get_with_dma_device(device: ib_device, dma_device, offset: int, size: int, fd: int,
                                       access: int, ops: Optional[dma_buf_attach_ops]):
    """6.19's attach without its test of the ops (575157b1b5fc): any ops, even none, attach."""
    if offset + size > ULONG_MAX:
        return ERR_PTR(-EINVAL)
    return get_attached(device, dma_device, offset, size, fd, access, ops, core)


@mirrors(f"{UMEM_DMABUF_C}:ib_umem_dmabuf_get", gap=GAP_71, revisions=REVISIONS)
def ib_umem_dmabuf_get(device: ib_device, offset: int, size: int, fd: int, access: int,
                       ops: Optional[dma_buf_attach_ops]):
    """The dynamic import with the driver's own ops."""
    return ib_umem_dmabuf_get_with_dma_device(device, device.dma_device, offset, size, fd, access, ops)


#: ``ib_umem_dmabuf_attach_pinned_ops`` after 575157b1b5fc: P2P and no callback.
ib_umem_dmabuf_attach_pinned_ops = dma_buf_attach_ops(allow_peer2peer=True,
                                                      name="ib_umem_dmabuf_attach_pinned_ops")


@mirrors(f"{UMEM_DMABUF_C}:ib_umem_dmabuf_revoke_locked", gap=GAP_71, revisions=REVISIONS)
def ib_umem_dmabuf_revoke_locked(attach) -> None:
    """Once only (resv held): the driver's revoke callback, then unmap, unpin, mark revoked.

    It is also the pinned-revocable import's ``invalidate_mappings``, so an
    exporter's revoke ends the MR the same way its release does."""
    umem_dmabuf = attach.importer_priv
    dma_resv_assert_held(attach.dmabuf.resv)
    if umem_dmabuf.revoked:
        return
    if umem_dmabuf.pinned_revoke is not None:
        umem_dmabuf.pinned_revoke(umem_dmabuf.pinned_revoke_priv)
    ib_umem_dmabuf_unmap_pages(umem_dmabuf)
    if umem_dmabuf.pinned:
        core.dma_buf_unpin(umem_dmabuf.attach)
        umem_dmabuf.pinned = 0
    umem_dmabuf.revoked = 1


#: ``ib_umem_dmabuf_attach_pinned_revocable_ops``: P2P, revoke as the callback.
ib_umem_dmabuf_attach_pinned_revocable_ops = dma_buf_attach_ops(
    allow_peer2peer=True, invalidate_mappings=ib_umem_dmabuf_revoke_locked,
    name="ib_umem_dmabuf_attach_pinned_revocable_ops")


@mirrors(f"{UMEM_DMABUF_C}:ib_umem_dmabuf_get_pinned_and_lock", gap=GAP_71, revisions=REVISIONS)
def ib_umem_dmabuf_get_pinned_and_lock(device: ib_device, dma_device, offset: int, size: int, fd: int,
                                       access: int, ops: dma_buf_attach_ops):
    """Attach with ``ops``, then lock, pin and map; on success return with the lock held.

    Any failure unlocks and releases the umem, which unmaps what the map may
    have left and unpins once, as ``pinned`` says (104016eb671e)."""
    umem_dmabuf = ib_umem_dmabuf_get_with_dma_device(device, dma_device, offset, size, fd, access, ops)
    if IS_ERR(umem_dmabuf):
        return umem_dmabuf
    resv = umem_dmabuf.attach.dmabuf.resv
    dma_resv_lock(resv)
    err = core.dma_buf_pin(umem_dmabuf.attach)
    if not err:
        umem_dmabuf.pinned = 1
        err = ib_umem_dmabuf_map_pages(umem_dmabuf)
        if not err:
            return umem_dmabuf
    dma_resv_unlock(resv)                               # err_release
    ib_umem_release(umem_dmabuf)
    return ERR_PTR(err)


@mirrors(f"{UMEM_DMABUF_C}:ib_umem_dmabuf_get_pinned_with_dma_device", gap=GAP_71, revisions=REVISIONS)
def ib_umem_dmabuf_get_pinned_with_dma_device(device: ib_device, dma_device, offset: int, size: int,
                                              fd: int, access: int):
    """The pinned import: pin and map under the lock, then unlock."""
    umem_dmabuf = ib_umem_dmabuf_get_pinned_and_lock(device, dma_device, offset, size, fd, access,
                                                     ib_umem_dmabuf_attach_pinned_ops)
    if IS_ERR(umem_dmabuf):
        return umem_dmabuf
    dma_resv_unlock(umem_dmabuf.attach.dmabuf.resv)
    return umem_dmabuf


@mirrors(f"{UMEM_DMABUF_C}:ib_umem_dmabuf_get_pinned_revocable_and_lock", gap=GAP_71, revisions=REVISIONS)
def ib_umem_dmabuf_get_pinned_revocable_and_lock(device: ib_device, offset: int, size: int, fd: int,
                                                 access: int):
    """The pinned import that answers invalidation by revoking; returns with the lock held."""
    return ib_umem_dmabuf_get_pinned_and_lock(device, device.dma_device, offset, size, fd, access,
                                              ib_umem_dmabuf_attach_pinned_revocable_ops)


@mirrors(f"{UMEM_DMABUF_C}:ib_umem_dmabuf_set_revoke_locked", gap=GAP_71, revisions=REVISIONS)
def ib_umem_dmabuf_set_revoke_locked(umem_dmabuf: ib_umem_dmabuf, revoke, priv) -> None:
    """Install the driver's revoke callback (resv held, so no revoke can run meanwhile)."""
    dma_resv_assert_held(umem_dmabuf.attach.dmabuf.resv)
    umem_dmabuf.pinned_revoke = revoke
    umem_dmabuf.pinned_revoke_priv = priv


@mirrors(f"{UMEM_DMABUF_C}:ib_umem_dmabuf_get_pinned", gap=GAP_71, revisions=REVISIONS)
def ib_umem_dmabuf_get_pinned(device: ib_device, offset: int, size: int, fd: int, access: int):
    """The pinned import on the device's own DMA device."""
    return ib_umem_dmabuf_get_pinned_with_dma_device(device, device.dma_device, offset, size, fd, access)


@mirrors(f"{UMEM_DMABUF_C}:ib_umem_dmabuf_revoke", gap=GAP_71, revisions=REVISIONS)
def ib_umem_dmabuf_revoke(umem_dmabuf: ib_umem_dmabuf) -> None:
    """ib_umem_dmabuf_revoke_locked() under the reservation lock."""
    resv = umem_dmabuf.attach.dmabuf.resv
    dma_resv_lock(resv)
    ib_umem_dmabuf_revoke_locked(umem_dmabuf.attach)
    dma_resv_unlock(resv)


@mirrors(f"{UMEM_DMABUF_C}:ib_umem_dmabuf_release", gap=GAP_71, revisions=REVISIONS)
def ib_umem_dmabuf_release(umem_dmabuf: ib_umem_dmabuf) -> None:
    """Revoke, detach, drop the buffer reference, free the umem (as 6.19)."""
    dmabuf = umem_dmabuf.attach.dmabuf
    ib_umem_dmabuf_revoke(umem_dmabuf)
    core.dma_buf_detach(dmabuf, umem_dmabuf.attach)
    core.dma_buf_put(dmabuf)
    kfree(umem_dmabuf)


def ib_umem_release(umem_dmabuf: ib_umem_dmabuf) -> None:
    """ib_umem_release() of a dma-buf umem goes to ib_umem_dmabuf_release()."""
    ib_umem_dmabuf_release(umem_dmabuf)
