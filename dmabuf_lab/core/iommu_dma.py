"""Old path of dmabuf_lab.linux.drivers.iommu.dma_iommu.mainline_6_19 (twins live in one folder per kernel C file)."""
from dmabuf_lab.moved import forward

__getattr__ = forward(__name__, ("dmabuf_lab.linux.drivers.iommu.dma_iommu.mainline_6_19", "dmabuf_lab.linux.drivers.iommu.iommu.mainline_6_19"))
