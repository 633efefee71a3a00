"""drivers/pci: the PCI function and its BARs (``pci``), host bridges and ports
(``bridge``), SR-IOV (``iov``, iov.c) and peer-to-peer DMA (``p2pdma``, p2pdma.c).

Import each name from the module that models its C file, e.g.
``from dmabuf_lab.pci.p2pdma import pci_p2pdma_map_type``.
"""
