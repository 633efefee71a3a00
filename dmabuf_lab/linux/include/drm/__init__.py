"""Twins of files under include/drm/ in the kernel tree."""
