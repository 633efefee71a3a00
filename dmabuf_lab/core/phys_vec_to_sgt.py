"""Old path of dmabuf_lab.linux.drivers.dma_buf.dma_buf_mapping.common (twins live in one folder per kernel C file)."""
from dmabuf_lab.moved import forward

__getattr__ = forward(__name__, ("dmabuf_lab.linux.drivers.dma_buf.dma_buf_mapping.common",))
