"""drivers/dma-buf/dma-buf.c in RFC v2 of the interconnects series: the IOV interconnect ops, match and map over the 6.19 core."""
from __future__ import annotations

from dataclasses import dataclass
from dmabuf_lab.core.attachment import dma_buf_attachment
from dmabuf_lab.linux.include.linux.dma_buf_h.mainline_6_19 import dma_buf_attachment_is_dynamic
from dmabuf_lab.core.ops import dma_buf_attach_ops
from dmabuf_lab.kmodel import EINVAL, EOPNOTSUPP, ERR_PTR, WARN_ON, dma_resv_assert_held, kstruct, might_sleep
from dmabuf_lab.linux.drivers.dma_buf.dma_buf import mainline_6_19 as core
from dmabuf_lab.revisions import rfc_v1
from dmabuf_lab.revisions.base import Oops
from dmabuf_lab.twins import mirrors
from typing import Any, Callable, Optional


@dataclass(eq=False)
class dma_buf_interconnect:
    """One interconnect, identified by its address (a singleton per kind)."""

    name: str


#: The IOV interconnect: a PF reaching its VF's BAR.
dma_buf_iov_interconnect = dma_buf_interconnect("iov")


@dataclass(eq=False)
class dma_buf_interconnect_ops:
    """The common part every interconnect's ops embed: a name and the exporter's match test.

    ``match_interconnect(exp, imp)`` -> bool: whether the exporter accepts
    the importer's entry for this interconnect.
    """

    name: str
    match_interconnect: Optional[Callable] = None


def container_of(ptr, cls, member: str):
    """The ``cls`` object whose member ``member`` is ``ptr``.

    C computes it blindly; applied to a common part that is embedded in
    some other type it yields garbage whose function pointers crash: the
    model raises :class:`Oops` then.
    """
    outer = getattr(ptr, "_container", None) if ptr is not None else None
    if not isinstance(outer, cls) or getattr(outer, member) is not ptr:
        raise Oops(f"container_of({type(ptr).__name__} -> {cls.__name__}.{member}): "
                   f"the pointer is not embedded in a {cls.__name__}")
    return outer


@dataclass(eq=False)
class dma_buf_iov_interconnect_ops:
    """IOV ops: ``map(attach) -> (dma_buf_mapping | ERR_PTR, bar_number, nelms)``; no unmap."""

    ic_ops: dma_buf_interconnect_ops
    map: Optional[Callable] = None

    def __post_init__(self):
        self.ic_ops._container = self


class dma_buf_interconnect_match(kstruct):
    """One entry of a match list: which interconnect, the exporter's ops for it (exporter
    entries only) and the IOV data (the PCI function and BAR)."""

    fields = ("interconnect", "ic_ops", "pdev", ("bar", 0))


@mirrors("posting:interconnects-rfc-v2#1/8:drivers/dma-buf/dma-buf.c:CREATE_IOV_INTERCONNECT")
def CREATE_IOV_INTERCONNECT(pdev, bar: int, ic_ops: Optional[dma_buf_interconnect_ops] = None):
    """An IOV match entry for ``pdev``'s BAR ``bar`` (on the stack)."""
    return dma_buf_interconnect_match(interconnect=dma_buf_iov_interconnect, ic_ops=ic_ops,
                                      pdev=pdev, bar=bar)


@dataclass(eq=False)
class dma_buf_attach_ops_v2(dma_buf_attach_ops):
    """Importer ops with ``supports_interconnects(attach, exp_matches, n) -> bool``."""

    supports_interconnects: Optional[Callable] = None


class dma_buf_attachment_v2(dma_buf_attachment):
    """The attachment with ``allow_ic``, the agreed interconnect and its ops (common part)."""

    fields = (("allow_ic", False), "interconnect", "ic_ops")


@mirrors("posting:interconnects-rfc-v2#1/8:drivers/dma-buf/dma-buf.c:dma_buf_dynamic_attach")
def dma_buf_dynamic_attach(dmabuf, dev, importer_ops: Optional[dma_buf_attach_ops] = None,
                           importer_priv: Any = None):
    """RFC v1's attach, kept: ``allow_ic`` starts true when the importer has
    ``supports_interconnects``; the attachment is v2's.

    The exporter's ``attach`` callback does the matching (and may fall back
    to its P2P rules when nothing matches).
    """
    return rfc_v1.dma_buf_dynamic_attach(dmabuf, dev, importer_ops, importer_priv,
                                         attachment_type=dma_buf_attachment_v2)


@mirrors("posting:interconnects-rfc-v2#1/8:drivers/dma-buf/dma-buf.c:dma_buf_attach")
def dma_buf_attach(dmabuf, dev):
    """Static attach: no importer_ops, so no interconnects."""
    return dma_buf_dynamic_attach(dmabuf, dev, None, None)


# Unchanged from mainline.
dma_buf_detach = core.dma_buf_detach


dma_buf_map_attachment = core.dma_buf_map_attachment


dma_buf_unmap_attachment = core.dma_buf_unmap_attachment


dma_buf_move_notify = core.dma_buf_move_notify


@mirrors("posting:interconnects-rfc-v2#1/8:drivers/dma-buf/dma-buf.c:dma_buf_match_interconnects")
def dma_buf_match_interconnects(attach, exp, exp_ics: int, imp, imp_ics: int) -> bool:
    """First exporter entry (exporter order) that an importer entry of the same interconnect
    matches, as the exporter's ``match_interconnect`` decides.

    On success the attachment records the interconnect and the exporter's
    ops for it; on failure ``allow_ic`` is cleared so both sides fall back
    to the sg_table path.
    """
    if not exp or not imp:
        return False
    if not attach.allow_ic:
        return False
    for i in range(exp_ics):
        for j in range(imp_ics):
            e, m = exp[i], imp[j]
            if e.interconnect is not m.interconnect:
                continue
            ops = e.ic_ops
            if ops is None or ops.match_interconnect is None:
                continue
            if ops.match_interconnect(e, m):
                attach.interconnect = e.interconnect
                attach.ic_ops = ops
                return True
    attach.allow_ic = False
    return False


@mirrors("posting:interconnects-rfc-v2#1/8:drivers/dma-buf/dma-buf.c:dma_buf_iov_map")
def dma_buf_iov_map(attach) -> tuple:
    """Map over the IOV interconnect: ``(mapping | ERR_PTR, bar_number, nelms)``.

    Jason's static inline (``container_of(attach->ic_ops, struct
    dma_buf_iov_interconnect_ops, ic_ops)->map(...)``) behind the checks the
    v2 core keeps: dynamic importers only (-EINVAL), ``allow_ic``
    (-EOPNOTSUPP), reservation lock held, an IOV attachment (-EINVAL).  The
    importer owns the returned mapping (there is no unmap).
    """
    might_sleep()
    if WARN_ON(attach is None or attach.dmabuf is None, "dma_buf_iov_map: NULL"):
        return ERR_PTR(-EINVAL), 0, 0
    if not dma_buf_attachment_is_dynamic(attach):
        return ERR_PTR(-EINVAL), 0, 0
    if not attach.allow_ic:
        return ERR_PTR(-EOPNOTSUPP), 0, 0
    dma_resv_assert_held(attach.dmabuf.resv)
    if attach.interconnect is not dma_buf_iov_interconnect:
        return ERR_PTR(-EINVAL), 0, 0
    ops = container_of(attach.ic_ops, dma_buf_iov_interconnect_ops, "ic_ops")
    return ops.map(attach)
