"""Twins of drivers/dma-buf/dma-buf.c, one module per release or posting that changed it."""
