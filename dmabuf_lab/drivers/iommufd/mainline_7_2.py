"""iommufd under Linux 7.2: pages.c with e745cd2c749e (unpin under the
reservation lock), f2d70dbd3dce (pages content destroyed after the detach)
and 5f3fc0ad9a41 (no access pin on dma-buf pages); see
:mod:`dmabuf_lab.linux.drivers.iommu.iommufd.pages.mainline_7_2`."""
from __future__ import annotations

from dmabuf_lab.drivers.iommufd.mainline_7_1 import IommufdPages71
from dmabuf_lab.linux.drivers.iommu.iommufd.pages import mainline_7_2 as pages_7_2


class IommufdPages72(IommufdPages71):
    pages_c = pages_7_2


def make_importer(session):
    return IommufdPages72(session)
