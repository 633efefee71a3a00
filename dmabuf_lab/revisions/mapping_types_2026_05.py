"""The three-step plan Jason Gunthorpe proposed in the mapping-type review (April-May 2026),
and Christian König's alternative.

In the thread "Re: [PATCH RFC 21/26] dma-buf: Add the Physical Address List
DMA mapping type", Christian König rejected a physical address list in
dma-buf and proposed instead (2026-04-22,
``<fd8065ce-fd0e-4df5-9c80-8e9603657cfe@amd.com>``)::

    dma_buf_map_attachment_iommu(attachment, iommu_domain, iova, offset, size, ...)

in which the exporter maps its memory into the importer's iommu_domain.
Jason Gunthorpe answered with three steps: (1) the SGT mapping types
alone; (2) core converters, PAL -> SGT through dma_buf_phys_vec_to_sgt(),
with vfio PAL-only, so that no importer sees PAL, only the core; (3) an
importer-only iommu_domain type for iommufd, filled by the core from the
exporter's PAL.  Xu Yilun then pointed out that neither the converter nor
the domain type gives KVM what it needs, and Jason agreed (May 2026).
No reply agreeing to the three steps was found (the last message found is
``<20260511224841.GA1197107@nvidia.com>``, 2026-05-11), so this is the plan
as proposed, not a settled one.  Nothing of it is merged.

Executable model, on the code of Jason's design
(:mod:`dmabuf_lab.revisions.mapping_types_2025_10`, whose matcher walks the
exporter's list outside), one mode per stage; ``posted`` is the plan's end
state (step 3):

``step1``
    SGT types only: vfio offers ``SGT_P2P``; there is no PAL, so iommufd
    keeps using vfio's private bridge as in mainline (``phys``; the lab's
    reading: the plan does not say the bridge goes before step 3).
``step2``
    vfio offers ``[PAL]`` only and the core appends a PAL -> SGT converter
    entry, so SGT importers still get ``sgt-p2p``; iommufd still uses the
    bridge ("no PAL importer").
``step3`` (= ``posted``)
    additionally the core appends an ``IOMMU_DOMAIN`` converter entry for
    each PAL entry; iommufd attaches with ``[IOMMU_DOMAIN]`` and the core
    maps the ranges into its domain (``iommu-domain``).  The bridge is gone.
``map-attachment-iommu``
    no mapping types: Linux 7.3 attachments plus
    dma_buf_map_attachment_iommu(), which vfio implements; an exporter
    without the op returns -EOPNOTSUPP.

Modelling choices, since the plan has no code:

* the converter of steps 2 and 3 is ``dma_buf_phys_vec_to_sgt()``, the helper
  the plan names, as it is in the tree the plan would land on (7.3), run as
  merged: its table leaks the scatterlist chunk (``orig_nents = 0``) and its
  IOVA path links every range at offset 0.  Step 1 maps vfio's SGT through
  vfio's own map, which calls the same helper (as vfio does in 6.19);
* the lab's corrected helper is the ``fixed`` / ``fix-sgt-helper`` variant
  (applied to the end state, step 3); ``map-attachment-iommu`` runs on
  Linux 7.3, whose vfio map calls the same helper;
* that iommufd keeps vfio's private bridge until step 3 is the lab's reading:
  the plan does not say when the bridge goes.

KVM is ``cannot-express`` in every mode: it has no struct device for the
converter's DMA addresses and no iommu_domain to be mapped into.  The
domain is recorded as a list of (iova, phys, length) triples, not as page
tables.

Sources: ``docs/sources.md`` [mapping-types-plan].
"""
from __future__ import annotations

from typing import Optional

from dmabuf_lab.kmodel import EINVAL, ENOMEM, ENODEV, EOPNOTSUPP, ERR_PTR, IS_ERR, WARN_ON, dma_resv_assert_held
from dmabuf_lab.revisions import mapping_types_2025_10 as mt
from dmabuf_lab.revisions.base import Revision, current_session
from dmabuf_lab.twins import mirrors
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mapping_types_2026_05 import dma_buf_mapping_iommu_domain_type, DMA_BUF_IMAPPING_IOMMU_DOMAIN, dma_buf_iommu_domain_entries, iommu_domain, dma_buf_iommu_domain_map, dma_buf_iommu_domain_unmap, dma_buf_map_attachment_iommu, dma_buf_unmap_attachment_iommu  # noqa: F401

STEPS = ("step1", "step2", "step3")
MAP_ATTACHMENT_IOMMU = "map-attachment-iommu"


def plan_helper_args(s=None) -> dict:
    """The arguments the plan's SGT paths give dma_buf_phys_vec_to_sgt(): the
    helper as merged in 7.3, or the lab's corrected one under the fix."""
    s = s or current_session()
    faithful = s is None or not s.fixed("sgt-helper")
    return {"faithful": faithful, "release": "7.3"}


def _run_hook(s) -> None:
    """Install the core converters of the selected stage and the helper they call."""
    s.shared["pal_to_sgt_helper"] = plan_helper_args(s)
    st = stage(s)
    conv = []
    if st in ("step2", "step3"):
        conv.append(lambda exp: mt.dma_buf_conversion_entries(exp, len(exp)))
    if st == "step3":
        conv.append(dma_buf_iommu_domain_entries)
    s.shared["core_converters"] = tuple(conv)


REVISION = Revision(
    name="mapping-types-2026-05",
    module="mapping_types_2026_05",
    title="Mapping-type plan as proposed (steps 1-3) and dma_buf_map_attachment_iommu()",
    date="2026-05-11",
    source="mapping-types-plan",
    patch="'Re: [PATCH RFC 21/26] dma-buf: Add the Physical Address List DMA mapping type' "
          "(<fd8065ce-fd0e-4df5-9c80-8e9603657cfe@amd.com> and replies)",
    modes={
        "step1": "SGT mapping types alone; iommufd keeps vfio's private bridge",
        "step2": "core PAL -> SGT converter, vfio PAL-only, no PAL importer",
        "step3": "the end state: step 2 plus an importer-only iommu_domain type for iommufd "
                 "(the same as posted)",
        MAP_ATTACHMENT_IOMMU: "Christian König's dma_buf_map_attachment_iommu(): the exporter maps "
                              "into the importer's iommu_domain",
    },
    bugs={
        "sgt-helper": "dma_buf_phys_vec_to_sgt()/dma_buf_free_sgt() as merged (7.3), the converter "
                      "the plan names: leak the sg chunk, IOVA offset 0 (fix: the lab's helper)",
    },
    run_hook=_run_hook,
)


def stage(s=None) -> str:
    """The selected stage: step1, step2, step3 (also for ``posted``) or map-attachment-iommu."""
    s = s or current_session()
    v = s.variant if s is not None else "posted"
    return v if v in STEPS or v == MAP_ATTACHMENT_IOMMU else "step3"


# --- step 3: the importer-only iommu_domain type ---------------------------------------


# --- Christian König's alternative ---------------------------------------------------


__all__ = ["REVISION", "STEPS", "MAP_ATTACHMENT_IOMMU", "stage", "plan_helper_args", "dma_buf_mapping_iommu_domain_type",
           "DMA_BUF_IMAPPING_IOMMU_DOMAIN", "dma_buf_iommu_domain_entries", "iommu_domain",
           "dma_buf_iommu_domain_map", "dma_buf_iommu_domain_unmap", "dma_buf_map_attachment_iommu",
           "dma_buf_unmap_attachment_iommu", "ENOMEM"]
