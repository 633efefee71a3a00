"""Twins of files under include/ in the kernel tree."""
