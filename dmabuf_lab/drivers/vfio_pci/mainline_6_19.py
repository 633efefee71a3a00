"""vfio-pci under mainline 6.19: the merged exporter as it is.

Driver: :mod:`dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_6_19`.  Attach needs
``peer2peer`` (-EOPNOTSUPP otherwise) and a live buffer (-ENODEV), map
goes through ``dma_buf_phys_vec_to_sgt()``.  The released 6.19 ops carry
61ceaf236115's pin, which always fails: with CONFIG_DMABUF_MOVE_NOTIFY off
(the Kconfig default, and the lab's unless the exporter option
``dmabuf_move_notify`` says otherwise) dma_buf_map_attachment() pins
every importer first, so no sg_table importer can map the buffer; only
iommufd's private bridge, which does not map, works.  The export runs as one
system call, so the final fput() of its error path is deferred to the
return to user space, as in the kernel.

Revoke sets ``revoked``, calls move_notify and returns: 6.19 does not wait
for the importers.  Closing the device turns the function off before the
cleanup revokes (bug ``close-order``, fixed upstream by d97708701434).  The lab checks what the kernel does not: a mapping
still held when vfio_pci_dma_buf_move() returns is a ``use-after-revoke``
(the importer can still DMA to a BAR whose decoding is being turned off);
the importer's deferred unmap runs afterwards.
"""
from __future__ import annotations

from dmabuf_lab.core.file import syscall
from dmabuf_lab.core.workqueue import flush_scheduled_work
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_core import mainline_6_19 as core_619
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_core import mainline_7_1 as core_71
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_rdwr.mainline_6_19 import vfio_pci_core_setup_barmap
from dmabuf_lab.drivers.vfio_pci.export import VfioExporter
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_6_19 import CONFIG_DMABUF_MOVE_NOTIFY
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_config.mainline_6_19 import vfio_basic_config_write_command
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_6_19 import (VFIO_DEVICE_FEATURE_GET,
                                                vfio_pci_core_feature_dma_buf, vfio_pci_dma_buf_move)
from dmabuf_lab.kmodel.runtime import report
from dmabuf_lab.revisions.base import fixed


class MainlineVfioExporter(VfioExporter):
    fixed_helper_bug = "sgt-helper"
    fd_error_bug = "fd-error-put"

    def feature_dma_buf(self, req) -> int:
        """The 6.19 ioctl as one system call, exporting the released ops (with pin)."""
        self.s.shared["config_dmabuf_move_notify"] = bool(
            self.s.exporter.option("dmabuf_move_notify", CONFIG_DMABUF_MOVE_NOTIFY))
        with syscall():
            return vfio_pci_core_feature_dma_buf(
                self.vdev, VFIO_DEVICE_FEATURE_GET, req, faithful=not fixed(self.fd_error_bug),
                fixed_helper=fixed(self.fixed_helper_bug), pin_ops=True)

    def revoke(self) -> None:
        vfio_basic_config_write_command(self.vdev, False, self._move_and_check)
        self.check_buffers_follow_decoding()

    def move(self) -> None:
        self.revoke()
        self.reenable()

    #: 6.19's open, disable and close; BARs claimed on user space's first use
    core = core_619
    setup_barmap = staticmethod(vfio_pci_core_setup_barmap)

    def close_device(self) -> None:
        """6.19's close: the function is disabled (its BAR windows given back, decoding
        off), then the buffers are revoked (no wait); ``close-order`` fixed is
        d97708701434's order."""
        close = core_71.vfio_pci_core_close_device if fixed("close-order") else core_619.vfio_pci_core_close_device
        close(self.vdev, self.dma_buf_cleanup)

    def _move_and_check(self, vdev, revoked: bool) -> None:
        vfio_pci_dma_buf_move(vdev, revoked)
        if revoked:
            self._check_revoked()

    def _check_revoked(self) -> None:
        """After move() returned: report every attachment that still holds a mapping.

        The ``revoke-no-wait`` fix lets the importers' pending work run
        first, as 1a8a5227f229's wait_for_completion() does.
        """
        if fixed("revoke-no-wait"):
            flush_scheduled_work()
        if self.dmabuf is not None:
            for a in list(self.dmabuf.attachments):
                if a.nr_mappings:
                    dev = getattr(a.dev, "bdf", None) or getattr(a.dev, "name", "?")
                    report("use-after-revoke",
                           f"vfio_pci_dma_buf_move() returned while {dev} still holds "
                           f"{a.nr_mappings} mapping(s) of the revoked BAR", "vfio_pci_dma_buf_move")
        flush_scheduled_work()


def make_exporter(session):
    return MainlineVfioExporter(session)
