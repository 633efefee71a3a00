"""Exporters and importers (vfio-pci, xe, system heap, iommufd, KVM, RDMA, a
legacy sg_table-only importer, a peer GPU), one module per driver and revision:
``drivers/<driver>/<revision_module>.py``.  ``registry`` says which pairs exist
and which options each driver reads."""
