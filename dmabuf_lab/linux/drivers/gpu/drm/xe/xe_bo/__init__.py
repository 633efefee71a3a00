"""drivers/gpu/drm/xe/xe_bo.c: the BO life cycle the dma-buf importer path uses."""
