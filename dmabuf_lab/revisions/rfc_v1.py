"""rfc-v1: "dma-buf: Add support for mapping dmabufs via interconnects", RFC v1.

Models Vivek Kasireddy's 8-patch RFC of 2025-10-14 as posted, from
the RFC v1 thread (2025-10-14) (patches and reviews).  This module is the
dma-buf core part, patches 1-3 (``drivers/dma-buf/dma-buf.c`` and the new
``include/linux/dma-buf-interconnect.h``):

* patch 1: ``struct dma_buf_ranges {xarray ranges; nranges}``,
  ``enum dma_buf_interconnect_type``, ``struct dma_buf_interconnect``,
  ``dma_buf_interconnect_ops {map_interconnect, unmap_interconnect}`` hung off
  ``dma_buf_ops.interconnect_ops``, ``attach->allow_ic`` and
  ``attach->interconnect``, :func:`dma_buf_map_interconnect` /
  :func:`dma_buf_unmap_interconnect`;
* patch 2: ``supports_interconnects`` in ``dma_buf_attach_ops`` (sets
  ``allow_ic`` in :func:`dma_buf_dynamic_attach`), ``match_interconnect`` and
  :func:`dma_buf_match_interconnects` (exporter list outside, importer list
  inside; the exporter's ``match_interconnect`` decides);
* patch 3: ``DMA_BUF_INTERCONNECT_IOV`` and ``struct dma_buf_iov_interconnect
  {base, pdev, bar}`` with ``CREATE_IOV_INTERCONNECT()``.

The vfio-pci side (patch 4) is in ``drivers/vfio_pci/rfc_v1.py``, the xe side
(patches 5-8) in ``drivers/xe/rfc_v1.py`` and the modules it imports.

Bugs (``REVISION.bugs``), each fixed by the variant ``fix-<name>`` and all of
them by ``fixed``.  None of these was named in the thread's reviews, which
were about the interface (kerneldoc, pointer identity, xarray of pointers,
iterators, mapping types); the three marked (facts) are listed in
``docs/sources.md``, the rest were found by the lab.

Three have no litmus scenario and are tested directly in
``tests/revisions/test_rfc_v1.py``: no modelled driver reaches
``null-attach`` (xe asserts its attachment, the others pass what attach
returned) or ``unmap-early-return`` (xe, the only importer with ranges to
give back, unmaps before it clears ``allow_ic``, and vfio has the unmap
op); ``xe-remap-leak`` is reached, but every posted IOV map also leaks its
``dma_buf_ranges`` (``xe-ranges-leak``), and a scenario compares finding
kinds, so fixing it alone still shows a ``leak``.

Sources: ``docs/sources.md`` [interconnects-rfc-v1].
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from dmabuf_lab.core.attachment import dma_buf_attachment, dma_buf_attachment_is_dynamic
from dmabuf_lab.core.ops import dma_buf_attach_ops, dma_buf_ops
from dmabuf_lab.kmodel import (EINVAL, ENOMEM, EOPNOTSUPP, ERR_PTR, IS_ERR, WARN_ON, dma_resv_assert_held,
                               dma_resv_lock, dma_resv_unlock, kfree, kstruct, kzalloc, might_sleep,
                               xa_destroy, xa_init, xarray)
from dmabuf_lab.revisions.base import Revision, deref, fixed

from dmabuf_lab.linux.drivers.dma_buf.dma_buf import mainline_6_19 as core  # drivers/dma-buf/dma-buf.c (6.19)
from dmabuf_lab.twins import mirrors

REVISION = Revision(
    name="rfc-v1",
    module="rfc_v1",
    title="dma-buf: Add support for mapping dmabufs via interconnects (RFC v1)",
    date="2025-10-14",
    source="interconnects-rfc-v1",
    patch="[RFC 0/8] dma-buf: Add support for mapping dmabufs via interconnects (Vivek Kasireddy)",
    bugs={
        "null-attach": "(lab) dma_buf_map/unmap_interconnect() read attach->dmabuf before WARN_ON(!attach); "
                       "no driver passes NULL (unit test only)",
        "unmap-early-return": "(lab) dma_buf_unmap_interconnect() returns without freeing the ranges when "
                              "allow_ic is clear or the exporter has no unmap op; no driver path gets "
                              "there (unit test only)",
        "ic-revoked": "(lab) vfio accepts an interconnect attach before its revoked test and "
                      "vfio_pci_map_interconnect() never tests revoked",
        "iov-match-pf": "(lab) vfio_pci_match_iov_interconnect() accepts a PF exporter: pci_physfn() of "
                        "a PF is the PF, while patch 3 says the exporter is a VF",
        "xe-ranges-leak": "(lab) xe_bo_move_dmabuf() never unmaps the dma_buf_ranges it mapped",
        "xe-no-fallback": "(lab) xe_bo_xarray_to_dma_addr() returns 0 when it cannot translate: "
                          "no sg_table and no DPA array, the bind dereferences a NULL sg_table",
        "xe-remap-leak": "(lab) a second xe_bo_move_dmabuf() overwrites dma_data: the old DPA array "
                         "and the LMEM object reference leak; the ranges leak masks it in every "
                         "scenario (unit test)",
        "xe-bo-addr-page-size": "(lab) xe_bo_addr() is passed the range length as page_size; "
                                "xe_assert(page_size <= PAGE_SIZE) fires on CONFIG_DRM_XE_DEBUG",
        "vf-lookup-last-page": "(facts) xe_find_vf_dev() tests phys < start + len - PAGE_SIZE: "
                               "the last page of every VF BAR finds no VF",
        "start-only-translation": "(facts) only each range's start goes through xe_bo_addr(): a range "
                                  "crossing a VRAM block boundary is mistranslated",
        "get-order-overstates": "(facts) order = get_order(len) rounds up: the entry claims more "
                                "bytes than the range has",
        "sgt-helper": "inherited 6.19 dma_buf_phys_vec_to_sgt()/dma_buf_free_sgt() leak (vfio's sg path)",
    },
)

# ---------------------------------------------------------------------------
# include/linux/dma-buf-interconnect.h
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# drivers/dma-buf/dma-buf.c
# ---------------------------------------------------------------------------

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

__all__ = [
    "REVISION", "DMA_BUF_INTERCONNECT_NONE", "DMA_BUF_INTERCONNECT_IOV", "dma_buf_ranges",
    "dma_buf_interconnect", "dma_buf_iov_interconnect", "dma_buf_interconnect_match",
    "CREATE_IOV_INTERCONNECT", "container_of_iov", "dma_buf_interconnect_ops", "dma_buf_ops_ic",
    "dma_buf_attach_ops_ic", "dma_buf_attachment_ic", "dma_buf_dynamic_attach", "dma_buf_attach",
    "dma_buf_map_interconnect", "dma_buf_unmap_interconnect", "dma_buf_match_interconnects",
    "dma_buf_attachment_is_dynamic", "dma_buf_detach", "dma_buf_map_attachment", "dma_buf_unmap_attachment",
    "dma_buf_move_notify", "IS_ERR",
]
