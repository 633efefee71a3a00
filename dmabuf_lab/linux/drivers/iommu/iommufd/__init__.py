"""Twins of files under drivers/iommu/iommufd/ in the kernel tree."""
