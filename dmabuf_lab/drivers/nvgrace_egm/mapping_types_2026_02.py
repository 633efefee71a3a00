"""The nvgrace-gpu EGM exporter, written on the 2026-02 mapping-type RFC API.

Modelled from drivers/vfio/pci/nvgrace-gpu/nvgrace_egm_dmabuf.c on Ankita
Agrawal's public tree (ankita-nv/linux 35fb3d7c0741), which is not in
mainline.  User space asks the EGM character device for a dma-buf of
slices of the EGM region (host memory the GPU reaches coherently);
``nvgrace_egm_export_dmabuf()`` checks the slices as vfio does
(non-zero, page-aligned, no overflow, inside the region) and exports a
buffer that offers one mapping type, PAL: no SGT, so only a PAL importer
(iommufd) can use it.  ``nvgrace_egm_dma_buf_cleanup()`` revokes every
buffer (``revoked`` + move_notify) when the device goes away.

It repeats two of the RFC's vfio bugs, each a bug of the revision with its
fix behind a variant (its map_phys, match_mapping and cleanup are copies of
vfio's, :mod:`dmabuf_lab.drivers.vfio_pci.mapping_types_2026_02` and
:mod:`dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_6_19`, kept as separate functions so
that a finding names the EGM function it comes from):

``egm-match-lock``
    ``nvgrace_egm_dma_buf_match_mapping()`` asserts the reservation lock,
    which ``dma_buf_mapping_attach()`` does not hold (a ``lock`` finding on
    every attach); fixed: look at ``egm_chardev`` under the lock.
``egm-pal-revoked``
    ``nvgrace_egm_dma_pal_map_phys()`` does not test ``revoked``, so the
    ranges of a revoked buffer are handed out again (``use-after-revoke``);
    fixed: -ENODEV.

``egm-fd-error-put``
    when ``dma_buf_fd()`` fails, ``nvgrace_egm_export_dmabuf()`` jumps to
    ``err_dma_buf``: it puts the buffer, whose release frees ``phys_vec``
    and ``priv``, and falls through the labels that free them again (the
    shape of the vfio double free e98137f0a874 fixed); fixed: put and
    return.  The exporter option ``rlimit_nofile`` (3: no free fd) makes
    the fd install fail; the export runs as one system call, so the put's
    release is deferred to the return to user space, as in the kernel.

The EGM region is placed at :data:`EGM_PHYS` (a model placement, no real
address) with ``egm_size`` bytes (exporter option, default 1 GiB).
"""
from __future__ import annotations

from dmabuf_lab.addr import PAGE_SIZE, U64_MAX
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_6_19 import dma_buf_fd, dma_buf_put
from dmabuf_lab.core.file import fput, get_file_active, set_rlimit_nofile, syscall
from dmabuf_lab.core.ops import dma_buf_export_info
from dmabuf_lab.drivers.fd_exporter import FdExporter
from dmabuf_lab.kmodel import (EINVAL, ENODEV, ENOMEM, EOVERFLOW, ERR_PTR, IS_ERR, PTR_ERR, KArray,
                               allocation_of, dma_resv_assert_held, dma_resv_lock, dma_resv_unlock,
                               kcalloc, kfree, kstruct, kvfree, kvzalloc, kzalloc, report)
from dmabuf_lab.kmodel.mutex import mutex, mutex_lock, mutex_unlock
from dmabuf_lab.revisions.base import fixed
from dmabuf_lab.twins import mirrors
from dmabuf_lab.revisions.mapping_types_2026_02 import (DMA_BUF_EMAPPING_PAL, dma_buf_export,
                                                        dma_buf_mapping_pal_exp_ops, dma_buf_match_mapping,
                                                        dma_buf_move_notify, dma_buf_ops_mt,
                                                        dma_buf_phys_list, dma_buf_phys_vec, match_list)
from dmabuf_lab.twins import mirrors
from dmabuf_lab.linux.drivers.vfio.pci.nvgrace_gpu.nvgrace_egm_dmabuf.mapping_types_2026_02 import _PIN, EGM_PHYS, EGM_DEFAULT_SIZE, chardev, nvgrace_egm_dma_buf, nvgrace_egm_dma_buf_attach, nvgrace_egm_dma_pal_map_phys, nvgrace_egm_dma_pal_unmap_phys, nvgrace_egm_dma_buf_pal_ops, nvgrace_egm_dma_buf_release, nvgrace_egm_dma_buf_match_mapping, nvgrace_egm_dmabuf_ops, validate_dmabuf_input, nvgrace_egm_fill_phys_vec, nvgrace_egm_export_dmabuf, _err_free_phys, nvgrace_egm_dma_buf_cleanup, _list_del  # noqa: F401


class EgmExporter(FdExporter):
    """Exports slices (``ranges``, offsets into the EGM region) of an ``egm_size``-byte region."""

    def __init__(self, session):
        super().__init__(session)
        self.cdev = None

    def export(self):
        s = self.s
        self.cdev = chardev(egmphys=EGM_PHYS, egmlength=int(s.exporter.option("egm_size", EGM_DEFAULT_SIZE)))
        self.cdev.dmabufs = []
        self.cdev.dmabuf_lock = mutex("egm_chardev.dmabuf_lock")
        limit = s.exporter.option("rlimit_nofile")
        if limit is not None:
            set_rlimit_nofile(int(limit))
        with syscall():
            ret = nvgrace_egm_export_dmabuf(self.cdev, [tuple(r) for r in s.exporter.ranges])
        self._take_fd(ret, "nvgrace_egm_export_dmabuf")
        s.shared["p2p_memory"] = False
        s.log(f"nvgrace-egm: exported {len(s.exporter.ranges)} range(s) of the EGM region")
        return self.dmabuf

    def revoke(self) -> None:
        """The EGM device goes away (nvgrace_egm_dma_buf_cleanup)."""
        nvgrace_egm_dma_buf_cleanup(self.cdev)


def make_exporter(session):
    return EgmExporter(session)
