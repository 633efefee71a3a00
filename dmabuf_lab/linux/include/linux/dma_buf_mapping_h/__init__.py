"""Twins of include/linux/dma-buf-mapping.h, one module per release or posting that changed it."""
