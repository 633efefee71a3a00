"""drivers/infiniband/core/umem_dmabuf.c as Linux 6.19 has it.

An RDMA MR over a dma-buf is an ``ib_umem_dmabuf``: a umem (the MR's
offset and length inside the buffer) plus a dynamic attachment.  ODP
drivers attach with their own callback (:func:`ib_umem_dmabuf_get`) and map
on fault; the others take the pinned path
(:func:`ib_umem_dmabuf_get_pinned_with_dma_device`), which pins and maps
once at registration and answers an invalidation with a rate-limited
message only.  :func:`ib_umem_dmabuf_map_pages` trims the exporter's
sg_table in place to the MR's pages and waits for the KERNEL fences;
:func:`ib_umem_dmabuf_unmap_pages` undoes the trim and unmaps.
Release goes through :func:`ib_umem_dmabuf_revoke`, which unmaps, unpins
while ``pinned`` is set and marks the umem revoked.

As posted in 6.19 the pinned path unpins on its own when the map fails
(``err_unpin``) yet leaves ``pinned`` set, so the release it then calls
unpins a second time: the exporter's pin count underflows (CVE-2026-43128,
fixed by 104016eb671e, :mod:`.mainline_7_1`).

Read in gregkh/linux 2c8fedbbbb82, a stable-line copy that already carries
104016eb671e; the 6.19 error label is restored from the lines that patch
removes (Message-ID <20260224234153.1207849-1-jmoroni@google.com>), and the
older torvalds/linux 9cb10a6ad25e shows the same label.  ``fd`` is what user
space passed to ibv_reg_dmabuf_mr(); the dma-buf core called is 6.19's
(:mod:`dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_6_19`).
"""
from __future__ import annotations

from typing import Optional

from dmabuf_lab.linux.drivers.dma_buf.dma_buf import mainline_6_19 as core
from dmabuf_lab.core.ops import dma_buf_attach_ops
from dmabuf_lab.kmodel import EINVAL, ERR_PTR, IS_ERR, dma_resv_lock, dma_resv_unlock, kfree
from dmabuf_lab.revisions.base import fixed
from dmabuf_lab.twins import mirrors

from .common import (ULONG_MAX, get_attached, ib_device, ib_umem_dmabuf, ibdev_warn_ratelimited,
                     map_pages, unmap_pages)

UMEM_DMABUF_C = "gregkh/linux@2c8fedbbbb82:drivers/infiniband/core/umem_dmabuf.c"
GAP_619 = ("a gregkh/linux stable-line copy, not the v6.19 tag; it carries 104016eb671e, "
           "whose removed lines give 6.19's error path")
#: The lab revisions these twins serve.
REVISIONS = ("mainline-6.19",)


# -- map / unmap ---------------------------------------------------------------------

@mirrors(f"{UMEM_DMABUF_C}:ib_umem_dmabuf_map_pages", gap=GAP_619, revisions=REVISIONS)
def ib_umem_dmabuf_map_pages(umem_dmabuf: ib_umem_dmabuf) -> int:
    """Map the buffer (resv held) and trim the table to the MR's pages; 0 or -errno.

    -EINVAL once revoked.  A second call keeps the table it has and only
    waits.  The wait for the KERNEL fences is uninterruptible and unbounded;
    a negative result is returned as is, a zero as -ETIMEDOUT.
    """
    return map_pages(umem_dmabuf, core)


@mirrors(f"{UMEM_DMABUF_C}:ib_umem_dmabuf_unmap_pages", gap=GAP_619, revisions=REVISIONS)
def ib_umem_dmabuf_unmap_pages(umem_dmabuf: ib_umem_dmabuf) -> None:
    """Undo the trim and unmap (resv held); nothing to do without a table."""
    unmap_pages(umem_dmabuf, core)


# -- import ----------------------------------------------------------------------------

@mirrors(f"{UMEM_DMABUF_C}:ib_umem_dmabuf_get_with_dma_device", gap=GAP_619, revisions=REVISIONS)
def ib_umem_dmabuf_get_with_dma_device(device: ib_device, dma_device, offset: int, size: int, fd: int,
                                       access: int, ops: Optional[dma_buf_attach_ops]):
    """Attach ``dma_device`` dynamically to the buffer behind ``fd`` for an MR of
    ``size`` bytes at ``offset``; the new umem or ERR_PTR.

    -EINVAL for an offset + size that wraps, for ops without ``move_notify``,
    for an MR past the end of the buffer and for an empty MR; the errors of
    dma_buf_get(), of the allocation (-ENOMEM) and of the attach as they come.
    """
    if offset + size > ULONG_MAX:
        return ERR_PTR(-EINVAL)
    if ops is None or ops.move_notify is None:
        return ERR_PTR(-EINVAL)
    return get_attached(device, dma_device, offset, size, fd, access, ops, core)


@mirrors(f"{UMEM_DMABUF_C}:ib_umem_dmabuf_get", gap=GAP_619, revisions=REVISIONS)
def ib_umem_dmabuf_get(device: ib_device, offset: int, size: int, fd: int, access: int,
                       ops: Optional[dma_buf_attach_ops]):
    """The dynamic import an ODP driver uses: attach with the driver's own ops."""
    return ib_umem_dmabuf_get_with_dma_device(device, device.dma_device, offset, size, fd, access, ops)


@mirrors(f"{UMEM_DMABUF_C}:ib_umem_dmabuf_unsupported_move_notify", gap=GAP_619, revisions=REVISIONS)
def ib_umem_dmabuf_unsupported_move_notify(attach) -> None:
    """The pinned import's callback: it only complains, the MR keeps its mapping."""
    umem_dmabuf = attach.importer_priv
    ibdev_warn_ratelimited(umem_dmabuf.umem.ibdev,
                           "Invalidate callback should not be called when memory is pinned")


#: ``ib_umem_dmabuf_attach_pinned_ops``: P2P, and the complaining callback.
ib_umem_dmabuf_attach_pinned_ops = dma_buf_attach_ops(
    allow_peer2peer=True, move_notify=ib_umem_dmabuf_unsupported_move_notify,
    name="ib_umem_dmabuf_attach_pinned_ops")


@mirrors(f"{UMEM_DMABUF_C}:ib_umem_dmabuf_get_pinned_with_dma_device",
         gap=GAP_619 + "; the err_unpin label is taken from the patch's removed lines",
         revisions=REVISIONS)
def ib_umem_dmabuf_get_pinned_with_dma_device(device: ib_device, dma_device, offset: int, size: int,
                                              fd: int, access: int):
    """Attach, then under the reservation lock pin and map once; the umem or ERR_PTR.

    A failed pin releases the umem.  A failed map unpins right here
    (``err_unpin``) but leaves ``pinned`` set, and the release that follows
    unpins again.  The ``umem-double-unpin`` fix leaves the unpin to the release.
    """
    umem_dmabuf = ib_umem_dmabuf_get_with_dma_device(device, dma_device, offset, size, fd, access,
                                                     ib_umem_dmabuf_attach_pinned_ops)
    if IS_ERR(umem_dmabuf):
        return umem_dmabuf
    resv = umem_dmabuf.attach.dmabuf.resv
    dma_resv_lock(resv)
    err = core.dma_buf_pin(umem_dmabuf.attach)
    if err:
        dma_resv_unlock(resv)                           # err_release
        ib_umem_release(umem_dmabuf)
        return ERR_PTR(err)
    umem_dmabuf.pinned = 1
    err = ib_umem_dmabuf_map_pages(umem_dmabuf)
    if err:
        if not fixed("umem-double-unpin"):              # 104016eb671e drops the label
            core.dma_buf_unpin(umem_dmabuf.attach)      # err_unpin
        dma_resv_unlock(resv)                           # err_release
        ib_umem_release(umem_dmabuf)
        return ERR_PTR(err)
    dma_resv_unlock(resv)
    return umem_dmabuf


@mirrors(f"{UMEM_DMABUF_C}:ib_umem_dmabuf_get_pinned", gap=GAP_619, revisions=REVISIONS)
def ib_umem_dmabuf_get_pinned(device: ib_device, offset: int, size: int, fd: int, access: int):
    """The pinned import on the device's own DMA device."""
    return ib_umem_dmabuf_get_pinned_with_dma_device(device, device.dma_device, offset, size, fd, access)


# -- revoke / release ----------------------------------------------------------------------

@mirrors(f"{UMEM_DMABUF_C}:ib_umem_dmabuf_revoke", gap=GAP_619, revisions=REVISIONS)
def ib_umem_dmabuf_revoke(umem_dmabuf: ib_umem_dmabuf) -> None:
    """Once only, under the reservation lock: unmap, unpin if ``pinned`` (clearing it), mark revoked."""
    resv = umem_dmabuf.attach.dmabuf.resv
    dma_resv_lock(resv)
    if not umem_dmabuf.revoked:
        ib_umem_dmabuf_unmap_pages(umem_dmabuf)
        if umem_dmabuf.pinned:
            core.dma_buf_unpin(umem_dmabuf.attach)
            umem_dmabuf.pinned = 0
        umem_dmabuf.revoked = 1
    dma_resv_unlock(resv)


@mirrors(f"{UMEM_DMABUF_C}:ib_umem_dmabuf_release", gap=GAP_619, revisions=REVISIONS)
def ib_umem_dmabuf_release(umem_dmabuf: ib_umem_dmabuf) -> None:
    """Revoke, detach, drop the buffer reference dma_buf_get() took, free the umem."""
    dmabuf = umem_dmabuf.attach.dmabuf
    ib_umem_dmabuf_revoke(umem_dmabuf)
    core.dma_buf_detach(dmabuf, umem_dmabuf.attach)
    core.dma_buf_put(dmabuf)
    kfree(umem_dmabuf)


def ib_umem_release(umem_dmabuf: ib_umem_dmabuf) -> None:
    """ib_umem_release() of a dma-buf umem (``is_dmabuf``) goes to ib_umem_dmabuf_release()."""
    ib_umem_dmabuf_release(umem_dmabuf)
