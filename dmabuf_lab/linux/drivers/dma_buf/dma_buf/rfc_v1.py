"""drivers/dma-buf/dma-buf.c in RFC v1 of the interconnects series: interconnect-aware attach, match, map and unmap over the 6.19 core."""
from __future__ import annotations

from dataclasses import dataclass
from dmabuf_lab.core.attachment import dma_buf_attachment
from dmabuf_lab.linux.include.linux.dma_buf_h.mainline_6_19 import dma_buf_attachment_is_dynamic
from dmabuf_lab.core.ops import dma_buf_attach_ops, dma_buf_ops
from dmabuf_lab.kmodel import EINVAL, ENOMEM, EOPNOTSUPP, ERR_PTR, WARN_ON, dma_resv_assert_held, dma_resv_lock, dma_resv_unlock, kfree, kzalloc, might_sleep, xa_destroy, xa_init, xarray
from dmabuf_lab.linux.drivers.dma_buf.dma_buf import mainline_6_19 as core
from dmabuf_lab.linux.include.linux.dma_buf_interconnect_h.rfc_v1 import dma_buf_interconnect, dma_buf_interconnect_ops, dma_buf_ranges
from dmabuf_lab.revisions.base import deref, fixed
from dmabuf_lab.twins import mirrors
from typing import Any, Callable, Optional


@dataclass(eq=False)
class dma_buf_ops_ic(dma_buf_ops):
    """``struct dma_buf_ops`` with patch 1's ``interconnect_ops`` pointer."""

    interconnect_ops: Optional[dma_buf_interconnect_ops] = None


@dataclass(eq=False)
class dma_buf_attach_ops_ic(dma_buf_attach_ops):
    """``struct dma_buf_attach_ops`` with patch 2's ``supports_interconnects``."""

    supports_interconnects: Optional[Callable] = None   # bool (*)(attach, exp_list, n)


class dma_buf_attachment_ic(dma_buf_attachment):
    """``struct dma_buf_attachment`` with ``allow_ic`` and the embedded ``interconnect``."""

    fields = (("allow_ic", False), ("interconnect", dma_buf_interconnect))


@mirrors("posting:interconnects-rfc-v1#1/8:drivers/dma-buf/dma-buf.c:dma_buf_dynamic_attach", revisions=("rfc-v1", "rfc-v2"))
def dma_buf_dynamic_attach(dmabuf, dev, importer_ops=None, importer_priv: Any = None, *,
                           attachment_type: type = dma_buf_attachment_ic):
    """Mainline's dynamic attach with patch 2's change: ``allow_ic`` is set when the
    importer has ``supports_interconnects``, before the exporter's ``attach`` runs.

    ``attachment_type`` lets RFC v2, which keeps this change, allocate its own
    attachment struct.
    """
    if WARN_ON(dmabuf is None or dev is None, "dma_buf_dynamic_attach: NULL dmabuf or dev"):
        return ERR_PTR(-EINVAL)
    if WARN_ON(importer_ops is not None and importer_ops.move_notify is None,
               "dma_buf_dynamic_attach: importer_ops without move_notify"):
        return ERR_PTR(-EINVAL)

    attach = kzalloc(attachment_type)
    if attach is None:
        return ERR_PTR(-ENOMEM)
    core.__dma_buf_attachment_init(attach, dmabuf, dev, importer_ops, importer_priv)
    if importer_ops is not None and getattr(importer_ops, "supports_interconnects", None) is not None:
        attach.allow_ic = True          # patch 2: the one line added to mainline's attach

    if dmabuf.ops.attach is not None:
        ret = dmabuf.ops.attach(dmabuf, attach)
        if ret:
            kfree(attach)
            return ERR_PTR(ret)

    dma_resv_lock(dmabuf.resv)
    dmabuf.attachments.insert(0, attach)
    dma_resv_unlock(dmabuf.resv)
    return attach


@mirrors("posting:interconnects-rfc-v1#1/8:drivers/dma-buf/dma-buf.c:dma_buf_attach")
def dma_buf_attach(dmabuf, dev):
    """Static attach: no importer_ops, so neither P2P nor interconnects."""
    return dma_buf_dynamic_attach(dmabuf, dev, None, None)


@mirrors("posting:interconnects-rfc-v1#1/8:drivers/dma-buf/dma-buf.c:dma_buf_map_interconnect")
def dma_buf_map_interconnect(attach):
    """Map over the negotiated interconnect: a new ``dma_buf_ranges`` or ERR_PTR.

    Checks in the posted order: WARN on a NULL attachment (-EINVAL; as posted
    ``attach->dmabuf`` is read first, so a NULL attachment oopses instead),
    static importer (-EINVAL), ``!allow_ic`` (-EOPNOTSUPP), reservation lock
    held, exporter without ``map_interconnect`` (-EINVAL), then kzalloc
    (-ENOMEM), ``xa_init`` and the exporter's map.  A failed exporter map
    unwinds with ``xa_destroy`` + ``kfree``: the xarray's nodes go, the
    entries the exporter stored are the exporter's to free.
    """
    if not fixed("null-attach"):
        dmabuf = deref(attach, "dmabuf", "dma_buf_map_interconnect")
    might_sleep()
    if WARN_ON(attach is None or attach.dmabuf is None, "dma_buf_map_interconnect: NULL"):
        return ERR_PTR(-EINVAL)
    dmabuf = attach.dmabuf

    if not dma_buf_attachment_is_dynamic(attach):
        return ERR_PTR(-EINVAL)
    if not attach.allow_ic:
        return ERR_PTR(-EOPNOTSUPP)
    dma_resv_assert_held(attach.dmabuf.resv)

    ic_ops = getattr(dmabuf.ops, "interconnect_ops", None)
    if ic_ops is None or ic_ops.map_interconnect is None:
        return ERR_PTR(-EINVAL)

    ranges = kzalloc(dma_buf_ranges)
    if ranges is None:
        return ERR_PTR(-ENOMEM)

    xa_init(ranges.ranges)
    ret = ic_ops.map_interconnect(attach, ranges)
    if ret:
        xa_destroy(ranges.ranges)       # err_free_ranges
        kfree(ranges)
        return ERR_PTR(ret)
    return ranges


@mirrors("posting:interconnects-rfc-v1#1/8:drivers/dma-buf/dma-buf.c:dma_buf_unmap_interconnect")
def dma_buf_unmap_interconnect(attach, ranges) -> None:
    """Give ranges back: the exporter's unmap, then ``xa_destroy`` and ``kfree``.

    As posted it returns early, freeing nothing, when ``allow_ic`` is clear or
    the exporter has no ``unmap_interconnect`` (bug ``unmap-early-return``);
    the lock is asserted only after those tests.
    """
    if not fixed("null-attach"):
        deref(attach, "dmabuf", "dma_buf_unmap_interconnect")
    if WARN_ON(attach is None or attach.dmabuf is None or ranges is None,
               "dma_buf_unmap_interconnect: NULL"):
        return
    dmabuf = attach.dmabuf
    ic_ops = getattr(dmabuf.ops, "interconnect_ops", None)
    if not fixed("unmap-early-return"):
        if not attach.allow_ic:
            return
        if ic_ops is None or ic_ops.unmap_interconnect is None:
            return
    dma_resv_assert_held(attach.dmabuf.resv)
    if ic_ops is not None and ic_ops.unmap_interconnect is not None:
        ic_ops.unmap_interconnect(attach, ranges)
    xa_destroy(ranges.ranges)
    kfree(ranges)


@mirrors("posting:interconnects-rfc-v1#2/8:drivers/dma-buf/dma-buf.c:dma_buf_match_interconnects")
def dma_buf_match_interconnects(attach, exp, exp_ics: int, imp, imp_ics: int) -> bool:
    """Find the first interconnect both sides support; True and ``attach->interconnect.type`` set.

    Exporter list outside, importer list inside, so the exporter's order
    wins; a pair must have the same ``type`` and pass the exporter's
    ``match_interconnect``.  No list, no ``allow_ic`` or no match op: false
    with ``allow_ic`` left as it was.  No matching pair: ``allow_ic`` cleared.
    """
    dmabuf = deref(attach, "dmabuf", "dma_buf_match_interconnects")
    if exp is None or imp is None:
        return False
    if not attach.allow_ic:
        return False
    ic_ops = getattr(dmabuf.ops, "interconnect_ops", None)
    if ic_ops is None or ic_ops.match_interconnect is None:
        return False
    for i in range(exp_ics):
        for j in range(imp_ics):
            exp_ic = exp[i].interconnect
            imp_ic = imp[j].interconnect
            if exp_ic.type == imp_ic.type:
                if ic_ops.match_interconnect(exp_ic, imp_ic):
                    attach.interconnect.type = exp_ic.type
                    return True
    attach.allow_ic = False
    return False


# Unchanged from mainline.
dma_buf_detach = core.dma_buf_detach


dma_buf_map_attachment = core.dma_buf_map_attachment


dma_buf_unmap_attachment = core.dma_buf_unmap_attachment


dma_buf_move_notify = core.dma_buf_move_notify
