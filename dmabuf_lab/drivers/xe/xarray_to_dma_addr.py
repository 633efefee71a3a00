"""Old path of dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.rfc_v1 (twins live in one folder per kernel C file)."""
from dmabuf_lab.moved import forward

__getattr__ = forward(__name__, ("dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.rfc_v1",))
