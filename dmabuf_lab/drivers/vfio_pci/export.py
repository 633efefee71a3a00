"""The vfio-pci export step every revision shares.

User space asks for a dma-buf of BAR slices with
``VFIO_DEVICE_FEATURE_DMA_BUF``; the 6.19 code path
(:func:`~dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_6_19.vfio_pci_core_feature_dma_buf`)
validates the slices, fills ``phys_vec`` and exports.  A revision that only
changes the ops table (mapping types, offer list) passes ``ops`` and the
buffer is re-pointed at it before anyone can attach, which is what its
patches amount to for this path.  Revoke is ``vfio_pci_dma_buf_move()``.
"""
from __future__ import annotations

from dmabuf_lab.core.file import close_fd, set_rlimit_nofile
from dmabuf_lab.drivers.common import check_ret, spec_device
from dmabuf_lab.drivers.dma_access import observe
from dmabuf_lab.drivers.fd_exporter import FdExporter
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_core.common import vfio_pci_core_close_device_619
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_config.mainline_6_19 import vfio_basic_config_write_command
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_6_19 import (VFIO_DEVICE_FEATURE_GET, vfio_device_feature_dma_buf,
                                                vfio_pci_dma_buf,
                                                vfio_pci_core_device,
                                                vfio_pci_core_feature_dma_buf, vfio_pci_dma_buf_cleanup,
                                                vfio_pci_dma_buf_move)
from dmabuf_lab.kmodel.resource import iomem_add_user, iomem_check_owned, request_mem_region
from dmabuf_lab.kmodel.sched import unannounced
from dmabuf_lab.pci.pci import pci_resource_len, pci_resource_start
from dmabuf_lab.revisions.base import fixed


class VfioExporter(FdExporter):
    """vfio-pci exporting slices of ``bar`` of ``device`` (a PF or a VF).

    Options: ``memory_enabled = false`` exports while memory decoding is
    off (the buffer starts revoked).
    """

    ops = None                  # None: keep 6.19's vfio_pci_dmabuf_ops
    priv_type = None            # None: 6.19's struct vfio_pci_dma_buf
    fixed_helper_bug = None     # name of the revision's bug that selects the fixed core helper
    fd_error_bug = None         # name of the revision's bug for the fd error path
    trace_note = ""             # appended to the export line of the trace

    def __init__(self, session):
        super().__init__(session)
        self.pdev = spec_device(session, "exporter")
        self.vdev = None
        self.more_fds: list = []

    #: this release's vfio_pci_core.c twin module (enable, disable, close), or None for a design
    #: whose model leaves the device's open and BAR claims out
    core = None
    #: 6.19's lazy vfio_pci_core_setup_barmap(): what user space's first read or mmap of the BAR runs
    setup_barmap = None

    def open_device(self, bar: int) -> None:
        """The user opens the vfio device before asking for the buffer: another driver
        may already hold the BAR's window (``bar_held_by``), enable runs, and under
        6.19 user space's mapping of the BAR claims it (``bar_mapped``)."""
        s = self.s
        held = s.exporter.option("bar_held_by")
        if held:
            request_mem_region(pci_resource_start(self.pdev, bar), pci_resource_len(self.pdev, bar), held, held)
        self.core.vfio_pci_core_enable(self.vdev)
        if self.setup_barmap is not None and s.exporter.option("bar_mapped", True):
            self.setup_barmap(self.vdev, bar)      # its failure is the mmap's, not the export's

    def _watch_bar_windows(self, bar: int) -> None:
        """The lab's look at the buffer it just exported (no kernel code): every range must
        lie in a window vfio holds, and vfio's mappings of it count as users of the window
        (given back while one is live: the iomem checker reports it)."""
        pdev, dmabuf, priv = self.pdev, self.dmabuf, self.dmabuf.priv
        ranges = [(int(priv.phys_vec[i].paddr), int(priv.phys_vec[i].len)) for i in range(priv.nr_ranges)]
        with unannounced():
            for start, n in ranges:
                iomem_check_owned(start, n, pdev, f"the vfio-pci dma-buf of BAR {bar} of {pdev.bdf}")
        live = lambda: sum(a.nr_mappings for a in dmabuf.attachments)   # noqa: E731
        for start, n in ranges:
            iomem_add_user(start, n, f"the importers of the vfio-pci dma-buf of {pdev.bdf}", live, dmabuf.resv)
        self.s.shared["dma_window"] = lambda: [(start, n, pdev) for start, n in ranges]

    def export(self):
        s = self.s
        self.vdev = vfio_pci_core_device(self.pdev)
        bar = s.exporter.bar if s.exporter.bar is not None else 0
        if self.core is not None:
            self.open_device(bar)
        self.vdev.memory_enabled = bool(s.exporter.option("memory_enabled", True))
        limit = s.exporter.option("rlimit_nofile")
        if limit is not None:
            set_rlimit_nofile(int(limit))
        req = vfio_device_feature_dma_buf(region_index=bar, dma_ranges=[tuple(r) for r in s.exporter.ranges])
        self._take_fd(self.feature_dma_buf(req), "VFIO_DEVICE_FEATURE_DMA_BUF")
        if self.core is not None:
            self._watch_bar_windows(bar)
        if self.ops is not None:
            self.dmabuf.ops = self.ops
        s.shared["p2p_memory"] = True
        s.shared["vfio_priv"] = self.dmabuf.priv
        vdev, priv = self.vdev, self.dmabuf.priv
        s.shared["dma_target"] = vdev
        s.shared["dma_gone"] = lambda token: (None if vdev.memory_enabled else
                                              "vfio turned the BAR's memory decoding off (revoke returned)")
        s.shared["buffer_revoked"] = lambda: bool(priv.revoked)
        s.log(f"vfio-pci: exported {len(s.exporter.ranges)} range(s) of {self.pdev.bdf} BAR {bar}"
              + self.trace_note)
        return self.dmabuf

    def feature_dma_buf(self, req) -> int:
        """VFIO_DEVICE_FEATURE_DMA_BUF as this revision's vfio-pci implements it: an fd or -errno."""
        return vfio_pci_core_feature_dma_buf(
            self.vdev, VFIO_DEVICE_FEATURE_GET, req,
            faithful=not (self.fd_error_bug and fixed(self.fd_error_bug)),
            fixed_helper=bool(self.fixed_helper_bug and fixed(self.fixed_helper_bug)),
            priv_type=self.priv_type or vfio_pci_dma_buf, after_export=self.after_export)

    def after_export(self, priv) -> None:
        """What this revision's ioctl does between dma_buf_export() and linking the
        buffer: a design that only changes the ops table points the buffer at it."""
        if self.ops is not None:
            priv.dmabuf.ops = self.ops

    def export_again(self) -> None:
        """Another VFIO_DEVICE_FEATURE_DMA_BUF for the same slices: a second buffer on the
        device's list, asked for by a user thread that may run while another one writes
        PCI_COMMAND.  The fd is kept until release."""
        s = self.s
        bar = s.exporter.bar if s.exporter.bar is not None else 0
        req = vfio_device_feature_dma_buf(region_index=bar, dma_ranges=[tuple(r) for r in s.exporter.ranges])
        self.more_fds.append(check_ret(self.feature_dma_buf(req), "VFIO_DEVICE_FEATURE_DMA_BUF"))
        self.check_buffers_follow_decoding()

    def check_buffers_follow_decoding(self) -> None:
        """The revoke protocol's invariant, checked after each exporter step: while the
        BAR does not decode, every buffer on the device's list that a file reference
        still keeps alive is revoked (else an importer may still map it and send DMA
        to a BAR that is off)."""
        with unannounced():               # the lab's own look: no scheduling point
            vdev = self.vdev
            if vdev is None or vdev.memory_enabled:
                return
            # a buffer whose file count already reached zero is being released: no
            # importer can reach it any more, and get_file_active() skips it
            live = [p for p in vdev.dmabufs if not p.revoked and p.dmabuf.file.f_count > 0]
        if live:
            observe(self.s, "use-after-revoke",
                    f"vfio: {len(live)} buffer(s) on the device's list not revoked while memory decoding is off")

    def release(self) -> None:
        super().release()
        while self.more_fds:
            close_fd(self.more_fds.pop())

    #: vfio_pci_dma_buf_move() of this revision (memory_lock held for write)
    dma_buf_move = staticmethod(vfio_pci_dma_buf_move)

    def revoke(self) -> None:
        """Memory decoding off (PCI_COMMAND write): revoke every buffer (move_notify to importers)."""
        vfio_basic_config_write_command(self.vdev, False, self.dma_buf_move)
        self.check_buffers_follow_decoding()

    def reenable(self) -> None:
        """Memory decoding back on: the buffers are usable again."""
        vfio_basic_config_write_command(self.vdev, True, self.dma_buf_move)
        self.check_buffers_follow_decoding()

    def move(self) -> None:
        """A reset cycle: revoke, then restore; importers see two move_notify calls."""
        self.revoke()
        self.reenable()

    #: vfio_pci_dma_buf_cleanup() of this revision (takes memory_lock itself)
    dma_buf_cleanup = staticmethod(vfio_pci_dma_buf_cleanup)
    #: vfio_pci_core_close_device() of this revision: 6.19 disables the function first
    core_close_device = staticmethod(vfio_pci_core_close_device_619)

    def close_device(self) -> None:
        """The user closes the vfio device: the function is turned off and every
        buffer revoked for good, in the order this revision's close path has."""
        if self.core is not None:
            self.core.vfio_pci_core_close_device(self.vdev, self.dma_buf_cleanup)
            return
        self.core_close_device(self.vdev, self.dma_buf_cleanup)
