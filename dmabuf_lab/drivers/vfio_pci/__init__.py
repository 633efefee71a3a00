"""vfio-pci as a dma-buf exporter, one module per revision that can express it."""
