"""KVM under get-pfn: patch 03 of Xu Yilun's RFC, virt/kvm/vfio_dmabuf.c.

``kvm_vfio_dmabuf_bind()`` checks that the memslot is as large as the
buffer (-EINVAL), allocates a ``kvm_vfio_dmabuf {kvm, slot}`` and attaches
dynamically with ``dev = NULL`` and ``kv_dmabuf_attach_ops``
(``allow_peer2peer``, ``move_notify`` zapping the slot's GFN range).  At
fault time ``kvm_vfio_dmabuf_get_pfn()`` asks ``dma_buf_get_pfn_unlocked()``
for the page and turns any failure into -EIO.  The lab's ``map`` step
faults in every GFN of the slot; KVM holds ``pfn``.

exporter-maps: not expressible.  KVM has no struct device and needs CPU
physical addresses for its EPT; an exporter that maps for a device has
nothing to give it.
"""
from __future__ import annotations

from dmabuf_lab.drivers.pfn_importer import PfnTableImporter
from dmabuf_lab.kmodel import EINVAL, EIO, ENOMEM, KernelError, kfree, kstruct, kzalloc
from dmabuf_lab.revisions.base import CannotExpress
from dmabuf_lab.revisions.get_pfn import exporter_maps


class kvm_vfio_dmabuf(kstruct):
    """What KVM keeps per bound buffer: the VM and the memslot."""

    fields = ("kvm", "slot")


class KvmPfnImporter(PfnTableImporter):
    name = "kvm"

    def __init__(self, session):
        super().__init__(session)
        self.kv_dmabuf = None

    def attach(self, dmabuf) -> None:
        """kvm_vfio_dmabuf_bind()."""
        slot_size = int(self.s.importer.option("slot_size", dmabuf.size))
        if slot_size != dmabuf.size:
            raise KernelError(-EINVAL, f"kvm: memslot of {slot_size:#x} bytes for a {dmabuf.size:#x}-byte dma-buf")
        kv = kzalloc(kvm_vfio_dmabuf)
        if kv is None:
            raise KernelError(-ENOMEM, "kvm: kv_dmabuf")
        kv.kvm = "vm"
        kv.slot = "memslot"
        try:
            super().attach(dmabuf)
        except KernelError:
            kfree(kv)
            raise
        self.kv_dmabuf = kv

    def get_error(self, ret: int) -> int:
        """kvm_vfio_dmabuf_get_pfn(): every failure becomes -EIO."""
        return -EIO

    def detach(self) -> None:
        """kvm_vfio_dmabuf_unbind()."""
        if self.attached:
            super().detach()
            kfree(self.kv_dmabuf)
            self.kv_dmabuf = None


def make_importer(session):
    if exporter_maps():
        raise CannotExpress("exporter-maps: KVM has no device and needs CPU physical addresses, "
                            "not DMA addresses made for a device")
    return KvmPfnImporter(session)
