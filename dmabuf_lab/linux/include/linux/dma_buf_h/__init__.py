"""Twins of include/linux/dma-buf.h, one module per release or posting that changed it."""
