"""Small helpers every revision's drivers share.

* turning a C-style return (``-errno``, ``ERR_PTR``) into the
  :class:`~dmabuf_lab.kmodel.KernelError` the litmus runner turns into a
  verdict (:func:`check_ret`, :func:`check_ptr`);
* finding the PCI function a spec names (:func:`spec_device`);
* :class:`device`, a ``struct device`` that is not a PCI function (iommufd's
  global device, KVM);
* the exporter's ranges as physical addresses of its BAR
  (:func:`bar_phys_ranges`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from dmabuf_lab.kmodel import IS_ERR, PTR_ERR, KernelError
from dmabuf_lab.pci.pci import pci_resource_start


def check_ret(ret: int, what: str) -> int:
    """Raise KernelError for a negative return, else pass it through."""
    if isinstance(ret, int) and ret < 0:
        raise KernelError(ret, what)
    return ret


def check_ptr(ptr: Any, what: str) -> Any:
    """Raise KernelError for an ERR_PTR (NULL is the caller's business), else return it."""
    if IS_ERR(ptr):
        raise KernelError(PTR_ERR(ptr), what)
    return ptr


@dataclass(eq=False)
class device:
    """A ``struct device`` that is no PCI function: it cannot be a P2P client."""

    name: str

    def __repr__(self):
        return f"<device {self.name}>"


def spec_device(session, role: str) -> Optional[Any]:
    """The topology's PCI function named by the exporter or importer spec (None if unnamed)."""
    spec = session.exporter if role == "exporter" else session.importer
    if spec.device is None:
        return None
    return session.topology.device(spec.device)


def importer_dev(session, fallback: str) -> Any:
    """The importer's struct device: its PCI function, or a named non-PCI device."""
    dev = spec_device(session, "importer")
    return dev if dev is not None else device(fallback)


def bar_phys_ranges(session) -> list[tuple[int, int]]:
    """The exporter spec's ``[offset, length]`` slices as CPU physical ranges of its BAR."""
    pdev = spec_device(session, "exporter")
    start = int(pci_resource_start(pdev, session.exporter.bar))
    return [(start + off, ln) for off, ln in session.exporter.ranges]
