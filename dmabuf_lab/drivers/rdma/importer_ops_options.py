"""Two choices of how the RDMA driver's dynamic (non-pinned) import attaches.

Scenario options of the ``rdma`` importer under the mainline releases, read
here so that the sg_table importer they steer stays driver-neutral:

``invalidate_callback = false``
    ``importer_ops`` carries only ``allow_peer2peer``.  The importer stands
    for ``ib_umem_dmabuf_attach_pinned_ops`` as 575157b1b5fc ("dma-buf: Make
    .invalidate_mapping() truly optional") left them in 7.1: P2P and no
    callback.  6.19's ``dma_buf_dynamic_attach()`` refuses such ops with a
    WARN and -EINVAL; 7.1 attaches them, and an exporter that needs a
    revocable importer (vfio, through ``dma_buf_attach_revocable()``)
    refuses them itself.
``pin_after_attach = true``
    the import pins right after the attach, under the reservation lock,
    and keeps its callback: the shape of the 6.19 pinned MR registration
    (whose callback only warns) and of 7.1's pinned-revocable one and of
    iommufd's import after 8c5f9645c389.  vfio's pin op refuses it in 6.19
    (61ceaf236115); 7.1 has no pin op (6ffe939bf94f), so the core's
    ``dma_buf_pin()`` returns 0.
"""
from __future__ import annotations


class ImporterOpsOptions:
    """Mixin over an sg_table importer class: sets its two attach choices from the
    scenario's ``[importer]`` table."""

    def __init__(self, session):
        super().__init__(session)
        spec = session.importer
        self.invalidate_callback = bool(spec.option("invalidate_callback", True))
        self.pin_after_attach = bool(spec.option("pin_after_attach", False))
