"""drivers/vfio/pci/vfio_pci_core.c: open (enable), close and disable of a vfio-pci device."""
