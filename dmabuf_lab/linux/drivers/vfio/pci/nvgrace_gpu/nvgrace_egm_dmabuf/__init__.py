"""Twins of drivers/vfio/pci/nvgrace-gpu/nvgrace_egm_dmabuf.c, one module per release or posting that changed it."""
