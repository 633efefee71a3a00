"""Twins of files under drivers/iommu/ in the kernel tree."""
