"""Twins of drivers/gpu/drm/xe/xe_pt.c, one module per release or posting that changed it."""
