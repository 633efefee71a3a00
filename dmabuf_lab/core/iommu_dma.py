"""Old home of :mod:`dmabuf_lab.linux.drivers.iommu.dma_iommu.mainline_6_19`; this name stays an alias of that module."""
import sys

from dmabuf_lab.linux.drivers.iommu.dma_iommu import mainline_6_19 as _home

sys.modules[__name__] = _home
