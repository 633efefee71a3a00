"""Twins of files under drivers/vfio/pci/ in the kernel tree."""
