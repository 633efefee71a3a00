"""Twins of drivers/gpu/drm/xe/xe_res_cursor.h, one module per release or posting that changed it."""
