"""Twins of files under drivers/vfio/pci/nvgrace-gpu/ in the kernel tree."""
