"""drivers/dma-buf/dma-buf.c in the 2026-02 mapping-types RFC: export, the mapping attach, the SGT compatibility ops, pin on map, and map and unmap of the agreed type (with the lab's match list of an importer's options)."""
from __future__ import annotations

from dataclasses import dataclass
from dmabuf_lab.core.attachment import dma_buf_attachment
from dmabuf_lab.core.ops import dma_buf_attach_ops, dma_buf_export_info, dma_buf_ops
from dmabuf_lab.kmodel import EBUSY, EINVAL, ENOMEM, ERR_PTR, IS_ERR, WARN_ON, WARN_ON_ONCE, dma_resv_assert_held, dma_resv_lock, dma_resv_unlock, kfree, kzalloc, might_sleep
from dmabuf_lab.kmodel.fence import DMA_RESV_USAGE_KERNEL, MAX_SCHEDULE_TIMEOUT, dma_resv_wait_timeout
from dmabuf_lab.linux.drivers.dma_buf.dma_buf import mainline_6_19 as core
from dmabuf_lab.linux.drivers.dma_buf.dma_buf_mapping.mapping_types_2026_02 import dma_buf_get_sgt_ops, dma_buf_match_mapping
from dmabuf_lab.linux.include.linux.dma_buf_mapping_h.mapping_types_2026_02 import DMA_BUF_EMAPPING_SGT, DMA_BUF_IMAPPING_SGT, DMA_SGT_IMPORTER_ACCEPTS_P2P, DMA_SGT_NO_P2P, dma_buf_mapping_match, dma_buf_mapping_sgt_exp_ops, dma_buf_match_args
from dmabuf_lab.revisions.base import deref, fixed
from dmabuf_lab.twins import mirrors
from typing import Any, Callable, Optional


class dma_buf_attachment_mt(dma_buf_attachment):
    """struct dma_buf_attachment with the series' ``map_type`` (the agreed match)."""

    fields = (("map_type", dma_buf_mapping_match),)


@dataclass(eq=False)
class dma_buf_ops_mt(dma_buf_ops):
    """dma_buf_ops with the series' ``match_mapping`` callback."""

    match_mapping: Optional[Callable] = None      # int (*)(struct dma_buf_match_args *)


@mirrors("jgunthorpe/linux@dbc930452b4b:drivers/dma-buf/dma-buf.c:dma_buf_sgt_compat_map_dma_buf", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def dma_buf_sgt_compat_map_dma_buf(attach, direction):
    """Compat: route SGT map to an unaware exporter's classic ``map_dma_buf``."""
    return attach.dmabuf.ops.map_dma_buf(attach, direction)


@mirrors("jgunthorpe/linux@dbc930452b4b:drivers/dma-buf/dma-buf.c:dma_buf_sgt_compat_unmap_dma_buf", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def dma_buf_sgt_compat_unmap_dma_buf(attach, sgt, direction) -> None:
    """Compat: route SGT unmap to an unaware exporter's classic ``unmap_dma_buf``."""
    attach.dmabuf.ops.unmap_dma_buf(attach, sgt, direction)


dma_buf_sgt_compat_exp_ops = dma_buf_mapping_sgt_exp_ops(
    map_dma_buf=dma_buf_sgt_compat_map_dma_buf, unmap_dma_buf=dma_buf_sgt_compat_unmap_dma_buf)


#: The one-entry exporter list the core uses for exporters without match_mapping().
dma_buf_sgt_exp_compat_match = DMA_BUF_EMAPPING_SGT(dma_buf_sgt_compat_exp_ops)


def match_list(*entries) -> list:
    """A C array of match entries (on the stack, fully initialised)."""
    return list(entries)


@mirrors("jgunthorpe/linux@dbc930452b4b:drivers/dma-buf/dma-buf.c:dma_buf_export", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def dma_buf_export(exp_info: dma_buf_export_info):
    """dma_buf_export() with the series' rule: an exporter has ``match_mapping`` *or*
    the classic ``map_dma_buf``/``unmap_dma_buf`` pair, never both (WARN, -EINVAL)."""
    ops = exp_info.ops
    if WARN_ON(exp_info.priv is None or ops is None or ops.release is None,
               "dma_buf_export: priv, ops or release missing"):
        return ERR_PTR(-EINVAL)
    if getattr(ops, "match_mapping", None) is not None:
        if WARN_ON(ops.map_dma_buf is not None or ops.unmap_dma_buf is not None,
                   "dma_buf_export: match_mapping together with map/unmap_dma_buf"):
            return ERR_PTR(-EINVAL)
    elif WARN_ON(ops.map_dma_buf is None or ops.unmap_dma_buf is None,
                 "dma_buf_export: no match_mapping and no map/unmap_dma_buf"):
        return ERR_PTR(-EINVAL)
    if WARN_ON((ops.pin is None) != (ops.unpin is None), "dma_buf_export: pin without unpin"):
        return ERR_PTR(-EINVAL)

    return core.__dma_buf_export(exp_info)


@mirrors("jgunthorpe/linux@dbc930452b4b:drivers/dma-buf/dma-buf.c:dma_buf_mapping_attach", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def dma_buf_mapping_attach(dmabuf, importer_matches, match_len: int,
                           importer_ops: Optional[dma_buf_attach_ops], importer_priv: Any = None):
    """Attach with the importer's match list; the agreed type ends in ``attach.map_type``.

    A mapping-aware exporter's ``match_mapping()`` is called (note: without
    the reservation lock); an unaware one is matched against the compat SGT
    entry.  No match fails the attach with the matcher's error.
    """
    args = dma_buf_match_args(dmabuf=dmabuf, imp_matches=importer_matches, imp_len=match_len)
    if WARN_ON(dmabuf is None, "dma_buf_mapping_attach: NULL dmabuf"):
        return ERR_PTR(-EINVAL)
    if WARN_ON(importer_ops is not None and importer_ops.move_notify is None,
               "dma_buf_mapping_attach: importer_ops without move_notify"):
        return ERR_PTR(-EINVAL)

    attach = kzalloc(dma_buf_attachment_mt)
    if attach is None:
        return ERR_PTR(-ENOMEM)
    args.attach = attach
    match_mapping = getattr(dmabuf.ops, "match_mapping", None)
    if match_mapping is not None:
        ret = match_mapping(args)
    else:
        ret = dma_buf_match_mapping(args, [dma_buf_sgt_exp_compat_match], 1)
    if ret:
        kfree(attach)
        return ERR_PTR(ret)

    attach.dmabuf = dmabuf
    attach.importer_ops = importer_ops
    attach.importer_priv = importer_priv
    attach.nr_mappings = 0
    if dmabuf.ops.attach is not None:
        ret = dmabuf.ops.attach(dmabuf, attach)
        if ret:
            kfree(attach)
            return ERR_PTR(ret)
    dma_resv_lock(dmabuf.resv)
    dmabuf.attachments.insert(0, attach)
    dma_resv_unlock(dmabuf.resv)
    return attach


@mirrors("jgunthorpe/linux@dbc930452b4b:drivers/dma-buf/dma-buf.c:dma_buf_attach", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def dma_buf_attach(dmabuf, dev):
    """Static attach: an SGT-only importer list without P2P."""
    sgt_match = match_list(DMA_BUF_IMAPPING_SGT(dev, DMA_SGT_NO_P2P))
    return dma_buf_mapping_attach(dmabuf, sgt_match, len(sgt_match), None, None)


@mirrors("jgunthorpe/linux@169394c2e408:drivers/dma-buf/dma-buf.c:dma_buf_sgt_dynamic_attach",
         gap="the branch as stored; patch 20/26 of the posting gives the function this name and body",
         revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def dma_buf_sgt_dynamic_attach(dmabuf, dev, importer_ops, importer_priv=None):
    """SGT-only wrapper for dynamic importers: accepts P2P when ``allow_peer2peer``.

    Patch 20/26 renamed it from ``dma_buf_dynamic_attach()``.  As posted it
    reads ``importer_ops->allow_peer2peer`` unconditionally, so a caller
    passing NULL ops (a static attach through this wrapper, as mainline's
    dma_buf_attach() used to be) oopses; the fix tests for NULL.
    """
    if fixed("dynamic-attach-null-ops"):
        p2p = importer_ops is not None and importer_ops.allow_peer2peer
    else:
        p2p = deref(importer_ops, "allow_peer2peer", "dma_buf_sgt_dynamic_attach")
    sgt_match = match_list(DMA_BUF_IMAPPING_SGT(
        dev, DMA_SGT_IMPORTER_ACCEPTS_P2P if p2p else DMA_SGT_NO_P2P))
    return dma_buf_mapping_attach(dmabuf, sgt_match, len(sgt_match), importer_ops, importer_priv)


#: The name the lab's shared sg_table importer calls (mainline's, before patch 20/26).
dma_buf_dynamic_attach = dma_buf_sgt_dynamic_attach


dma_buf_detach = core.dma_buf_detach      # unchanged from mainline


@mirrors("jgunthorpe/linux@dbc930452b4b:drivers/dma-buf/dma-buf.c:dma_buf_pin_on_map",
         gap="the RFC as posted; the branch (169394c2e408) has 609fc8766d68's form without the "
             "Kconfig term, which an exporter of the branch states by recording the option as set",
         revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def dma_buf_pin_on_map(attach) -> bool:
    """Map pins when the exporter has ``pin`` and the importer is static, or dynamic
    while CONFIG_DMABUF_MOVE_NOTIFY is off (the run's config, see
    :func:`dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_6_19.config_dmabuf_move_notify`)."""
    return attach.dmabuf.ops.pin is not None and (
        attach.importer_ops is None or not core.config_dmabuf_move_notify())


@mirrors("jgunthorpe/linux@169394c2e408:drivers/dma-buf/dma-buf.c:dma_buf_sgt_map_attachment",
         gap="the branch as stored (the posting's name is dma_buf_map_attachment() until its rename)",
         revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def dma_buf_map_attachment(attach, direction: int):
    """SGT map: through the matched SGT exp_ops (resv held).  Another type: WARN, -EINVAL.

    A static importer of an exporter with ``pin`` is pinned first (a failed
    pin is the map's error).  A static importer then waits for the buffer's
    KERNEL fences, as in mainline; a negative result unmaps again.  Any
    failure after the pin unpins.
    """
    might_sleep()
    sgt_ops = dma_buf_get_sgt_ops(attach) if attach is not None and attach.dmabuf is not None else None
    if WARN_ON(attach is None or attach.dmabuf is None or sgt_ops is None,
               "dma_buf_map_attachment: NULL or not an SGT attachment"):
        return ERR_PTR(-EINVAL)
    dmabuf = attach.dmabuf
    dma_resv_assert_held(dmabuf.resv)
    pin_on_map = dma_buf_pin_on_map(attach)
    if pin_on_map:
        ret = dmabuf.ops.pin(attach)
        WARN_ON_ONCE(ret == -EBUSY, "exporter refused a pin while attachments exist")
        if ret:
            return ERR_PTR(ret)
    sgt = sgt_ops.map_dma_buf(attach, direction)
    if sgt is None:
        sgt = ERR_PTR(-ENOMEM)
    if IS_ERR(sgt):
        if pin_on_map:
            dmabuf.ops.unpin(attach)
        return sgt
    if attach.importer_ops is None:
        ret = dma_resv_wait_timeout(dmabuf.resv, DMA_RESV_USAGE_KERNEL, True, MAX_SCHEDULE_TIMEOUT)
        if ret < 0:
            sgt_ops.unmap_dma_buf(attach, sgt, direction)
            if pin_on_map:
                dmabuf.ops.unpin(attach)
            return ERR_PTR(ret)
    attach.nr_mappings += 1
    return sgt


@mirrors("jgunthorpe/linux@169394c2e408:drivers/dma-buf/dma-buf.c:dma_buf_sgt_unmap_attachment",
         gap="the branch as stored (the posting's name is dma_buf_unmap_attachment() until its rename)",
         revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def dma_buf_unmap_attachment(attach, sgt, direction: int) -> None:
    """SGT unmap through the matched exp_ops (resv held), then the unpin a map's pin asks for."""
    dma_resv_assert_held(attach.dmabuf.resv)
    dma_buf_get_sgt_ops(attach).unmap_dma_buf(attach, sgt, direction)
    if attach.nr_mappings:
        attach.nr_mappings -= 1
    if dma_buf_pin_on_map(attach):
        attach.dmabuf.ops.unpin(attach)


dma_buf_move_notify = core.dma_buf_move_notify      # unchanged from mainline
