"""drivers/pci/: the PCI core."""
