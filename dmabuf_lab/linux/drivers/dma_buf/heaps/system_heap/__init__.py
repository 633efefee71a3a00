"""Twins of drivers/dma-buf/heaps/system_heap.c, one module per release or posting that changed it."""
