"""Twins of drivers/gpu/drm/drm_prime.c, one module per release or posting that changed it."""
