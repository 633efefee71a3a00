"""Twins of files under drivers/iommu/."""
