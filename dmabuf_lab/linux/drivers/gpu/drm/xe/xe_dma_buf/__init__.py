"""Twins of drivers/gpu/drm/xe/xe_dma_buf.c, one module per release or posting that changed it."""
