"""drivers/iommu/iommufd/pages.c: iopt_pages, including those backed by a dma-buf, release by release."""
