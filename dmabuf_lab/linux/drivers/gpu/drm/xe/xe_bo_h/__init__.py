"""Twins of drivers/gpu/drm/xe/xe_bo.h, one module per release or posting that changed it."""
