"""drivers/vfio/pci/vfio_pci_rdwr.c: the BAR map helper the export checks."""
