"""Twins of files under drivers/dma-buf/heaps/ in the kernel tree."""
