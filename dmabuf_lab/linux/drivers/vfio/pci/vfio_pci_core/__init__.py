"""Twins of drivers/vfio/pci/vfio_pci_core.c, one module per release or posting that changed it."""
