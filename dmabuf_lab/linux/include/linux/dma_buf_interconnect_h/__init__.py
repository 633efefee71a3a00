"""Twins of include/linux/dma-buf-interconnect.h, one module per release or posting that changed it."""
