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
from dmabuf_lab.linux.include.linux.dma_buf_mapping_h.mapping_types_2026_02 import DMA_SGT_NO_P2P, DMA_SGT_EXPORTER_REQUIRES_P2P_DISTANCE, DMA_SGT_IMPORTER_ACCEPTS_P2P, dma_buf_mapping_type, dma_buf_mapping_exp_ops, dma_buf_mapping_sgt_exp_ops, dma_buf_mapping_pal_exp_ops, dma_buf_sgt_data, dma_buf_mapping_match, dma_buf_match_args, dma_buf_phys_vec, dma_buf_phys_list, DMA_BUF_IMAPPING_SGT, DMA_BUF_EMAPPING_SGT, DMA_BUF_EMAPPING_SGT_P2P, DMA_BUF_IMAPPING_PAL, DMA_BUF_EMAPPING_PAL  # noqa: F401
from dmabuf_lab.linux.drivers.dma_buf.dma_buf_mapping.mapping_types_2026_02 import dma_buf_match_mapping, dma_buf_sgt_match, dma_buf_sgt_finish_match, dma_buf_mapping_sgt_type, dma_buf_sgt_dma_device, dma_buf_sgt_p2p_allowed, dma_buf_get_sgt_ops, to_pal_exp_ops, dma_buf_pal_map_phys, dma_buf_pal_unmap_phys, dma_buf_pal_finish_match, dma_buf_mapping_pal_type  # noqa: F401
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mapping_types_2026_02 import dma_buf_attachment_mt, dma_buf_ops_mt, dma_buf_sgt_compat_map_dma_buf, dma_buf_sgt_compat_unmap_dma_buf, dma_buf_sgt_compat_exp_ops, dma_buf_sgt_exp_compat_match, match_list, dma_buf_export, dma_buf_mapping_attach, dma_buf_attach, dma_buf_sgt_dynamic_attach, dma_buf_dynamic_attach, dma_buf_detach, dma_buf_pin_on_map, dma_buf_map_attachment, dma_buf_unmap_attachment, dma_buf_move_notify  # noqa: F401

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


# ---------------------------------------------------------------------------
# drivers/dma-buf/dma-buf-mapping.c: matching
# ---------------------------------------------------------------------------


# --- the SGT type ------------------------------------------------------------


# --- the PAL type --------------------------------------------------------------


# ---------------------------------------------------------------------------
# drivers/dma-buf/dma-buf.c as changed by the series
# ---------------------------------------------------------------------------


def mapping_kind(attach) -> str:
    """The lab's name for what ``attach.map_type`` agreed on."""
    t = attach.map_type.type
    if t is dma_buf_mapping_pal_type:
        return "pal"
    if t is dma_buf_mapping_sgt_type:
        return "sgt-p2p" if dma_buf_sgt_p2p_allowed(attach) else "sgt"
    return getattr(t, "lab_kind", None) or "private"
