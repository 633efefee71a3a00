"""Twins of files under drivers/gpu/ in the kernel tree."""
