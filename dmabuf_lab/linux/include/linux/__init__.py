"""Twins of files under include/linux/ in the kernel tree."""
