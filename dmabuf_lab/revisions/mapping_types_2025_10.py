"""mapping-types-2025-10: DMA-buf mapping types as Jason Gunthorpe designed them (2025-10-30/31).

the RFC v2 0/8 thread (2025-10-30/31): Christian König's reply to Vivek
Kasireddy and Jason on "[RFC v2 0/8] dma-buf: Add support for mapping
dmabufs via interconnects", quoting Jason's description of his branch.  No
patch of it was posted; this module models the design as described
there (``docs/sources.md`` mapping-types-2025-10):

* **SGT is one mapping type among others.**  A mapping type is a singleton
  compared by address (:class:`dma_buf_mapping_type`).  The importer passes
  a match list to :func:`dma_buf_mapping_attach`; the exporter declares its
  own (``dma_buf_ops.mapping_types``); the core matches
  (:func:`dma_buf_match_mapping`).
* **SGT compatibility in the core**: an importer that only knows sg_tables
  keeps calling ``dma_buf_attach()`` / ``dma_buf_dynamic_attach()``, and the
  core builds its SGT match list; an exporter that declares nothing is
  matched through a core SGT entry wrapping its ``map_dma_buf``.  Neither
  side has special code for interworking.
* **No importer fallback path**: there is no ``allow_ic``; no match fails
  the attach (-EINVAL, the error Jason's later RFC uses) and the importer
  has exactly one path per type it declared ("no three paths in importers").
* **Per-type ops**: every type's exporter ops carry their own ``attach`` /
  ``detach`` and their own map functions with their own types
  (``map_dma_buf`` for SGT, ``map_phys`` for PAL, ``map_iov`` for the IOV
  type a driver adds); there is no shared ``map``.
* **P2P is a property of the SGT type**: the exporter's SGT entry may
  require P2P to its device; the importer's SGT entry says whether it
  accepts P2P; a P2P-requiring entry matches only an accepting importer at a
  P2P distance >= 0.
* **PAL**, the physical address list, for importers that build their own
  tables (iommufd; the design restricts it to no module, so KVM may use it
  too).  The exporter's PAL entry carries its p2pdma provider.
* **Driver-defined types**: "if your driver wants something special, like
  IOV, then give it proper clear types".  The lab's drivers add an IOV type
  (a PF reaching its VF's BAR, :data:`dma_buf_mapping_iov_type`) and xe's
  ``XE_VRAM`` ("VRAM offset within this specific VRAM memory", in
  ``drivers/xe/mapping_types_2025_10.py``) that a peer GPU on a private link
  can list.
* **Importers using mapping types must be dynamic**: ``dma_buf_mapping_attach``
  refuses importer ops without ``move_notify`` (WARN, -EINVAL).  Only the
  SGT compat wrappers still take a static importer.

Matching order.  The thread does not say whose preference wins.  The lab
walks the **exporter's list outside and the importer's inside**, so the
exporter's order decides, because both neighbours in this line of work do
so: RFC v1's ``dma_buf_match_interconnects()`` (the code this design
replaced) and Jason's own later implementation of this very design, the
2026-02 RFC (mapping-types-2026-02, ``dma_buf_match_mapping``).  Thomas Hellström's offer list
(offer-list) is the other choice: the importer runs down nothing, the exporter runs
down the importer's offer and the *importer's* first acceptable entry wins.
With exporter ``[A, B]`` and importer ``[B, A]``, mapping-types-2025-10 and mapping-types-2026-02 pick A, offer-list picks B.

Mode ``conversion`` (selected as ``mapping-types-2025-10:conversion``): the
later "magic conversion mapping type" of that thread.  For each PAL entry an
exporter declares, the core appends an SGT entry whose map turns the
physical list into an sg_table for the importer's device with
``dma_buf_phys_vec_to_sgt()`` (P2P through the PAL's provider), so an
exporter converted to PAL only and an importer still on SGT interwork.  It
comes after the exporter's own entries, so a native match always wins.

No bugs are declared: there is no posted code to be faithful to, and the
drivers written against this design follow the 6.19 rules (revoked
buffers refused at attach and at every map).

Sources: ``docs/sources.md`` [mapping-types-design].
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from dmabuf_lab.core.attachment import dma_buf_attachment
from dmabuf_lab.core.ops import dma_buf_attach_ops, dma_buf_export_info, dma_buf_ops
from dmabuf_lab.linux.drivers.dma_buf.dma_buf_mapping.common import dma_buf_free_sgt, dma_buf_phys_vec_to_sgt
from dmabuf_lab.kmodel import (EINVAL, ENOMEM, EOPNOTSUPP, ERR_PTR, IS_ERR, WARN_ON,
                               dma_resv_assert_held, dma_resv_lock, dma_resv_unlock, kfree, kstruct,
                               kzalloc, might_sleep, report)
from dmabuf_lab.pci.p2pdma import pci_p2pdma_distance
from dmabuf_lab.pci.pci import pci_physfn
from dmabuf_lab.revisions.base import Revision, current_session, mode

from dmabuf_lab.linux.drivers.dma_buf.dma_buf import mainline_6_19 as core  # drivers/dma-buf/dma-buf.c
from dmabuf_lab.twins import mirrors
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mapping_types_2025_10 import CONVERSION, dma_buf_mapping_type, dma_buf_mapping_match, dma_buf_mapping_exp_ops, dma_buf_sgt_exp_ops, dma_buf_pal_exp_ops, dma_buf_iov_exp_ops, dma_buf_ops_mt, dma_buf_attachment_mt, dma_buf_sgt_match, dma_buf_mapping_sgt_type, dma_buf_mapping_pal_type, dma_buf_iov_match, dma_buf_mapping_iov_type, DMA_BUF_IMAPPING_SGT, DMA_BUF_EMAPPING_SGT, DMA_BUF_EMAPPING_SGT_P2P, DMA_BUF_IMAPPING_PAL, DMA_BUF_EMAPPING_PAL, DMA_BUF_MAPPING_IOV, dma_buf_match_mapping, _compat_map, _compat_unmap, _compat_attach, _compat_detach, dma_buf_sgt_compat_exp_ops, dma_buf_conversion_exp_ops, _conv_attach, _conv_detach, pal_to_sgt_helper, _conv_map, _conv_unmap, dma_buf_conversion_entries, dma_buf_export, dma_buf_exporter_matches, __dma_buf_mapping_attach, dma_buf_mapping_attach, dma_buf_attach, dma_buf_dynamic_attach, dma_buf_detach, _typed_ops, dma_buf_map_attachment, dma_buf_unmap_attachment, dma_buf_pal_map_phys, dma_buf_pal_unmap_phys, dma_buf_iov_map, dma_buf_iov_unmap, dma_buf_move_notify  # noqa: F401

REVISION = Revision(
    name="mapping-types-2025-10",
    module="mapping_types_2025_10",
    title="DMA-buf mapping types (Jason Gunthorpe's design)",
    date="2025-10-30",
    source="mapping-types-design",
    patch="Jason Gunthorpe's mapping-type branch as described in "
          "'Re: [RFC v2 0/8] dma-buf: Add support for mapping dmabufs via interconnects'",
    modes={
        "conversion": "the core adds a PAL -> SGT conversion type: a PAL-only exporter serves SGT importers",
    },
)


# ---------------------------------------------------------------------------
# Types
# ---------------------------------------------------------------------------


# --- the SGT type ----------------------------------------------------------------


# ---------------------------------------------------------------------------
# Matching
# ---------------------------------------------------------------------------


# --- the core's compat SGT entry for exporters that declare no types -----------------


# --- the conversion type (mode "conversion") -----------------------------------------


# ---------------------------------------------------------------------------
# drivers/dma-buf/dma-buf.c
# ---------------------------------------------------------------------------


def mapping_kind(attach) -> str:
    """The lab's name for what ``attach.map_type`` agreed on."""
    mt = attach.map_type
    if mt.type is dma_buf_mapping_sgt_type:
        return "sgt-p2p" if mt.requires_p2p else "sgt"
    return mt.type.lab_kind

