"""drivers/dma-buf/dma-buf.c in the October 2025 mapping-types design: the mapping types, the match, the conversion entries and typed attach, map and unmap over the 6.19 core."""
from __future__ import annotations

from dataclasses import dataclass
from dmabuf_lab.core.attachment import dma_buf_attachment
from dmabuf_lab.core.ops import dma_buf_attach_ops, dma_buf_export_info, dma_buf_ops
from dmabuf_lab.kmodel import EINVAL, ENOMEM, EOPNOTSUPP, ERR_PTR, IS_ERR, WARN_ON, dma_resv_assert_held, dma_resv_lock, dma_resv_unlock, kfree, kstruct, kzalloc, might_sleep, report
from dmabuf_lab.linux.drivers.dma_buf.dma_buf import mainline_6_19 as core
from dmabuf_lab.linux.drivers.dma_buf.dma_buf_mapping.common import dma_buf_free_sgt, dma_buf_phys_vec_to_sgt
from dmabuf_lab.pci.p2pdma import pci_p2pdma_distance
from dmabuf_lab.pci.pci import pci_physfn
from dmabuf_lab.revisions.base import current_session, mode
from dmabuf_lab.twins import mirrors
from typing import Any, Callable, Optional


CONVERSION = "conversion"


@dataclass(eq=False)
class dma_buf_mapping_type:
    """A mapping type, compared by address.

    ``match(dmabuf, exp, imp)``: 0 compatible, -EOPNOTSUPP try the next
    pair, another error aborts; None means the same type always matches.
    ``lab_kind`` is what the litmus verdict calls an importer holding it.
    """

    name: str
    match: Optional[Callable] = None
    lab_kind: str = "private"


class dma_buf_mapping_match(kstruct):
    """One entry of a match list, with every type's data side by side.

    SGT: ``dev`` (the importing DMA device), ``accepts_p2p`` (importer),
    ``requires_p2p`` and ``p2p_dev`` (exporter).  PAL: ``provider`` and
    ``p2p_dev`` of the exporter.  IOV and driver types: ``pdev``, ``bar``.
    ``exp_ops`` is the exporter's ops for the type (exporter entries only).
    """

    fields = ("type", "exp_ops", "dev", ("accepts_p2p", False), ("requires_p2p", False), "p2p_dev",
              "provider", "pdev", ("bar", 0))


@dataclass(eq=False)
class dma_buf_mapping_exp_ops:
    """What every type's exporter ops have: their own attach and detach."""

    attach: Optional[Callable] = None        # int (*)(dmabuf, attach)
    detach: Optional[Callable] = None        # void (*)(dmabuf, attach)


@dataclass(eq=False)
class dma_buf_sgt_exp_ops(dma_buf_mapping_exp_ops):
    """SGT: ``map_dma_buf(attach, dir) -> sg_table``, ``unmap_dma_buf(attach, sgt, dir)``."""

    map_dma_buf: Optional[Callable] = None
    unmap_dma_buf: Optional[Callable] = None


@dataclass(eq=False)
class dma_buf_pal_exp_ops(dma_buf_mapping_exp_ops):
    """PAL: ``map_phys(attach) -> dma_buf_phys_list``, ``unmap_phys(attach, list)``."""

    map_phys: Optional[Callable] = None
    unmap_phys: Optional[Callable] = None


@dataclass(eq=False)
class dma_buf_iov_exp_ops(dma_buf_mapping_exp_ops):
    """IOV (a PF reaching its VF's BAR): ``map_iov(attach) -> dma_buf_phys_list`` of BAR
    addresses of ``map_type.bar``; ``unmap_iov(attach, list)``."""

    map_iov: Optional[Callable] = None
    unmap_iov: Optional[Callable] = None


@dataclass(eq=False)
class dma_buf_ops_mt(dma_buf_ops):
    """dma_buf_ops with ``mapping_types(dmabuf) -> list`` of the exporter's match entries."""

    mapping_types: Optional[Callable] = None


class dma_buf_attachment_mt(dma_buf_attachment):
    """The attachment with the agreed ``map_type`` (a match entry holding both sides' data)."""

    fields = ("map_type",)


@mirrors("posting:mapping-types-design:drivers/dma-buf/dma-buf.c:dma_buf_sgt_match", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it", revisions=("mapping-types-2025-10", "mapping-types-2026-05"))
def dma_buf_sgt_match(dmabuf, exp, imp) -> int:
    """An exporter entry requiring P2P needs an importer that accepts it and reaches it."""
    if not exp.requires_p2p:
        return 0
    if not imp.accepts_p2p:
        return -EOPNOTSUPP
    if pci_p2pdma_distance(exp.p2p_dev, imp.dev) < 0:
        return -EOPNOTSUPP
    return 0


dma_buf_mapping_sgt_type = dma_buf_mapping_type("SGT", match=dma_buf_sgt_match, lab_kind="sgt")


dma_buf_mapping_pal_type = dma_buf_mapping_type("PAL", match=None, lab_kind="pal")


@mirrors("posting:mapping-types-design:drivers/dma-buf/dma-buf.c:dma_buf_iov_match", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it")
def dma_buf_iov_match(dmabuf, exp, imp) -> int:
    """The importer must be the physfn of the exporting VF, on the same BAR."""
    if imp.pdev is not None and imp.pdev is pci_physfn(exp.pdev) and imp.bar == exp.bar:
        return 0
    return -EOPNOTSUPP


dma_buf_mapping_iov_type = dma_buf_mapping_type("IOV", match=dma_buf_iov_match, lab_kind="iov")


@mirrors("posting:mapping-types-design:drivers/dma-buf/dma-buf.c:DMA_BUF_IMAPPING_SGT", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it", revisions=("mapping-types-2025-10", "mapping-types-2026-05"))
def DMA_BUF_IMAPPING_SGT(dev, accepts_p2p: bool) -> dma_buf_mapping_match:
    """Importer entry: an sg_table for ``dev``; P2P addresses accepted or not."""
    return dma_buf_mapping_match(type=dma_buf_mapping_sgt_type, dev=dev, accepts_p2p=bool(accepts_p2p))


@mirrors("posting:mapping-types-design:drivers/dma-buf/dma-buf.c:DMA_BUF_EMAPPING_SGT", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it", revisions=("mapping-types-2025-10", "mapping-types-2026-05"))
def DMA_BUF_EMAPPING_SGT(ops: dma_buf_sgt_exp_ops) -> dma_buf_mapping_match:
    """Exporter entry: an sg_table that needs no P2P (memory any device reaches)."""
    return dma_buf_mapping_match(type=dma_buf_mapping_sgt_type, exp_ops=ops)


@mirrors("posting:mapping-types-design:drivers/dma-buf/dma-buf.c:DMA_BUF_EMAPPING_SGT_P2P", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it", revisions=("mapping-types-2025-10", "mapping-types-2026-05"))
def DMA_BUF_EMAPPING_SGT_P2P(ops: dma_buf_sgt_exp_ops, p2p_dev) -> dma_buf_mapping_match:
    """Exporter entry: an sg_table of P2P addresses of ``p2p_dev``'s memory."""
    return dma_buf_mapping_match(type=dma_buf_mapping_sgt_type, exp_ops=ops, requires_p2p=True,
                                 p2p_dev=p2p_dev)


@mirrors("posting:mapping-types-design:drivers/dma-buf/dma-buf.c:DMA_BUF_IMAPPING_PAL", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it")
def DMA_BUF_IMAPPING_PAL() -> dma_buf_mapping_match:
    """Importer entry: a physical address list."""
    return dma_buf_mapping_match(type=dma_buf_mapping_pal_type)


@mirrors("posting:mapping-types-design:drivers/dma-buf/dma-buf.c:DMA_BUF_EMAPPING_PAL", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it", revisions=("mapping-types-2025-10", "mapping-types-2026-05"))
def DMA_BUF_EMAPPING_PAL(ops: dma_buf_pal_exp_ops, provider=None, p2p_dev=None) -> dma_buf_mapping_match:
    """Exporter entry: a physical address list; MMIO comes with its p2pdma provider."""
    return dma_buf_mapping_match(type=dma_buf_mapping_pal_type, exp_ops=ops, provider=provider,
                                 p2p_dev=p2p_dev)


@mirrors("posting:mapping-types-design:drivers/dma-buf/dma-buf.c:DMA_BUF_MAPPING_IOV", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it")
def DMA_BUF_MAPPING_IOV(pdev, bar: int, ops: Optional[dma_buf_iov_exp_ops] = None) -> dma_buf_mapping_match:
    """IOV entry for ``pdev``'s BAR ``bar`` (importer: the PF; exporter: the VF, with ops)."""
    return dma_buf_mapping_match(type=dma_buf_mapping_iov_type, exp_ops=ops, pdev=pdev, bar=bar)


@mirrors("posting:mapping-types-design:drivers/dma-buf/dma-buf.c:dma_buf_match_mapping", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it", revisions=("mapping-types-2025-10", "mapping-types-2026-05"))
def dma_buf_match_mapping(attach, exp, exp_len: int, imp, imp_len: int) -> int:
    """Agree on a type: exporter list outside, importer list inside (exporter order wins).

    Different type pointers never match; a type without ``match`` matches
    itself; ``match`` returning -EOPNOTSUPP moves on, any other error
    aborts with it.  On success ``attach.map_type`` holds the exporter's
    entry with the importer's data merged in; 0.  Empty lists or no
    compatible pair: -EINVAL.
    """
    if not exp_len or not imp_len:
        return -EINVAL
    for e in range(exp_len):
        ex = exp[e]
        for i in range(imp_len):
            im = imp[i]
            if ex.type is not im.type:
                continue
            if ex.type.match is not None:
                ret = ex.type.match(attach.dmabuf, ex, im)
                if ret == -EOPNOTSUPP:
                    continue
                if ret:
                    return ret
            attach.map_type = dma_buf_mapping_match(
                type=ex.type, exp_ops=ex.exp_ops, dev=im.dev, accepts_p2p=im.accepts_p2p,
                requires_p2p=ex.requires_p2p, p2p_dev=ex.p2p_dev, provider=ex.provider,
                pdev=ex.pdev, bar=ex.bar)
            return 0
    return -EINVAL


def _compat_map(attach, direction):
    return attach.dmabuf.ops.map_dma_buf(attach, direction)


def _compat_unmap(attach, sgt, direction) -> None:
    attach.dmabuf.ops.unmap_dma_buf(attach, sgt, direction)


def _compat_attach(dmabuf, attach) -> int:
    return dmabuf.ops.attach(dmabuf, attach) if dmabuf.ops.attach is not None else 0


def _compat_detach(dmabuf, attach) -> None:
    if dmabuf.ops.detach is not None:
        dmabuf.ops.detach(dmabuf, attach)


dma_buf_sgt_compat_exp_ops = dma_buf_sgt_exp_ops(attach=_compat_attach, detach=_compat_detach,
                                                 map_dma_buf=_compat_map, unmap_dma_buf=_compat_unmap)


@dataclass(eq=False)
class dma_buf_conversion_exp_ops(dma_buf_sgt_exp_ops):
    """SGT ops the core makes from an exporter's PAL ops."""

    pal: Optional[dma_buf_pal_exp_ops] = None


def _conv_attach(dmabuf, attach) -> int:
    pal = attach.map_type.exp_ops.pal
    return pal.attach(dmabuf, attach) if pal.attach is not None else 0


def _conv_detach(dmabuf, attach) -> None:
    pal = attach.map_type.exp_ops.pal
    if pal.detach is not None:
        pal.detach(dmabuf, attach)


def pal_to_sgt_helper() -> dict:
    """How the PAL -> SGT converter calls dma_buf_phys_vec_to_sgt(): the lab's
    corrected helper (``faithful=False``), unless the revision in progress put
    other arguments in ``session.shared["pal_to_sgt_helper"]`` (the 2026 plan
    runs the helper as merged)."""
    s = current_session()
    if s is not None and "pal_to_sgt_helper" in s.shared:
        return dict(s.shared["pal_to_sgt_helper"])
    return {"faithful": False}


def _conv_map(attach, direction):
    """PAL -> SGT: take the list, map it for the importer's device, give the list back."""
    pal = attach.map_type.exp_ops.pal
    lst = pal.map_phys(attach)
    if IS_ERR(lst):
        return lst
    sgt = dma_buf_phys_vec_to_sgt(attach, attach.map_type.provider, lst.phys, lst.length,
                                  attach.dmabuf.size, direction, **pal_to_sgt_helper())
    pal.unmap_phys(attach, lst)
    return sgt


def _conv_unmap(attach, sgt, direction) -> None:
    dma_buf_free_sgt(attach, sgt, direction, faithful=pal_to_sgt_helper()["faithful"])


@mirrors("posting:mapping-types-design:drivers/dma-buf/dma-buf.c:dma_buf_conversion_entries", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it", revisions=("mapping-types-2025-10", "mapping-types-2026-05"))
def dma_buf_conversion_entries(exp, exp_len: int) -> list:
    """One SGT entry per exporter PAL entry, converting through ``dma_buf_phys_vec_to_sgt()``."""
    out = []
    for e in range(exp_len):
        ex = exp[e]
        if ex.type is not dma_buf_mapping_pal_type or ex.provider is None:
            continue
        ops = dma_buf_conversion_exp_ops(attach=_conv_attach, detach=_conv_detach, map_dma_buf=_conv_map,
                                         unmap_dma_buf=_conv_unmap, pal=ex.exp_ops)
        m = DMA_BUF_EMAPPING_SGT_P2P(ops, ex.p2p_dev)
        m.provider = ex.provider
        out.append(m)
    return out


@mirrors("posting:mapping-types-design:drivers/dma-buf/dma-buf.c:dma_buf_export", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it", revisions=("mapping-types-2025-10", "mapping-types-2026-05"))
def dma_buf_export(exp_info: dma_buf_export_info):
    """dma_buf_export(): an exporter declares ``mapping_types`` or has the classic
    ``map_dma_buf``/``unmap_dma_buf`` pair (then it is SGT through the core)."""
    ops = exp_info.ops
    if WARN_ON(exp_info.priv is None or ops is None or ops.release is None,
               "dma_buf_export: priv, ops or release missing"):
        return ERR_PTR(-EINVAL)
    if getattr(ops, "mapping_types", None) is None and WARN_ON(
            ops.map_dma_buf is None or ops.unmap_dma_buf is None,
            "dma_buf_export: no mapping_types and no map/unmap_dma_buf"):
        return ERR_PTR(-EINVAL)
    if WARN_ON((ops.pin is None) != (ops.unpin is None), "dma_buf_export: pin without unpin"):
        return ERR_PTR(-EINVAL)
    return core.__dma_buf_export(exp_info)


@mirrors("posting:mapping-types-design:drivers/dma-buf/dma-buf.c:dma_buf_exporter_matches", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it", revisions=("mapping-types-2025-10", "mapping-types-2026-05"))
def dma_buf_exporter_matches(dmabuf) -> list:
    """The exporter's declared list, or the core's SGT compat entry; plus conversions in that mode.

    An exporter that can no longer be attached (vfio after its cleanup) answers ERR_PTR, handed on."""
    types = getattr(dmabuf.ops, "mapping_types", None)
    if types is not None:
        declared = types(dmabuf)
        if IS_ERR(declared):
            return declared
        exp = list(declared)
    else:
        exp = [DMA_BUF_EMAPPING_SGT(dma_buf_sgt_compat_exp_ops)]
    s = current_session()
    if s is not None and CONVERSION in s.revision.modes and mode(CONVERSION):
        exp += dma_buf_conversion_entries(exp, len(exp))
    # A later revision built on this code adds its own core converters (a function from the
    # exporter's list to the entries the core appends), see mapping_types_2026_05.
    for converter in (s.shared.get("core_converters", ()) if s is not None else ()):
        exp += converter(exp)
    return exp


@mirrors("posting:mapping-types-design:drivers/dma-buf/dma-buf.c:dma_buf_mapping_attach", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it", revisions=("mapping-types-2025-10", "mapping-types-2026-05"))
def __dma_buf_mapping_attach(dmabuf, imp, imp_len: int, importer_ops, importer_priv):
    """Match, allocate, run the matched type's ``attach``, link; the attachment or ERR_PTR."""
    if WARN_ON(dmabuf is None, "dma_buf_mapping_attach: NULL dmabuf"):
        return ERR_PTR(-EINVAL)
    attach = kzalloc(dma_buf_attachment_mt)
    if attach is None:
        return ERR_PTR(-ENOMEM)
    attach.dmabuf = dmabuf
    exp = dma_buf_exporter_matches(dmabuf)
    if IS_ERR(exp):
        kfree(attach)
        return exp
    ret = dma_buf_match_mapping(attach, exp, len(exp), imp, imp_len)
    if ret:
        kfree(attach)
        return ERR_PTR(ret)
    mt = attach.map_type
    attach.importer_ops = importer_ops
    attach.importer_priv = importer_priv
    attach.nr_mappings = 0
    if mt.type is dma_buf_mapping_sgt_type:
        attach.dev = mt.dev
        attach.peer2peer = bool(mt.requires_p2p)
    ops = mt.exp_ops
    if ops is not None and ops.attach is not None:
        ret = ops.attach(dmabuf, attach)
        if ret:
            kfree(attach)
            return ERR_PTR(ret)
    dma_resv_lock(dmabuf.resv)
    dmabuf.attachments.insert(0, attach)
    dma_resv_unlock(dmabuf.resv)
    return attach


@mirrors("posting:mapping-types-design:drivers/dma-buf/dma-buf.c:dma_buf_mapping_attach", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it", revisions=("mapping-types-2025-10", "mapping-types-2026-05"))
def dma_buf_mapping_attach(dmabuf, imp, imp_len: int, importer_ops: Optional[dma_buf_attach_ops],
                           importer_priv: Any = None):
    """Attach with the importer's match list.  Mapping-type importers must be dynamic:
    importer ops with ``move_notify`` are required (WARN, -EINVAL)."""
    if WARN_ON(importer_ops is None or importer_ops.move_notify is None,
               "dma_buf_mapping_attach: mapping types need a dynamic importer (move_notify)"):
        return ERR_PTR(-EINVAL)
    return __dma_buf_mapping_attach(dmabuf, imp, imp_len, importer_ops, importer_priv)


@mirrors("posting:mapping-types-design:drivers/dma-buf/dma-buf.c:dma_buf_attach", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it")
def dma_buf_attach(dmabuf, dev):
    """Compat for a static SGT-only importer: the core's list ``[SGT(dev, no P2P)]``."""
    imp = [DMA_BUF_IMAPPING_SGT(dev, False)]
    return __dma_buf_mapping_attach(dmabuf, imp, len(imp), None, None)


@mirrors("posting:mapping-types-design:drivers/dma-buf/dma-buf.c:dma_buf_dynamic_attach", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it", revisions=("mapping-types-2025-10", "mapping-types-2026-05"))
def dma_buf_dynamic_attach(dmabuf, dev, importer_ops, importer_priv=None):
    """Compat for a dynamic SGT-only importer: ``[SGT(dev, allow_peer2peer)]``."""
    if WARN_ON(importer_ops is not None and importer_ops.move_notify is None,
               "dma_buf_dynamic_attach: importer_ops without move_notify"):
        return ERR_PTR(-EINVAL)
    p2p = importer_ops is not None and importer_ops.allow_peer2peer
    imp = [DMA_BUF_IMAPPING_SGT(dev, p2p)]
    return __dma_buf_mapping_attach(dmabuf, imp, len(imp), importer_ops, importer_priv)


@mirrors("posting:mapping-types-design:drivers/dma-buf/dma-buf.c:dma_buf_detach", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it", revisions=("mapping-types-2025-10", "mapping-types-2026-05"))
def dma_buf_detach(dmabuf, attach) -> None:
    """Unlink, run the matched type's ``detach``, free."""
    if WARN_ON(dmabuf is None or attach is None or attach.dmabuf is not dmabuf,
               "dma_buf_detach: NULL or mismatched attachment"):
        return
    if attach.nr_mappings:
        report("leak", f"dma_buf_detach with {attach.nr_mappings} mapping(s) still held",
                    "dma_buf_detach")
    dma_resv_lock(dmabuf.resv)
    core._list_del(dmabuf.attachments, attach)
    dma_resv_unlock(dmabuf.resv)
    ops = attach.map_type.exp_ops
    if ops is not None and ops.detach is not None:
        ops.detach(dmabuf, attach)
    kfree(attach)


def _typed_ops(attach, mtype, what: str):
    if WARN_ON(attach is None or attach.dmabuf is None, f"{what}: NULL attachment"):
        return None
    if WARN_ON(attach.map_type.type is not mtype,
               f"{what} on an attachment of type {attach.map_type.type.name}"):
        return None
    return attach.map_type.exp_ops


@mirrors("posting:mapping-types-design:drivers/dma-buf/dma-buf.c:dma_buf_map_attachment", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it", revisions=("mapping-types-2025-10", "mapping-types-2026-05"))
def dma_buf_map_attachment(attach, direction: int):
    """SGT map through the matched type's ops (resv held); another type: WARN, -EINVAL."""
    might_sleep()
    ops = _typed_ops(attach, dma_buf_mapping_sgt_type, "dma_buf_map_attachment")
    if ops is None:
        return ERR_PTR(-EINVAL)
    dma_resv_assert_held(attach.dmabuf.resv)
    sgt = ops.map_dma_buf(attach, direction)
    if sgt is None:
        sgt = ERR_PTR(-ENOMEM)
    if not IS_ERR(sgt):
        attach.nr_mappings += 1
    return sgt


@mirrors("posting:mapping-types-design:drivers/dma-buf/dma-buf.c:dma_buf_unmap_attachment", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it", revisions=("mapping-types-2025-10", "mapping-types-2026-05"))
def dma_buf_unmap_attachment(attach, sgt, direction: int) -> None:
    """SGT unmap (resv held)."""
    ops = _typed_ops(attach, dma_buf_mapping_sgt_type, "dma_buf_unmap_attachment")
    if ops is None:
        return
    dma_resv_assert_held(attach.dmabuf.resv)
    ops.unmap_dma_buf(attach, sgt, direction)
    if attach.nr_mappings:
        attach.nr_mappings -= 1


@mirrors("posting:mapping-types-design:drivers/dma-buf/dma-buf.c:dma_buf_pal_map_phys", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it")
def dma_buf_pal_map_phys(attach):
    """The exporter's physical address list (resv held); ERR_PTR on failure."""
    ops = _typed_ops(attach, dma_buf_mapping_pal_type, "dma_buf_pal_map_phys")
    if ops is None:
        return ERR_PTR(-EINVAL)
    dma_resv_assert_held(attach.dmabuf.resv)
    lst = ops.map_phys(attach)
    if not IS_ERR(lst):
        attach.nr_mappings += 1
    return lst


@mirrors("posting:mapping-types-design:drivers/dma-buf/dma-buf.c:dma_buf_pal_unmap_phys", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it")
def dma_buf_pal_unmap_phys(attach, lst) -> None:
    """Give a physical address list back (resv held)."""
    ops = _typed_ops(attach, dma_buf_mapping_pal_type, "dma_buf_pal_unmap_phys")
    if ops is None:
        return
    dma_resv_assert_held(attach.dmabuf.resv)
    ops.unmap_phys(attach, lst)
    if attach.nr_mappings:
        attach.nr_mappings -= 1


@mirrors("posting:mapping-types-design:drivers/dma-buf/dma-buf.c:dma_buf_iov_map", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it")
def dma_buf_iov_map(attach):
    """The VF BAR ranges of an IOV attachment (resv held); BAR number in ``map_type.bar``."""
    ops = _typed_ops(attach, dma_buf_mapping_iov_type, "dma_buf_iov_map")
    if ops is None:
        return ERR_PTR(-EINVAL)
    dma_resv_assert_held(attach.dmabuf.resv)
    lst = ops.map_iov(attach)
    if not IS_ERR(lst):
        attach.nr_mappings += 1
    return lst


@mirrors("posting:mapping-types-design:drivers/dma-buf/dma-buf.c:dma_buf_iov_unmap", gap="a design argued in a reply, not posted as code: the function is the lab's reading of it")
def dma_buf_iov_unmap(attach, lst) -> None:
    """Give the IOV list back (resv held)."""
    ops = _typed_ops(attach, dma_buf_mapping_iov_type, "dma_buf_iov_unmap")
    if ops is None:
        return
    dma_resv_assert_held(attach.dmabuf.resv)
    ops.unmap_iov(attach, lst)
    if attach.nr_mappings:
        attach.nr_mappings -= 1


dma_buf_move_notify = core.dma_buf_move_notify      # unchanged from mainline
