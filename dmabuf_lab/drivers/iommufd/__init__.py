"""iommufd as a dma-buf importer (user IOVA; wants physical addresses), one module per revision."""
