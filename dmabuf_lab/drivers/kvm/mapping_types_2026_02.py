"""KVM under mapping types (RFC 2026-02): not expressible.

The only type carrying physical addresses is PAL, and
``dma_buf_pal_map_phys`` is exported to iommufd alone
(EXPORT_SYMBOL_FOR_MODULES); the review's iommu_domain alternative does not
fit KVM either.
"""
from __future__ import annotations

from dmabuf_lab.revisions.base import CannotExpress


def make_importer(session):
    raise CannotExpress("PAL (physical addresses) is restricted to iommufd; KVM has no mapping type")
