"""The rdma-uverbs exporter every release shares: an mlx5 NIC, one mmap entry, one range.

The scenario's ``[exporter]`` names the NIC (``device``), the BAR
(``bar``, default 0) and exactly one ``[offset, length]`` range: the lab
plays the mlx5 driver that made an mmap entry over that slice of the BAR
(as it does for device memory or a doorbell page) and the process that
holds a uverbs file and a ucontext.  The export is one
UVERBS_METHOD_DMABUF_ALLOC ioctl: the object's allocation, the handler,
then the commit (the dma-buf's file goes into a new fd) or the abort.

Exporter steps: ``revoke`` is the driver removing the mmap entry
(rdma_user_mmap_entry_remove()); ``release`` is the ucontext going away
(the uverbs file closed: every uobject destroyed, which revokes the
buffer); ``close`` is user space closing the dma-buf fd.  After a revoke
has returned the NIC memory behind the entry is no longer the buffer's, so
an importer's DMA then is a ``use-after-revoke``.
"""
from __future__ import annotations

from dmabuf_lab.addr import PAGE_SIZE
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_6_19 import dma_buf_get
from dmabuf_lab.core.file import close_fd, fd_install_new, syscall
from dmabuf_lab.drivers.common import check_ptr, check_ret, spec_device
from dmabuf_lab.drivers.fd_exporter import FdExporter
from dmabuf_lab.kmodel import ENOMEM
from dmabuf_lab.kmodel.completion import kref_init, kref_put
from dmabuf_lab.kmodel.sched import SharedState
from dmabuf_lab.linux.drivers.infiniband.core.ib_core_uverbs.mainline_7_1 import (
    ib_ucontext, rdma_user_mmap_entry_remove)
from dmabuf_lab.linux.drivers.infiniband.core.rdma_core.mainline_7_1 import (
    RDMA_REMOVE_CLOSE, _new_ufile, alloc_begin_fd_uobject, ib_uverbs_release_file, rdma_alloc_abort_uobject,
    rdma_alloc_commit_uobject, uverbs_cleanup_ufile)
from dmabuf_lab.linux.drivers.infiniband.core.uverbs.mainline_7_1 import ib_uverbs_dmabuf_file
from dmabuf_lab.linux.drivers.infiniband.hw.mlx5.main.mainline_7_1 import (
    mlx5_ib_mmap_get_pfns, mlx5_ib_pgoff_to_mmap_entry, mlx5_user_mmap_entry)
from dmabuf_lab.pci.p2pdma import pcim_p2pdma_init
from dmabuf_lab.pci.pci import pci_resource_start
from dmabuf_lab.revisions.base import CannotExpress, fixed

#: The mmap entry's index in the ucontext (mlx5 command 0, index 1).
ENTRY_PGOFF = 1


class NicMemory(SharedState):
    """What the importer's DMA meets: whether the NIC memory behind the entry is still
    the buffer's (the driver frees it once the revoke has returned)."""

    shared = {"present": "the NIC memory behind the mmap entry"}

    def __init__(self, name: str):
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "present", True)


class _IbDev:
    """The ib_device's two dma-buf ops, as mlx5 fills them."""

    def __init__(self, pdev):
        self.pdev = pdev

    def pgoff_to_mmap_entry(self, ucontext, pg_off: int):
        return mlx5_ib_pgoff_to_mmap_entry(ucontext, pg_off)

    def mmap_get_pfns(self, entry, ud) -> int:
        out: list = [None]
        ret = mlx5_ib_mmap_get_pfns(self.pdev, entry, ud.phys_vec, out)
        ud.provider = out[0]
        return ret


class RdmaUverbsExporter(FdExporter):
    """The NIC's uverbs dma-buf of one BAR range (see the module docstring)."""

    #: the release's twins, set by each release module
    twins = None
    fixed_helper_bug = "sgt-helper"

    def __init__(self, session):
        super().__init__(session)
        self.pdev = spec_device(session, "exporter")
        self.ufile = None
        self.entry = None
        self.ud = None
        self.memory = None
        self.context_gone = False
        self.ib_dev = None
        self.more_fds: list = []

    def _ops(self):
        t = self.twins
        return t.uverbs_dmabuf_ops_fixed if fixed(self.fixed_helper_bug) else t.uverbs_dmabuf_ops

    def export(self):
        s = self.s
        if len(s.exporter.ranges) != 1:
            raise CannotExpress("rdma-uverbs: an mmap entry is one range; the scenario gives "
                                f"{len(s.exporter.ranges)}")
        bar = s.exporter.bar if s.exporter.bar is not None else 0
        offset, length = (int(v) for v in s.exporter.ranges[0])
        if length % PAGE_SIZE or offset % PAGE_SIZE:
            raise CannotExpress("rdma-uverbs: an mmap entry covers whole pages")
        pcim_p2pdma_init(self.pdev)            # mlx5 enables p2pdma at probe (the export patch)
        self.ufile = _new_ufile()
        if self.ufile is None:                 # ib_uverbs_open() could not allocate the file
            check_ret(-ENOMEM, "open of the uverbs device")
        ucontext = ib_ucontext(device=self.pdev, ufile=self.ufile)
        self.ufile.ucontext = ucontext
        entry = mlx5_user_mmap_entry(ucontext=ucontext, start_pgoff=ENTRY_PGOFF, npages=length // PAGE_SIZE,
                                     address=int(pci_resource_start(self.pdev, bar)) + offset)
        entry.ref.container = entry
        kref_init(entry.ref)                   # the driver's reference (rdma_user_mmap_entry_insert)
        for i in range(entry.npages):
            ucontext.mmap_xa[ENTRY_PGOFF + i] = entry
        self.entry = entry
        self.ib_dev = _IbDev(self.pdev)
        fd, ud = self._alloc_ioctl()
        self.fd = check_ret(fd, "UVERBS_METHOD_DMABUF_ALLOC")
        self.dmabuf = check_ptr(dma_buf_get(self.fd), "dma_buf_get")
        self.ud = ud
        self.memory = NicMemory(f"{self.pdev.bdf} BAR {bar} mmap entry")
        memory = self.memory
        s.shared["p2p_memory"] = True
        s.shared["dma_target"] = memory
        s.shared["dma_gone"] = lambda token: (None if memory.present else
                                              "the NIC memory behind the revoked mmap entry was freed "
                                              "(revoke returned)")
        s.shared["buffer_revoked"] = lambda: bool(ud.revoked)
        s.log(f"rdma-uverbs: exported {length:#x} bytes at {offset:#x} of {self.pdev.bdf} BAR {bar} "
              f"(one mmap entry)")
        return self.dmabuf

    def _alloc_ioctl(self):
        """UVERBS_METHOD_DMABUF_ALLOC as one system call: (fd or -errno, the object)."""
        t = self.twins
        ucontext = self.ufile.ucontext
        with syscall():
            ud = alloc_begin_fd_uobject(self.ufile, ucontext, ib_uverbs_dmabuf_file)
            check_ptr(ud, "alloc_begin_fd_uobject")
            ret = t.uverbs_method_dmabuf_alloc(ud, self.ib_dev, ucontext, ENTRY_PGOFF << 12, ops=self._ops())
            if ret:
                rdma_alloc_abort_uobject(ud.uobj, False, t.uverbs_dmabuf_fd_destroy_uobj)
                fd = ret
            else:
                rdma_alloc_commit_uobject(ud.uobj)
                fd = fd_install_new(ud.dmabuf.file)
        return fd, ud

    def export_again(self) -> None:
        """A second ALLOC on the same mmap entry by another user thread, which may run
        while the driver removes the entry; its fd is kept until release."""
        fd, _ = self._alloc_ioctl()
        self.more_fds.append(check_ret(fd, "UVERBS_METHOD_DMABUF_ALLOC"))

    def _memory_gone(self) -> None:
        if self.memory is not None:
            self.memory.present = False

    def revoke(self) -> None:
        """The driver removes the mmap entry: every buffer on it is revoked and waited for;
        then the driver frees what the entry mapped."""
        rdma_user_mmap_entry_remove(self.entry)
        self._memory_gone()

    def close_device(self) -> None:
        """The uverbs file is closed: the ucontext's uobjects are destroyed (the buffer's
        destroy revokes and waits), then the file's own reference goes."""
        if self.ufile is None or self.context_gone:
            return
        uverbs_cleanup_ufile(self.ufile, RDMA_REMOVE_CLOSE, self.twins.uverbs_dmabuf_fd_destroy_uobj)
        self.context_gone = True
        self._memory_gone()
        kref_put(self.ufile.ref, ib_uverbs_release_file)

    def release(self) -> None:
        """Process exit: the dma-buf fd is closed, then the uverbs file (unless already)."""
        super().release()
        while self.more_fds:
            close_fd(self.more_fds.pop())
        self.close_device()


__all__ = ["RdmaUverbsExporter", "NicMemory", "ENTRY_PGOFF"]
