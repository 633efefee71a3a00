"""Twins of files under drivers/iommu/iommufd/."""
