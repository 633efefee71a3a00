"""drivers/gpu/drm/xe/xe_dma_buf.c, one module per release that changed it."""
