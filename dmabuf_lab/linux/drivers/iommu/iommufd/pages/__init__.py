"""drivers/iommu/iommufd/pages.c, one module per release that changed a modelled function."""
