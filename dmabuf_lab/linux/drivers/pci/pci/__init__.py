"""drivers/pci/pci.c: PCI region requests."""
