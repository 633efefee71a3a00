"""drivers/dma-buf/dma-buf.c after Leon Romanovsky's revoke series, as in Linux 7.3.

The series ("dma-buf: Provide revoke mechanism for shared buffers", merged
through drm-misc-next for the 7.1 merge window) changed four things the lab
can see; everything else is the 6.19 code of :mod:`dmabuf_lab.core.dma_buf`,
re-exported here so that a driver written for 7.3 names one module:

* ef246da8e63c / 95308225e5ba: the importer callback ``move_notify`` is now
  ``invalidate_mappings`` and the exporter calls
  :func:`dma_buf_invalidate_mappings` instead of ``dma_buf_move_notify()``;
* 575157b1b5fc "Make .invalidate_mapping() truly optional": a dynamic attach without the
  callback is accepted (6.19 WARNed and refused it with -EINVAL), and the
  invalidation walk skips such an importer;
* 609fc8766d68 "dma-buf: Always build with DMABUF_MOVE_NOTIFY": the Kconfig
  option is gone, so a dynamic importer is never pinned at map time;
* be6d4c9e9d71 :func:`dma_buf_attach_revocable`: true when the importer has
  ``invalidate_mappings``, i.e. it will unmap in bounded time when told to.

Unchanged and shared with 6.19: a static importer's map waits for the
buffer's KERNEL fences before the table is returned.  Read in
intel-lab-lkp/linux 02f9ac5589e4 (an LKP base after the revoke series; no
stored torvalds/linux copy of dma-buf.c is that new).
"""
from __future__ import annotations

from typing import Any, Optional

from dmabuf_lab.kmodel import dma_resv_assert_held
from dmabuf_lab.twins import mirrors

from .attachment import dma_buf_attachment
from .dma_buf import (dma_buf, dma_buf_attachment_is_dynamic, dma_buf_detach,  # noqa: F401
                      dma_buf_export, dma_buf_fd, dma_buf_get, dma_buf_is_dynamic, dma_buf_pin,
                      dma_buf_put, dma_buf_release, dma_buf_unpin)
from .ops import dma_buf_attach_ops

#: The 6.19 module, whose functions this version keeps unchanged.
from dmabuf_lab.core import dma_buf as _619  # noqa: E402
from dmabuf_lab.twins import mirrors

#: The tree the 7.x twins were read in.
DNEW = "intel-lab-lkp/linux@02f9ac5589e4:drivers/dma-buf/dma-buf.c"
DNEW_GAP = "an LKP base after the revoke series, not a pristine torvalds/linux tree"


@mirrors(f"{DNEW}:dma_buf_pin_on_map", gap=DNEW_GAP)
def dma_buf_pin_on_map(attach) -> bool:
    """Pin at map time only for a static importer of a pinnable exporter."""
    return _619.dma_buf_pin_on_map(attach, move_notify_config=True)


@mirrors("posting:revoke-series:drivers/dma-buf/dma-buf.c:dma_buf_dynamic_attach", gap="merged for 7.1 (ef246da8e63c, 95308225e5ba, 609fc8766d68); no stored tree copy of the file after the merge was read, so the patches are the source", revisions=("mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def dma_buf_dynamic_attach(dmabuf, dev, importer_ops: Optional[dma_buf_attach_ops] = None,
                           importer_priv: Any = None, *,
                           attachment_type: type = dma_buf_attachment):
    """Attach ``dev``; dynamic when ``importer_ops`` is given, with or without
    ``invalidate_mappings``.

    The same steps as 6.19 (allocate, copy ``allow_peer2peer``, the
    exporter's ``attach`` outside the lock, add at the head of the list
    under it) without 6.19's refusal of an importer lacking the callback.
    """
    return _619.dma_buf_dynamic_attach(dmabuf, dev, importer_ops, importer_priv,
                                       attachment_type=attachment_type, require_move_notify=False)


@mirrors("posting:revoke-series:drivers/dma-buf/dma-buf.c:dma_buf_attach", gap="merged for 7.1 (ef246da8e63c, 95308225e5ba, 609fc8766d68); no stored tree copy of the file after the merge was read, so the patches are the source")
def dma_buf_attach(dmabuf, dev):
    """Static attach: no importer_ops, so no P2P and not revocable."""
    return dma_buf_dynamic_attach(dmabuf, dev, None, None)


@mirrors("posting:revoke-series:drivers/dma-buf/dma-buf.c:dma_buf_attach_revocable", gap="merged for 7.1 (ef246da8e63c, 95308225e5ba, 609fc8766d68); no stored tree copy of the file after the merge was read, so the patches are the source", revisions=("mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def dma_buf_attach_revocable(attach) -> bool:
    """True when the importer implements ``invalidate_mappings`` (no lock, no other test)."""
    ops = attach.importer_ops
    return ops is not None and ops.invalidate_mappings is not None


@mirrors(f"{DNEW}:dma_buf_map_attachment", gap=DNEW_GAP, revisions=("mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def dma_buf_map_attachment(attach, direction: int):
    """6.19's map with the move-notify config always on: pin only a static
    importer, and a static importer waits for the KERNEL fences."""
    return _619.dma_buf_map_attachment(attach, direction, move_notify_config=True)


@mirrors("posting:revoke-series:drivers/dma-buf/dma-buf.c:dma_buf_map_attachment_unlocked", gap="merged for 7.1 (ef246da8e63c, 95308225e5ba, 609fc8766d68); no stored tree copy of the file after the merge was read, so the patches are the source")
def dma_buf_map_attachment_unlocked(attach, direction: int):
    """6.19's, around :func:`dma_buf_map_attachment` (the config always on)."""
    return _619.dma_buf_map_attachment_unlocked(attach, direction, move_notify_config=True)


@mirrors("posting:revoke-series:drivers/dma-buf/dma-buf.c:dma_buf_unmap_attachment", gap="merged for 7.1 (ef246da8e63c, 95308225e5ba, 609fc8766d68); no stored tree copy of the file after the merge was read, so the patches are the source", revisions=("mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def dma_buf_unmap_attachment(attach, sg_table, direction: int) -> None:
    """6.19's unmap with the move-notify config always on."""
    _619.dma_buf_unmap_attachment(attach, sg_table, direction, move_notify_config=True)


@mirrors("posting:revoke-series:drivers/dma-buf/dma-buf.c:dma_buf_unmap_attachment_unlocked", gap="merged for 7.1 (ef246da8e63c, 95308225e5ba, 609fc8766d68); no stored tree copy of the file after the merge was read, so the patches are the source")
def dma_buf_unmap_attachment_unlocked(attach, sg_table, direction: int) -> None:
    """6.19's, around :func:`dma_buf_unmap_attachment` (the config always on)."""
    _619.dma_buf_unmap_attachment_unlocked(attach, sg_table, direction, move_notify_config=True)


@mirrors(f"{DNEW}:dma_buf_invalidate_mappings", gap=DNEW_GAP)
def dma_buf_invalidate_mappings(dmabuf) -> None:
    """Tell every importer that has ``invalidate_mappings`` to drop its mappings (resv held).

    Walks the attachments in list order; an importer without the callback
    is skipped.  When this returns, importers may still reach the memory
    until their fences signal and they unmap: waiting for that is the
    exporter's job (vfio: "vfio: Wait for dma-buf invalidation to complete").
    """
    dma_resv_assert_held(dmabuf.resv)
    for attach in list(dmabuf.attachments):
        ops = attach.importer_ops
        if ops is not None and ops.invalidate_mappings is not None:
            ops.invalidate_mappings(attach)


__all__ = [
    "dma_buf", "dma_buf_attach", "dma_buf_attach_ops", "dma_buf_attach_revocable",
    "dma_buf_attachment", "dma_buf_attachment_is_dynamic", "dma_buf_detach",
    "dma_buf_dynamic_attach", "dma_buf_export", "dma_buf_fd", "dma_buf_get",
    "dma_buf_invalidate_mappings", "dma_buf_is_dynamic", "dma_buf_map_attachment",
    "dma_buf_map_attachment_unlocked", "dma_buf_pin", "dma_buf_pin_on_map", "dma_buf_put",
    "dma_buf_release", "dma_buf_unmap_attachment", "dma_buf_unmap_attachment_unlocked",
    "dma_buf_unpin",
]
