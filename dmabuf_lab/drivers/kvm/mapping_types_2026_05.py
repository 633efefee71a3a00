"""KVM under the mapping-type review plan: not expressible in any step.

The core converter hands out DMA addresses for a struct device, and the
iommu_domain type (or dma_buf_map_attachment_iommu()) fills an IOMMU page
table; KVM builds guest stage-2 mappings from physical addresses and has
neither.  Xu Yilun made this point in May 2026 and Jason Gunthorpe agreed.
"""
from __future__ import annotations

from dmabuf_lab.revisions.base import CannotExpress
from dmabuf_lab.revisions.mapping_types_2026_05 import stage


def make_importer(session):
    raise CannotExpress(f"review plan ({stage(session)}): no PAL importer, and KVM has neither a DMA "
                        "device for the converter nor an iommu_domain")
