"""drivers/vfio/pci/: vfio-pci."""
