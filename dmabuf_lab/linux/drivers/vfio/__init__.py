"""Twins of files under drivers/vfio/ in the kernel tree."""
