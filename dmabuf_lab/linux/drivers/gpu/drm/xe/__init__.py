"""Twins of files under drivers/gpu/drm/xe/ in the kernel tree."""
