"""drivers/gpu/drm/ttm/ttm_bo.c: the TTM buffer object (pin accounting only)."""
