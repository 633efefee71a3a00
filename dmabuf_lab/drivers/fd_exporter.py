"""An exporter whose user holds the buffer as a file descriptor.

The export ioctl (vfio's ``VFIO_DEVICE_FEATURE_DMA_BUF``, the EGM character
device's) returns an fd from ``dma_buf_fd()``; the lab then takes its own
reference with ``dma_buf_get()``.  Release drops both: the reference, then
the fd.
"""
from __future__ import annotations

from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_6_19 import dma_buf_get, dma_buf_put
from dmabuf_lab.core.file import close_fd
from dmabuf_lab.drivers.common import check_ptr, check_ret
from dmabuf_lab.revisions.base import ExporterDriver


class FdExporter(ExporterDriver):
    def __init__(self, session):
        super().__init__(session)
        self.fd = -1
        self.dmabuf = None

    def _take_fd(self, ret: int, what: str):
        """Keep the fd the ioctl ``what`` returned (or raise its -errno) and get the buffer."""
        self.fd = check_ret(ret, what)
        self.dmabuf = check_ptr(dma_buf_get(self.fd), "dma_buf_get")
        return self.dmabuf

    def release(self) -> None:
        if self.dmabuf is not None:
            dma_buf_put(self.dmabuf)
            self.dmabuf = None
        if self.fd >= 0:
            close_fd(self.fd)
            self.fd = -1
