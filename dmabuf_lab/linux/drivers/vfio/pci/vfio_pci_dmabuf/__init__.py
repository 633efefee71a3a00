"""drivers/vfio/pci/vfio_pci_dmabuf.c: the release-by-release changes after 6.19."""
