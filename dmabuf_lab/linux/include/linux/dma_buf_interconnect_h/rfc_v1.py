"""include/linux/dma-buf-interconnect.h as RFC v1 of the interconnects series adds it: the interconnect kinds, the IOV interconnect and its match."""
from __future__ import annotations

from dataclasses import dataclass
from dmabuf_lab.core.ops import dma_buf_ops
from dmabuf_lab.kmodel import WARN_ON, kstruct, xarray
from dmabuf_lab.twins import mirrors
from typing import Callable, Optional


# enum dma_buf_interconnect_type
DMA_BUF_INTERCONNECT_NONE = 0


DMA_BUF_INTERCONNECT_IOV = 1


class dma_buf_ranges(kstruct):
    """What map_interconnect fills: an xarray of exporter-defined entries and their count."""

    fields = (("ranges", xarray), ("nranges", 0))
    sizeof = 24


class dma_buf_interconnect(kstruct):
    """An interconnect, identified by its ``type`` (a global enum, as posted)."""

    fields = (("type", DMA_BUF_INTERCONNECT_NONE),)


class dma_buf_iov_interconnect(dma_buf_interconnect):
    """The IOV interconnect between an SR-IOV PF and its VFs: ``base`` first, then pdev and BAR.

    ``base`` is the first member, so a pointer to it is a pointer to the whole
    struct; the model makes it the base class for the same reason.
    """

    fields = ("pdev", ("bar", 0))


class dma_buf_interconnect_match(kstruct):
    """One entry of an exporter's or importer's list: a pointer to an interconnect."""

    fields = ("interconnect",)


@mirrors("posting:interconnects-rfc-v1#3/8:include/linux/dma-buf-interconnect.h:CREATE_IOV_INTERCONNECT")
def CREATE_IOV_INTERCONNECT(pdev, bar) -> dma_buf_interconnect_match:
    """A match entry pointing at a compound-literal IOV interconnect (on the stack)."""
    return dma_buf_interconnect_match(
        interconnect=dma_buf_iov_interconnect(type=DMA_BUF_INTERCONNECT_IOV, pdev=pdev, bar=bar))


@mirrors("posting:interconnects-rfc-v1#3/8:include/linux/dma-buf-interconnect.h:container_of_iov")
def container_of_iov(ic) -> dma_buf_iov_interconnect:
    """``container_of(ic, struct dma_buf_iov_interconnect, base)``.

    The C cannot check; the model WARNs when the object is not an IOV
    interconnect (reading its pdev would read past a smaller struct).
    """
    WARN_ON(not isinstance(ic, dma_buf_iov_interconnect),
            f"container_of: {type(ic).__name__} is not a dma_buf_iov_interconnect")
    return ic


@dataclass(eq=False)
class dma_buf_interconnect_ops:
    """The exporter's interconnect callbacks (``dma_buf_ops.interconnect_ops``)."""

    map_interconnect: Optional[Callable] = None     # int (*)(attach, struct dma_buf_ranges *)
    unmap_interconnect: Optional[Callable] = None   # void (*)(attach, struct dma_buf_ranges *)
    match_interconnect: Optional[Callable] = None   # bool (*)(exp_ic, imp_ic)
