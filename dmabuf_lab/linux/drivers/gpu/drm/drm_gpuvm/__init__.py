"""Twins of drivers/gpu/drm/drm_gpuvm.c, one module per release or posting that changed it."""
