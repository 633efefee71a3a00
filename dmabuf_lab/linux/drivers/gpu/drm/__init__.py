"""Twins of files under drivers/gpu/drm/ in the kernel tree."""
