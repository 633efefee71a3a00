"""iommufd under Linux 7.2: as 7.1 with e745cd2c749e's release path (unpin under the lock).

f2d70dbd3dce and 5f3fc0ad9a41 (also 7.2) are not modelled here.
"""
from __future__ import annotations

from dmabuf_lab.drivers.iommufd.mainline_7_1 import IommufdImporter73
from dmabuf_lab.linux.drivers.iommu.iommufd.pages import mainline_7_2 as pages_7_2


class IommufdImporter72(IommufdImporter73):
    release_pages = staticmethod(pages_7_2.iopt_release_pages)


def make_importer(session):
    return IommufdImporter72(session)
