"""The scenario-facing adapters: exporters and importers (vfio-pci, xe, system
heap, iommufd, KVM, RDMA, a legacy sg_table-only importer, a peer GPU), one
module per driver and revision: ``drivers/<driver>/<revision_module>.py``
(``make_exporter`` / ``make_importer`` and the driver classes).  The twins of
the kernel C they run live in ``dmabuf_lab/linux/<kernel path>/`` (one folder
per C file); ``registry`` says which pairs exist and which options each
driver reads."""
