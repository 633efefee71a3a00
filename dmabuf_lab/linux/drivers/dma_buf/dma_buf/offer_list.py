"""drivers/dma-buf/dma-buf.c under the offer-list proposal: interconnects, the offer, negotiation, and the interconnect attach, map and unmap."""
from __future__ import annotations

from dataclasses import dataclass
from dmabuf_lab.core.attachment import dma_buf_attachment
from dmabuf_lab.core.ops import dma_buf_attach_ops, dma_buf_ops
from dmabuf_lab.kmodel import EINVAL, ENOMEM, EOPNOTSUPP, ERR_PTR, IS_ERR, WARN_ON, dma_resv_assert_held, dma_resv_lock, dma_resv_unlock, kfree, kzalloc
from dmabuf_lab.linux.drivers.dma_buf.dma_buf import mainline_6_19 as core
from dmabuf_lab.twins import mirrors
from typing import Any, Callable, Optional


@dataclass(eq=False)
class dma_buf_interconnect:
    """One interconnect, identified by its address.

    ``kind`` is the lab's name for what an importer holds after mapping over
    it (``dma-addr``, ``private``, ``iov``, ``phys``); ``owner`` is the
    hardware it belongs to (a VRAM, a link) or None for a global one.
    """

    name: str
    kind: str
    owner: Any = None


@dataclass(eq=False)
class dma_buf_interconnect_negotiation:
    """One entry of an importer's offer: an interconnect and its arguments."""

    interconnect: dma_buf_interconnect
    interconnect_args: Any = None


@dataclass(eq=False)
class dma_buf_interconnect_attach_ops:
    """The common part every interconnect's attach ops embed (``container_of`` target)."""

    name: str = ""


@dataclass(eq=False)
class dma_buf_interconnect_map_ops(dma_buf_interconnect_attach_ops):
    """Type-specific ops of one interconnect: ``map(attach)`` -> its own address list."""

    map: Optional[Callable] = None
    unmap: Optional[Callable] = None


@dataclass(eq=False)
class dma_buf_ops_ic(dma_buf_ops):
    """dma_buf_ops of an interconnect-aware exporter.

    ``negotiate(dmabuf, offer, n)`` returns the first acceptable index or a
    negative errno; ``attach_interconnect(dmabuf, attach)`` acknowledges the
    chosen entry (sets ``attach.interconnect_attach`` and ``attach.ic_ops``)
    or refuses with an errno.
    """

    negotiate: Optional[Callable] = None
    attach_interconnect: Optional[Callable] = None
    detach_interconnect: Optional[Callable] = None


class dma_buf_attachment_ic(dma_buf_attachment):
    """An attachment with the proposal's fields."""

    fields = ("interconnect", "interconnect_args", ("interconnect_attach", False), "ic_ops")


#: The generic interconnect: DMA addresses for the struct device in the args.
dmabuf_generic_dma_addr_t = dma_buf_interconnect("generic dma_addr_t", "dma-addr")


#: Physical addresses, as vfio, KVM and iommufd want them.
dmabuf_phys_addr_t = dma_buf_interconnect("phys_addr_t", "phys")


#: A slice of a PCI BAR (args: the importing PF and the BAR number).
dmabuf_pci_bar_slice = dma_buf_interconnect("PCI BAR slice", "iov")


def container_of(ops, cls):
    """Recover the type-specific ops from the embedded common part; a wrong type is a bug."""
    if WARN_ON(not isinstance(ops, cls), f"container_of: {type(ops).__name__} is not {cls.__name__}"):
        return None
    return ops


@mirrors("posting:offer-list:drivers/dma-buf/dma-buf.c:dma_buf_negotiate", gap="a proposal in prose (no patch): the function is the lab's reading of it")
def dma_buf_negotiate_first(offer, n: int, accepts: Callable) -> int:
    """Helper for exporters: run down the offer, return the first index ``accepts`` likes."""
    for i in range(n):
        if accepts(offer[i]):
            return i
    return -EOPNOTSUPP


@mirrors("posting:offer-list:drivers/dma-buf/dma-buf.c:dma_buf_negotiate", gap="a proposal in prose (no patch): the function is the lab's reading of it")
def dma_buf_negotiate(dmabuf, offer, n: int) -> int:
    """Index of the first offer entry the exporter accepts, or -EOPNOTSUPP.

    An exporter without ``negotiate`` supports no interconnect: the core
    picks the generic ``dma_addr_t`` entry if the importer offered one.
    """
    if WARN_ON(dmabuf is None or n <= 0, "dma_buf_negotiate: empty offer"):
        return -EINVAL
    neg = getattr(dmabuf.ops, "negotiate", None)
    if neg is not None:
        return neg(dmabuf, offer, n)
    for i in range(n):
        if offer[i].interconnect is dmabuf_generic_dma_addr_t:
            return i
    return -EOPNOTSUPP


def _generic_map(attach):
    """Generic dma_addr_t map for an unaware exporter: dma_buf_map_attachment (resv held)."""
    return core.dma_buf_map_attachment(attach, 0)


def _generic_unmap(attach, sgt) -> None:
    core.dma_buf_unmap_attachment(attach, sgt, 0)


dma_buf_generic_dma_addr_ops = dma_buf_interconnect_map_ops(
    name="generic dma_addr_t (core fallback)", map=_generic_map, unmap=_generic_unmap)


@mirrors("posting:offer-list:drivers/dma-buf/dma-buf.c:dma_buf_attach_interconnect", gap="a proposal in prose (no patch): the function is the lab's reading of it")
def dma_buf_attach_interconnect(dmabuf, item: dma_buf_interconnect_negotiation,
                                importer_ops: dma_buf_attach_ops, importer_priv: Any = None):
    """Attach over the negotiated ``item``; returns the attachment or ERR_PTR.

    Aware exporter: allocate the attachment, record the interconnect and let
    the exporter's ``attach_interconnect`` acknowledge it.  Unaware exporter
    with the generic entry: ``dma_buf_dynamic_attach()`` for the device in
    the args, with the core's generic ops.  Anything else: -EOPNOTSUPP.
    """
    ic = item.interconnect
    aware = getattr(dmabuf.ops, "attach_interconnect", None) is not None
    if not aware:
        if ic is not dmabuf_generic_dma_addr_t:
            return ERR_PTR(-EOPNOTSUPP)
        attach = core.dma_buf_dynamic_attach(dmabuf, item.interconnect_args, importer_ops,
                                             importer_priv, attachment_type=dma_buf_attachment_ic)
        if IS_ERR(attach):
            return attach
        attach.interconnect = ic
        attach.interconnect_args = item.interconnect_args
        attach.interconnect_attach = True
        attach.ic_ops = dma_buf_generic_dma_addr_ops
        return attach

    if WARN_ON(importer_ops is None or importer_ops.move_notify is None,
               "dma_buf_attach_interconnect: importer_ops without move_notify"):
        return ERR_PTR(-EINVAL)
    attach = kzalloc(dma_buf_attachment_ic)
    if attach is None:
        return ERR_PTR(-ENOMEM)
    attach.dmabuf = dmabuf
    attach.dev = item.interconnect_args if ic is dmabuf_generic_dma_addr_t else None
    attach.importer_ops = importer_ops
    attach.importer_priv = importer_priv
    attach.peer2peer = bool(importer_ops.allow_peer2peer)
    attach.nr_mappings = 0
    attach.interconnect = ic
    attach.interconnect_args = item.interconnect_args
    ret = dmabuf.ops.attach_interconnect(dmabuf, attach)
    if ret:
        kfree(attach)
        return ERR_PTR(ret)
    if WARN_ON(not attach.interconnect_attach or attach.ic_ops is None,
               "exporter accepted the attach but did not acknowledge the interconnect"):
        kfree(attach)
        return ERR_PTR(-EINVAL)
    dma_resv_lock(dmabuf.resv)
    dmabuf.attachments.insert(0, attach)
    dma_resv_unlock(dmabuf.resv)
    return attach


@mirrors("posting:offer-list:drivers/dma-buf/dma-buf.c:dma_buf_detach_interconnect", gap="a proposal in prose (no patch): the function is the lab's reading of it")
def dma_buf_detach_interconnect(attach) -> None:
    """Undo dma_buf_attach_interconnect()."""
    dmabuf = attach.dmabuf
    if getattr(dmabuf.ops, "attach_interconnect", None) is None:
        core.dma_buf_detach(dmabuf, attach)
        return
    dma_resv_lock(dmabuf.resv)
    core._list_del(dmabuf.attachments, attach)
    dma_resv_unlock(dmabuf.resv)
    if getattr(dmabuf.ops, "detach_interconnect", None) is not None:
        dmabuf.ops.detach_interconnect(dmabuf, attach)
    kfree(attach)


@mirrors("posting:offer-list:drivers/dma-buf/dma-buf.c:dma_buf_interconnect_map", gap="a proposal in prose (no patch): the function is the lab's reading of it")
def dma_buf_interconnect_map(attach):
    """Call the negotiated interconnect's ``map`` (resv held); its own type or ERR_PTR."""
    dma_resv_assert_held(attach.dmabuf.resv)
    ops = container_of(attach.ic_ops, dma_buf_interconnect_map_ops)
    if ops is None or ops.map is None:
        return ERR_PTR(-EINVAL)
    return ops.map(attach)


@mirrors("posting:offer-list:drivers/dma-buf/dma-buf.c:dma_buf_interconnect_unmap", gap="a proposal in prose (no patch): the function is the lab's reading of it")
def dma_buf_interconnect_unmap(attach, addrs) -> None:
    """Call the negotiated interconnect's ``unmap`` (resv held)."""
    dma_resv_assert_held(attach.dmabuf.resv)
    ops = container_of(attach.ic_ops, dma_buf_interconnect_map_ops)
    if ops is not None and ops.unmap is not None:
        ops.unmap(attach, addrs)


@mirrors("posting:offer-list:drivers/dma-buf/dma-buf.c:dma_buf_move_notify", gap="a proposal in prose (no patch): the function is the lab's reading of it")
def dma_buf_move_notify(dmabuf) -> None:
    """Unchanged from mainline."""
    core.dma_buf_move_notify(dmabuf)
