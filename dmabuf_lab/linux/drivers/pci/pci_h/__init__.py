"""Twins of drivers/pci/pci.h, one module per release or posting that changed it."""
