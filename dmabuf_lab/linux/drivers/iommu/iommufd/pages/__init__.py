"""Twins of drivers/iommu/iommufd/pages.c, one module per release or posting that changed it."""
