"""Twins of drivers/iommu/dma-iommu.c, one module per release or posting that changed it."""
# dmabuf_lab.core.dma_mapping calls into these twins and they use its constants:
# load the core first, so that importing this package first works too.
import dmabuf_lab.core  # noqa: F401,E402
