"""Old path of dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_core.common (twins live in one folder per kernel C file)."""
from dmabuf_lab.moved import forward

__getattr__ = forward(__name__, ("dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_core.common",))
