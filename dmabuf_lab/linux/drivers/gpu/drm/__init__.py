"""Twins of files under drivers/gpu/drm/."""
