"""RDMA MR registration over a dma-buf through the umem_dmabuf.c twins.

A NIC without on-demand paging registers a dma-buf MR pinned: one
``ibv_reg_dmabuf_mr()`` runs ib_umem_dmabuf_get_pinned() (attach, pin, map,
trim) and the MR then holds its mapping until ``ibv_dereg_mr()`` releases
the umem.  From 7.1 a driver that can revoke its MR (irdma) registers
through ib_umem_dmabuf_get_pinned_revocable_and_lock() instead, installs its
revoke callback with ib_umem_dmabuf_set_revoke_locked() and unlocks; an
exporter's invalidation then revokes the MR.

Scenario steps: ``attach`` is the registration (the whole import, in one
system call), ``map`` re-checks the MR's mapping under the reservation lock
(ib_umem_dmabuf_map_pages(): a wait while mapped, -EINVAL once revoked),
``unmap`` does nothing (a pinned MR is unmapped only at deregistration),
``detach`` is the deregistration, ``use`` a NIC transfer through the MR.
The user's fd for the buffer is one the importer installs for itself.
Options (``[importer]``): ``pinned``, ``revocable`` (7.1 and later) and
``fail_nth``, written to the task's fail-nth before the registration.
"""
from __future__ import annotations

from types import ModuleType

from dmabuf_lab.core.file import close_fd, fd_install_new, get_file
from dmabuf_lab.drivers.common import check_ptr, check_ret, importer_dev
from dmabuf_lab.drivers.dma_access import dma_access, dma_token, mapping_returned
from dmabuf_lab.kmodel import EINVAL, KernelError, dma_resv_lock, dma_resv_unlock, fail_nth_from_now
from dmabuf_lab.kmodel.fence import DMA_RESV_USAGE_BOOKKEEP, dma_fence, dma_fence_signal, dma_resv_add_fence
from dmabuf_lab.revisions.base import CannotExpress, ImporterDriver

#: IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_READ: what a test MR asks for.
MR_ACCESS = 0x1 | 0x4


class UmemImporter(ImporterDriver):
    """An RDMA driver registering a pinned (or pinned-revocable) dma-buf MR."""

    name = "rdma"

    def __init__(self, session, umem: ModuleType):
        super().__init__(session)
        spec = session.importer
        self.umem = umem
        self.revocable = bool(spec.option("revocable", False))
        self.fail_nth = spec.option("fail_nth")
        self.ibdev = umem.ib_device("rdma0", importer_dev(session, "rdma"))
        self.dmabuf = None
        self.fd = -1
        self.umem_dmabuf = None
        self.mr_valid = False
        self.token = None

    # -- the driver's revoke callback (7.1 revocable MRs) ------------------------------
    def revoke_mr(self, priv) -> None:
        """The driver stops the NIC using the MR before the callback returns."""
        self.s.log("rdma: MR revoked")
        self.mr_valid = False

    def _kind(self) -> str:
        att = self.umem_dmabuf.attach
        return "sgt-p2p" if att.peer2peer and self.s.shared.get("p2p_memory") else "sgt"

    def attach(self, dmabuf) -> None:
        """ibv_reg_dmabuf_mr(): the whole pinned import in one call."""
        get_pinned_revocable = getattr(self.umem, "ib_umem_dmabuf_get_pinned_revocable_and_lock", None)
        if self.revocable and get_pinned_revocable is None:
            raise CannotExpress(f"{self.s.revision.name} has no "
                                "ib_umem_dmabuf_get_pinned_revocable_and_lock() (ff85a2ebacbd came with 7.1)")
        self.dmabuf = dmabuf
        get_file(dmabuf.file)
        self.fd = check_ret(fd_install_new(dmabuf.file), "rdma: the user's fd for the buffer")
        if self.fail_nth:
            fail_nth_from_now(int(self.fail_nth))
        size = dmabuf.size
        if self.revocable:
            u = get_pinned_revocable(self.ibdev, 0, size, self.fd, MR_ACCESS)
        else:
            u = self.umem.ib_umem_dmabuf_get_pinned(self.ibdev, 0, size, self.fd, MR_ACCESS)
        try:
            self.umem_dmabuf = check_ptr(u, "rdma: ib_umem_dmabuf_get_pinned"
                                         + ("_revocable_and_lock" if self.revocable else ""))
        except KernelError:
            self._close_fd()
            raise
        if self.revocable:          # still under the reservation lock
            self.umem.ib_umem_dmabuf_set_revoke_locked(self.umem_dmabuf, self.revoke_mr, self)
        mapping_returned(self.s, "ib_umem_dmabuf_map_pages")
        self.token = dma_token(self.s)
        self.mr_valid = True
        if self.revocable:
            dma_resv_unlock(dmabuf.resv)
        self.attached = True
        self.mapped = True
        self.kind = self._kind()

    def map(self) -> None:
        """ib_umem_dmabuf_map_pages() on the registered MR (resv held)."""
        dma_resv_lock(self.dmabuf.resv)
        try:
            ret = self.umem.ib_umem_dmabuf_map_pages(self.umem_dmabuf)
        finally:
            dma_resv_unlock(self.dmabuf.resv)
        check_ret(ret, "rdma: ib_umem_dmabuf_map_pages")
        self.kind = self._kind()

    def unmap(self) -> None:
        """A pinned MR keeps its mapping until deregistration."""
        self.s.log("rdma: pinned MR, nothing to unmap before ibv_dereg_mr()")

    def use(self) -> None:
        """A NIC transfer through the MR, fenced; a revoked MR makes the NIC fail it."""
        resv = self.dmabuf.resv
        dma_resv_lock(resv)
        try:
            valid = self.mr_valid
            fence = dma_fence(f"{self.name} transfer")
            dma_resv_add_fence(resv, fence, DMA_RESV_USAGE_BOOKKEEP)
        finally:
            dma_resv_unlock(resv)
        if valid:
            dma_access(self.s, self.token, self.name)
        else:
            self.s.log("rdma: transfer on a revoked MR fails with an access error")
        dma_fence_signal(fence)
        if not valid:
            raise KernelError(-EINVAL, "rdma: transfer on a revoked MR")

    def detach(self) -> None:
        """ibv_dereg_mr(): release the umem, then the user closes the fd."""
        if not self.attached:
            return
        self.umem.ib_umem_release(self.umem_dmabuf)
        self.umem_dmabuf = None
        self.attached = False
        self.mapped = False
        self.mr_valid = False
        self._close_fd()

    def teardown(self) -> None:
        self.detach()

    def _close_fd(self) -> None:
        if self.fd >= 0:
            close_fd(self.fd)
            self.fd = -1

    @staticmethod
    def wanted(session) -> bool:
        """Whether the scenario asks for the pinned registration path."""
        spec = session.importer
        return bool(spec.option("pinned", False)) or bool(spec.option("revocable", False))
