"""Twins of drivers/gpu/drm/xe/xe_bo.c, one module per release or posting that changed it."""
