"""Twins of drivers/dma-buf/dma-buf-mapping.c, one module per release or posting that changed it."""
