"""Twins of drivers/iommu/iommu.c, one module per release or posting that changed it."""
