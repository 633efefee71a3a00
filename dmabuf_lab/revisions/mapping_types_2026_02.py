"""mapping-types-2026-02: DMA-buf mapping types, as posted on 2026-02-17.

Models "[PATCH RFC 00/26] Add DMA-buf mapping types and convert vfio/iommufd
to use them" (Jason Gunthorpe), the series that followed the design in
the RFC v2 0/8 thread (2025-10-30/31) and is summarised in ``docs/sources.md``
(mapping-types-2026-02).  Patches modelled here: 01 (``dma_buf_mapping_type``,
``dma_buf_mapping_match``, ``dma_buf_match_args``, ``dma_buf_match_mapping``),
the SGT type (``dma_buf_mapping_sgt_type``, ``sgt_data``, the P2P rule,
``dma_buf_sgt_exp_compat_match``), ``dma_buf_mapping_attach`` with
``dma_buf_attach`` / ``dma_buf_dynamic_attach`` turned into wrappers (patch 20/26
renames the latter ``dma_buf_sgt_dynamic_attach``), and the
PAL type (``dma_buf_phys_list``, ``dma_buf_pal_map_phys`` /
``dma_buf_pal_unmap_phys``).  The vfio, iommufd and xe conversions live in
``drivers/{vfio_pci,iommufd,xe}/mapping_types_2026_02.py``.

A mapping type is a singleton identified by its address (here: object
identity).  The importer passes a list of match entries to
``dma_buf_mapping_attach()``; the exporter's ``match_mapping()`` builds its
own list and calls ``dma_buf_match_mapping()``, which walks the *exporter*
list outside and the importer list inside, so the exporter's order wins.

Bugs as posted (see ``REVISION.bugs``), each with its fix behind a variant:

``xe-match-len``
    xe fills ``num_match`` entries of a 2-entry stack array but passes
    ``ARRAY_SIZE()``; the matcher reads an uninitialised entry.
``vfio-match-lock``
    vfio's ``match_mapping`` asserts the reservation lock, which
    ``dma_buf_mapping_attach()`` does not take.
``dynamic-attach-null-ops``
    ``dma_buf_sgt_dynamic_attach()`` reads ``importer_ops->allow_peer2peer``
    with no NULL check; a static attach through it oopses.
``pal-revoked``
    the vfio PAL ``map_phys`` has no ``revoked`` check, so a revoked BAR's
    addresses are handed out again.
``egm-match-lock``, ``egm-pal-revoked``
    the same two vfio bugs repeated by the nvgrace-gpu EGM exporter written
    on this API (:mod:`dmabuf_lab.drivers.nvgrace_egm.mapping_types_2026_02`).
``egm-fd-error-put``
    that exporter's export path frees ``priv`` twice when the fd install
    fails (the shape of the vfio double free fixed by e98137f0a874).
``sgt-helper``
    inherited from 6.19, not introduced by the series: the SGT path of vfio
    still goes through ``dma_buf_phys_vec_to_sgt()``, whose table leaks
    its scatterlist chunk on ``dma_buf_free_sgt()`` (see the mainline
    revision).

Sources: ``docs/sources.md`` [mapping-types-rfc].
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from dmabuf_lab.core.attachment import dma_buf_attachment
from dmabuf_lab.core.ops import dma_buf_attach_ops, dma_buf_export_info, dma_buf_ops
from dmabuf_lab.kmodel import (EBUSY, EINVAL, ENOMEM, EOPNOTSUPP, ERR_PTR, IS_ERR, WARN_ON, WARN_ON_ONCE,
                               dma_resv_assert_held, dma_resv_lock, dma_resv_unlock, kfree, kstruct,
                               kzalloc, might_sleep)
from dmabuf_lab.kmodel.fence import DMA_RESV_USAGE_KERNEL, MAX_SCHEDULE_TIMEOUT, dma_resv_wait_timeout
from dmabuf_lab.pci.p2pdma import pci_p2pdma_distance
from dmabuf_lab.revisions.base import Revision, deref, fixed
from dmabuf_lab.twins import mirrors

#: drivers/dma-buf/dma-buf.c as merged (the module, not the struct the package exports)
from dmabuf_lab.linux.drivers.dma_buf.dma_buf import mainline_6_19 as core
from dmabuf_lab.twins import mirrors

REVISION = Revision(
    name="mapping-types-2026-02",
    module="mapping_types_2026_02",
    title="DMA-buf mapping types (RFC 00/26)",
    date="2026-02-17",
    source="mapping-types-rfc",
    patch="[PATCH RFC 00/26] Add DMA-buf mapping types and convert vfio/iommufd to use them",
    bugs={
        "xe-match-len": "xe passes ARRAY_SIZE(sgt_match) instead of num_match to dma_buf_match_mapping()",
        "vfio-match-lock": "vfio_pci_dma_buf_match_mapping() asserts the resv lock; attach does not hold it",
        "dynamic-attach-null-ops": "dma_buf_sgt_dynamic_attach() dereferences importer_ops without a NULL check",
        "pal-revoked": "vfio's PAL map_phys() does not check priv->revoked",
        "sgt-helper": "dma_buf_phys_vec_to_sgt()/dma_buf_free_sgt() as merged in 6.19 (leaks the sg chunk)",
        "egm-match-lock": "nvgrace-gpu EGM (ankita-nv/linux 35fb3d7c0741): match_mapping asserts the "
                          "resv lock attach does not hold",
        "egm-pal-revoked": "nvgrace-gpu EGM: PAL map_phys() does not check priv->revoked",
        "egm-fd-error-put": "nvgrace-gpu EGM: a failing dma_buf_fd() puts the buffer and falls through the "
                            "labels that free priv and its phys list again (the vfio double free of "
                            "e98137f0a874)",
    },
)

# ---------------------------------------------------------------------------
# include/linux/dma-buf-mapping.h: the types
# ---------------------------------------------------------------------------

# enum dma_sgt_requires_p2p
DMA_SGT_NO_P2P = 0
DMA_SGT_EXPORTER_REQUIRES_P2P_DISTANCE = 1
DMA_SGT_IMPORTER_ACCEPTS_P2P = 2


@dataclass(eq=False)
class dma_buf_mapping_type:
    """One mapping type; a singleton compared by address.

    ``match(dmabuf, exp, imp)``: 0 compatible, -EOPNOTSUPP try the next pair,
    any other error aborts matching.  None means "same type always matches".
    ``finish_match(args, exp, imp)`` records the result in ``args.attach``.
    """

    name: str
    match: Optional[Callable] = None
    finish_match: Optional[Callable] = None
    debugfs_dump: Optional[Callable] = None


@dataclass(eq=False)
class dma_buf_mapping_exp_ops:
    """The empty tag every per-type exporter ops table embeds (reached with container_of)."""


@dataclass(eq=False)
class dma_buf_mapping_sgt_exp_ops(dma_buf_mapping_exp_ops):
    """SGT exporter ops: the classic map/unmap pair, now per mapping type."""

    map_dma_buf: Optional[Callable] = None
    unmap_dma_buf: Optional[Callable] = None


@dataclass(eq=False)
class dma_buf_mapping_pal_exp_ops(dma_buf_mapping_exp_ops):
    """PAL exporter ops: hand out / take back a physical address list."""

    map_phys: Optional[Callable] = None
    unmap_phys: Optional[Callable] = None


class dma_buf_sgt_data(kstruct):
    """The SGT member of the match union."""

    fields = ("importing_dma_device", "exporting_p2p_device",
              ("importer_accepts_p2p", DMA_SGT_NO_P2P), ("exporter_requires_p2p", DMA_SGT_NO_P2P))


class dma_buf_mapping_match(kstruct):
    """One entry of an importer or exporter match list: a type, the exporter's ops, type data."""

    fields = ("type", "exp_ops", ("sgt_data", dma_buf_sgt_data))


class dma_buf_match_args(kstruct):
    """What dma_buf_mapping_attach() hands to the exporter's match_mapping()."""

    fields = ("dmabuf", "attach", "imp_matches", ("imp_len", 0))


class dma_buf_attachment_mt(dma_buf_attachment):
    """struct dma_buf_attachment with the series' ``map_type`` (the agreed match)."""

    fields = (("map_type", dma_buf_mapping_match),)


@dataclass(eq=False)
class dma_buf_ops_mt(dma_buf_ops):
    """dma_buf_ops with the series' ``match_mapping`` callback."""

    match_mapping: Optional[Callable] = None      # int (*)(struct dma_buf_match_args *)


# ---------------------------------------------------------------------------
# drivers/dma-buf/dma-buf-mapping.c: matching
# ---------------------------------------------------------------------------

@mirrors("jgunthorpe/linux@476e59f8dedd:drivers/dma-buf/dma-buf-mapping.c:dma_buf_match_mapping", gap="the RFC's match loop read in the rebased branch (2026-03), where it is unchanged", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def dma_buf_match_mapping(args: dma_buf_match_args, exp, exp_len: int) -> int:
    """Pick the first exporter entry (in exporter order) some importer entry accepts.

    For each exporter entry, each importer entry of the same type pointer
    is tried; the type's ``match`` (if any) decides: -EOPNOTSUPP moves on,
    another error aborts with it.  On success ``finish_match`` records the
    result and 0 is returned; with no compatible pair, -EINVAL.
    """
    for e in range(exp_len):
        ex = exp[e]
        for i in range(args.imp_len):
            im = args.imp_matches[i]
            if ex.type is not im.type:
                continue
            if ex.type.match is not None:
                ret = ex.type.match(args.dmabuf, ex, im)
                if ret == -EOPNOTSUPP:
                    continue
                if ret != 0:
                    return ret
            ex.type.finish_match(args, ex, im)
            return 0
    return -EINVAL


# --- the SGT type ------------------------------------------------------------

@mirrors("posting:mapping-types-rfc:drivers/dma-buf/dma-buf-mapping.c:dma_buf_sgt_match", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def dma_buf_sgt_match(dmabuf, exp, imp) -> int:
    """A P2P-requiring exporter needs an importer that accepts P2P and can reach it."""
    req = exp.sgt_data.exporter_requires_p2p
    if req == DMA_SGT_NO_P2P:
        return 0
    if req == DMA_SGT_EXPORTER_REQUIRES_P2P_DISTANCE:
        if (WARN_ON(exp.sgt_data.exporting_p2p_device is None, "SGT_P2P without an exporting device")
                or imp.sgt_data.importer_accepts_p2p != DMA_SGT_IMPORTER_ACCEPTS_P2P):
            return -EOPNOTSUPP
        if pci_p2pdma_distance(exp.sgt_data.exporting_p2p_device,
                               imp.sgt_data.importing_dma_device) < 0:
            return -EOPNOTSUPP
        return 0
    return 0


@mirrors("posting:mapping-types-rfc:drivers/dma-buf/dma-buf-mapping.c:dma_buf_sgt_finish_match", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def dma_buf_sgt_finish_match(args, exp, imp) -> None:
    """Store the SGT match in ``attach.map_type`` and mirror it into ``dev``/``peer2peer``."""
    attach = args.attach
    mt = dma_buf_mapping_match(type=dma_buf_mapping_sgt_type, exp_ops=exp.exp_ops)
    mt.sgt_data.importing_dma_device = imp.sgt_data.importing_dma_device
    mt.sgt_data.importer_accepts_p2p = imp.sgt_data.importer_accepts_p2p
    mt.sgt_data.exporter_requires_p2p = exp.sgt_data.exporter_requires_p2p
    attach.map_type = mt
    attach.dev = imp.sgt_data.importing_dma_device
    attach.peer2peer = mt.sgt_data.importer_accepts_p2p == DMA_SGT_IMPORTER_ACCEPTS_P2P


dma_buf_mapping_sgt_type = dma_buf_mapping_type(
    name="DMA Mapped Scatter Gather Table",
    match=dma_buf_sgt_match,
    finish_match=dma_buf_sgt_finish_match,
)


@mirrors("posting:mapping-types-rfc:include/linux/dma-buf-mapping.h:DMA_BUF_IMAPPING_SGT", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def DMA_BUF_IMAPPING_SGT(importing_dma_device, importer_accepts_p2p: int) -> dma_buf_mapping_match:
    """Importer entry: an sg_table for ``importing_dma_device``; P2P accepted or not."""
    m = dma_buf_mapping_match(type=dma_buf_mapping_sgt_type)
    m.sgt_data.importing_dma_device = importing_dma_device
    m.sgt_data.importer_accepts_p2p = importer_accepts_p2p
    return m


@mirrors("posting:mapping-types-rfc:include/linux/dma-buf-mapping.h:DMA_BUF_EMAPPING_SGT", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def DMA_BUF_EMAPPING_SGT(exp_ops: dma_buf_mapping_sgt_exp_ops) -> dma_buf_mapping_match:
    """Exporter entry: an sg_table that never needs P2P."""
    return dma_buf_mapping_match(type=dma_buf_mapping_sgt_type, exp_ops=exp_ops)


@mirrors("posting:mapping-types-rfc:include/linux/dma-buf-mapping.h:DMA_BUF_EMAPPING_SGT_P2P", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def DMA_BUF_EMAPPING_SGT_P2P(exp_ops: dma_buf_mapping_sgt_exp_ops, p2p_device) -> dma_buf_mapping_match:
    """Exporter entry: an sg_table of P2P addresses of ``p2p_device``'s MMIO."""
    m = DMA_BUF_EMAPPING_SGT(exp_ops)
    m.sgt_data.exporter_requires_p2p = DMA_SGT_EXPORTER_REQUIRES_P2P_DISTANCE
    m.sgt_data.exporting_p2p_device = p2p_device
    return m


@mirrors("posting:mapping-types-rfc:drivers/dma-buf/dma-buf-mapping.c:dma_buf_sgt_dma_device", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch")
def dma_buf_sgt_dma_device(attach):
    """The device to pass to the DMA API in SGT map/unmap (None for another type)."""
    if attach.map_type.type is not dma_buf_mapping_sgt_type:
        return None
    return attach.map_type.sgt_data.importing_dma_device


@mirrors("posting:mapping-types-rfc:drivers/dma-buf/dma-buf-mapping.c:dma_buf_sgt_p2p_allowed", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def dma_buf_sgt_p2p_allowed(attach) -> bool:
    """True when the exporter's P2P-requiring SGT entry was the one matched."""
    if attach.map_type.type is not dma_buf_mapping_sgt_type:
        return False
    return attach.map_type.sgt_data.exporter_requires_p2p == DMA_SGT_EXPORTER_REQUIRES_P2P_DISTANCE


@mirrors("posting:mapping-types-rfc:drivers/dma-buf/dma-buf-mapping.c:dma_buf_get_sgt_ops", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def dma_buf_get_sgt_ops(attach) -> Optional[dma_buf_mapping_sgt_exp_ops]:
    """container_of(map_type.exp_ops, sgt ops) when the SGT type was matched, else None."""
    if attach.map_type.type is not dma_buf_mapping_sgt_type:
        return None
    return attach.map_type.exp_ops


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


# --- the PAL type --------------------------------------------------------------

class dma_buf_phys_vec(kstruct):
    """struct dma_buf_phys_vec {paddr, len}."""

    fields = (("paddr", 0), ("len", 0))


class dma_buf_phys_list(kstruct):
    """struct dma_buf_phys_list {length, phys[]}: allocated by the exporter (kvzalloc)."""

    fields = (("length", 0), "phys")


@mirrors("posting:mapping-types-rfc:drivers/dma-buf/dma-buf-mapping.c:to_pal_exp_ops", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def to_pal_exp_ops(attach) -> dma_buf_mapping_pal_exp_ops:
    """container_of(attach->map_type.exp_ops, struct dma_buf_mapping_pal_exp_ops, ops)."""
    return attach.map_type.exp_ops


@mirrors("posting:mapping-types-rfc:drivers/dma-buf/dma-buf-mapping.c:dma_buf_pal_map_phys", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def dma_buf_pal_map_phys(attach):
    """The exporter's physical address list for a PAL attachment (resv held), or ERR_PTR."""
    dma_resv_assert_held(attach.dmabuf.resv)
    return to_pal_exp_ops(attach).map_phys(attach)


@mirrors("posting:mapping-types-rfc:drivers/dma-buf/dma-buf-mapping.c:dma_buf_pal_unmap_phys", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def dma_buf_pal_unmap_phys(attach, phys) -> None:
    """Give a physical address list back to the exporter."""
    to_pal_exp_ops(attach).unmap_phys(attach, phys)


@mirrors("posting:mapping-types-rfc:drivers/dma-buf/dma-buf-mapping.c:dma_buf_pal_finish_match", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def dma_buf_pal_finish_match(args, exp, imp) -> None:
    """Store the PAL match in ``attach.map_type``."""
    args.attach.map_type = dma_buf_mapping_match(type=dma_buf_mapping_pal_type, exp_ops=exp.exp_ops)


dma_buf_mapping_pal_type = dma_buf_mapping_type(name="Physical Address List",
                                                finish_match=dma_buf_pal_finish_match)


@mirrors("posting:mapping-types-rfc:include/linux/dma-buf-mapping.h:DMA_BUF_IMAPPING_PAL", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def DMA_BUF_IMAPPING_PAL() -> dma_buf_mapping_match:
    """Importer entry: a physical address list (iommufd only)."""
    return dma_buf_mapping_match(type=dma_buf_mapping_pal_type)


@mirrors("posting:mapping-types-rfc:include/linux/dma-buf-mapping.h:DMA_BUF_EMAPPING_PAL", gap="the RFC as posted is not in a stored tree; read in the posting and in Jason Gunthorpe's branch", revisions=("mapping-types-2026-02", "mapping-types-2026-03"))
def DMA_BUF_EMAPPING_PAL(exp_ops: dma_buf_mapping_pal_exp_ops) -> dma_buf_mapping_match:
    """Exporter entry: a physical address list through ``exp_ops``."""
    return dma_buf_mapping_match(type=dma_buf_mapping_pal_type, exp_ops=exp_ops)


def match_list(*entries) -> list:
    """A C array of match entries (on the stack, fully initialised)."""
    return list(entries)


# ---------------------------------------------------------------------------
# drivers/dma-buf/dma-buf.c as changed by the series
# ---------------------------------------------------------------------------

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


def mapping_kind(attach) -> str:
    """The lab's name for what ``attach.map_type`` agreed on."""
    t = attach.map_type.type
    if t is dma_buf_mapping_pal_type:
        return "pal"
    if t is dma_buf_mapping_sgt_type:
        return "sgt-p2p" if dma_buf_sgt_p2p_allowed(attach) else "sgt"
    return getattr(t, "lab_kind", None) or "private"
