"""Twins of files under drivers/dma-buf/ in the kernel tree."""
