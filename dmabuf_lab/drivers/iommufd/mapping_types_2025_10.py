"""iommufd under mapping-types-2025-10: a PAL importer (``[PAL]`` only) that maps
the physical ranges at its user IOVA; the design's list may hold many ranges."""
from __future__ import annotations

from dmabuf_lab.drivers.pal_importer import Mt2510PalImporter


class IommufdPalImporter(Mt2510PalImporter):
    name = "iommufd"


def make_importer(session):
    return IommufdPalImporter(session)
