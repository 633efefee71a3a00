"""The rdma driver under the mapping-type review plan: Jason Gunthorpe's design
(:mod:`dmabuf_lab.drivers.rdma.mapping_types_2025_10`) in steps 1-3, Linux 7.3
(:mod:`dmabuf_lab.drivers.rdma.mainline_7_1`) under dma_buf_map_attachment_iommu()."""
from __future__ import annotations

from dmabuf_lab.drivers.rdma import mainline_7_1, mapping_types_2025_10
from dmabuf_lab.revisions.mapping_types_2026_05 import MAP_ATTACHMENT_IOMMU, stage


def make_importer(session):
    base = mainline_7_1 if stage(session) == MAP_ATTACHMENT_IOMMU else mapping_types_2025_10
    return base.make_importer(session)
