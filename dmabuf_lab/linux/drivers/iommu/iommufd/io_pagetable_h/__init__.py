"""Twins of drivers/iommu/iommufd/io_pagetable.h, one module per release or posting that changed it."""
