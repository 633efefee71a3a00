"""Twins of files under drivers/dma-buf/."""
