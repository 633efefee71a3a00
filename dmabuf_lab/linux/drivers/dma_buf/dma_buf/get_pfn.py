"""drivers/dma-buf/dma-buf.c under the get_pfn RFC (patch 01): get_pfn in dma_buf_ops, dma_buf_get_pfn_unlocked() and the relaxed export, attach and map checks, over the 6.19 core; with the lab's switch between the debate's two philosophies."""
from __future__ import annotations

from dataclasses import dataclass
from dmabuf_lab.core.attachment import dma_buf_attachment
from dmabuf_lab.linux.include.linux.dma_buf_h.mainline_6_19 import dma_buf_attachment_is_dynamic
from dmabuf_lab.core.ops import dma_buf_attach_ops, dma_buf_export_info, dma_buf_ops
from dmabuf_lab.kmodel import EINVAL, ENOENT, ENOMEM, ERR_PTR, WARN_ON, dma_resv_lock, dma_resv_unlock, kfree, kzalloc
from dmabuf_lab.linux.drivers.dma_buf.dma_buf import mainline_6_19 as core
from dmabuf_lab.revisions.base import current_session, deref, fixed, mode
from dmabuf_lab.twins import mirrors
from typing import Any, Callable, Optional


IMPORTER_MAPS = "importer-maps"


EXPORTER_MAPS = "exporter-maps"


def importer_maps() -> bool:
    """True in the importer-maps mode (device importers use get_pfn too)."""
    return mode(IMPORTER_MAPS)


def exporter_maps() -> bool:
    """True in the exporter-maps mode (no get_pfn anywhere)."""
    return mode(EXPORTER_MAPS)


@dataclass(eq=False)
class dma_buf_ops_pfn(dma_buf_ops):
    """dma_buf_ops with the RFC's ``get_pfn(attach, pgoff) -> (ret, pfn, max_order)``.

    Called with the reservation lock held; only valid after a successful attach.
    """

    get_pfn: Optional[Callable] = None


def config_dmabuf_move_notify() -> bool:
    """CONFIG_DMABUF_MOVE_NOTIFY for this run: the exporter spec's ``dmabuf_move_notify`` option,
    else the lab's kernel config."""
    s = current_session()
    if s is None:
        return core.CONFIG_DMABUF_MOVE_NOTIFY
    return bool(s.exporter.option("dmabuf_move_notify", core.CONFIG_DMABUF_MOVE_NOTIFY))


@mirrors("posting:get-pfn-rfc#1/12:drivers/dma-buf/dma-buf.c:dma_buf_export", gap="patch 1/12 adds the get_pfn path to the dma-buf core of its day; this function is that core as the RFC leaves it")
def dma_buf_export(exp_info: dma_buf_export_info):
    """dma_buf_export() with the RFC's rule: ``map_dma_buf``/``unmap_dma_buf`` come as a
    pair, and an exporter needs ``map_dma_buf`` or ``get_pfn`` (WARN, -EINVAL otherwise)."""
    ops = exp_info.ops
    if WARN_ON(exp_info.priv is None or ops is None
               or (ops.map_dma_buf is None) != (ops.unmap_dma_buf is None)
               or (ops.map_dma_buf is None and getattr(ops, "get_pfn", None) is None)
               or ops.release is None,
               "dma_buf_export: priv, ops, map/unmap pair or get_pfn, or release missing"):
        return ERR_PTR(-EINVAL)
    if WARN_ON((ops.pin is None) != (ops.unpin is None), "dma_buf_export: pin without unpin"):
        return ERR_PTR(-EINVAL)
    return core.__dma_buf_export(exp_info)


@mirrors("posting:get-pfn-rfc#1/12:drivers/dma-buf/dma-buf.c:dma_buf_dynamic_attach", gap="patch 1/12 adds the get_pfn path to the dma-buf core of its day; this function is that core as the RFC leaves it")
def dma_buf_dynamic_attach(dmabuf, dev, importer_ops: Optional[dma_buf_attach_ops] = None,
                           importer_priv: Any = None):
    """Attach; ``dev`` may be NULL for an importer that never maps an sg_table.

    As posted the NULL check survives for any exporter with ``map_dma_buf``
    (bug ``null-dev-attach``).  A static importer of a buffer with pin/unpin
    pins it here, as that tree did; a refused pin fails the attach.
    """
    if WARN_ON(dmabuf is None, "dma_buf_dynamic_attach: NULL dmabuf"):
        return ERR_PTR(-EINVAL)
    relaxed = fixed("null-dev-attach") or importer_maps()
    if not relaxed and WARN_ON(dmabuf.ops.map_dma_buf is not None and dev is None,
                               "dma_buf_dynamic_attach: NULL dev for an exporter with map_dma_buf"):
        return ERR_PTR(-EINVAL)
    if WARN_ON(importer_ops is not None and importer_ops.move_notify is None,
               "dma_buf_dynamic_attach: importer_ops without move_notify"):
        return ERR_PTR(-EINVAL)

    attach = kzalloc(dma_buf_attachment)
    if attach is None:
        return ERR_PTR(-ENOMEM)
    core.__dma_buf_attachment_init(attach, dmabuf, dev, importer_ops, importer_priv)

    if dmabuf.ops.attach is not None:
        ret = dmabuf.ops.attach(dmabuf, attach)
        if ret:
            kfree(attach)
            return ERR_PTR(ret)

    if dma_buf_attachment_is_dynamic(attach) != core.dma_buf_is_dynamic(dmabuf):
        dma_resv_lock(dmabuf.resv)
        if core.dma_buf_is_dynamic(dmabuf):
            ret = dmabuf.ops.pin(attach)          # dma_buf_pin() of a static importer
            if ret:
                dma_resv_unlock(dmabuf.resv)
                if dmabuf.ops.detach is not None:
                    dmabuf.ops.detach(dmabuf, attach)
                kfree(attach)
                return ERR_PTR(ret)
        dma_resv_unlock(dmabuf.resv)

    dma_resv_lock(dmabuf.resv)
    dmabuf.attachments.insert(0, attach)
    dma_resv_unlock(dmabuf.resv)
    return attach


@mirrors("posting:get-pfn-rfc#1/12:drivers/dma-buf/dma-buf.c:dma_buf_attach", gap="patch 1/12 adds the get_pfn path to the dma-buf core of its day; this function is that core as the RFC leaves it")
def dma_buf_attach(dmabuf, dev):
    """Static attach."""
    return dma_buf_dynamic_attach(dmabuf, dev, None, None)


@mirrors("posting:get-pfn-rfc#1/12:drivers/dma-buf/dma-buf.c:dma_buf_detach", gap="patch 1/12 adds the get_pfn path to the dma-buf core of its day; this function is that core as the RFC leaves it")
def dma_buf_detach(dmabuf, attach) -> None:
    """Mainline detach; a static importer of a pinned dynamic buffer unpins first."""
    if (attach is not None and dmabuf is not None
            and dma_buf_attachment_is_dynamic(attach) != core.dma_buf_is_dynamic(dmabuf)
            and core.dma_buf_is_dynamic(dmabuf)):
        dma_resv_lock(dmabuf.resv)
        dmabuf.ops.unpin(attach)
        dma_resv_unlock(dmabuf.resv)
    core.dma_buf_detach(dmabuf, attach)


@mirrors("posting:get-pfn-rfc#1/12:drivers/dma-buf/dma-buf.c:dma_buf_map_attachment", gap="patch 1/12 adds the get_pfn path to the dma-buf core of its day; this function is that core as the RFC leaves it")
def dma_buf_map_attachment(attach, direction: int):
    """Mainline map, with the RFC's WARN for an exporter that has no ``map_dma_buf``."""
    if WARN_ON(attach is None or attach.dmabuf is None or attach.dmabuf.ops.map_dma_buf is None,
               "dma_buf_map_attachment: exporter has no map_dma_buf"):
        return ERR_PTR(-EINVAL)
    return core.dma_buf_map_attachment(attach, direction)


@mirrors("posting:get-pfn-rfc#1/12:drivers/dma-buf/dma-buf.c:dma_buf_unmap_attachment", gap="patch 1/12 adds the get_pfn path to the dma-buf core of its day; this function is that core as the RFC leaves it")
def dma_buf_unmap_attachment(attach, sgt, direction: int) -> None:
    """Mainline unmap, with the RFC's WARN for an exporter without ``unmap_dma_buf``."""
    if WARN_ON(attach is None or attach.dmabuf is None or attach.dmabuf.ops.unmap_dma_buf is None,
               "dma_buf_unmap_attachment: exporter has no unmap_dma_buf"):
        return
    core.dma_buf_unmap_attachment(attach, sgt, direction)


@mirrors("posting:get-pfn-rfc#1/12:drivers/dma-buf/dma-buf.c:dma_buf_get_pfn_unlocked")
def dma_buf_get_pfn_unlocked(attach, pgoff: int) -> tuple[int, int, int]:
    """The PFN of page ``pgoff`` of the buffer and the largest mappable order there.

    Returns ``(0, pfn, max_order)`` or ``(-errno, 0, 0)``.  -EINVAL (WARN)
    when the exporter has no ``get_pfn``; -ENOENT for a buffer with pin/unpin
    when CONFIG_DMABUF_MOVE_NOTIFY is off (the RFC does not pin here and has
    no API to unpin, so it refuses); otherwise the exporter's answer, asked
    with the reservation lock held.
    """
    dmabuf = deref(attach, "dmabuf", "dma_buf_get_pfn_unlocked")   # read before the WARN_ON
    if WARN_ON(dmabuf is None or getattr(dmabuf.ops, "get_pfn", None) is None,
               "dma_buf_get_pfn_unlocked: exporter has no get_pfn"):
        return -EINVAL, 0, 0
    if core.dma_buf_is_dynamic(dmabuf) and not config_dmabuf_move_notify():
        return -ENOENT, 0, 0
    dma_resv_lock(dmabuf.resv)
    try:
        ret, pfn, max_order = dmabuf.ops.get_pfn(attach, pgoff)
    finally:
        dma_resv_unlock(dmabuf.resv)
    return ret, pfn, max_order


dma_buf_move_notify = core.dma_buf_move_notify      # unchanged from mainline
