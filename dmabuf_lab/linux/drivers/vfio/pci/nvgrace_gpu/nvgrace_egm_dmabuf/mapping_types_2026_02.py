"""drivers/vfio/pci/nvgrace-gpu/nvgrace_egm_dmabuf.c on the EGM series (not merged), written against the 2026-02 mapping-types RFC."""
from __future__ import annotations

from dmabuf_lab.addr import PAGE_SIZE, U64_MAX
from dmabuf_lab.core.file import fput, get_file_active
from dmabuf_lab.core.ops import dma_buf_export_info
from dmabuf_lab.kmodel import EINVAL, ENODEV, ENOMEM, EOVERFLOW, ERR_PTR, IS_ERR, KArray, PTR_ERR, allocation_of, dma_resv_assert_held, dma_resv_lock, dma_resv_unlock, kcalloc, kfree, kstruct, kvfree, kvzalloc, kzalloc, report
from dmabuf_lab.kmodel.mutex import mutex, mutex_lock, mutex_unlock
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_6_19 import dma_buf_fd, dma_buf_put
from dmabuf_lab.revisions.base import fixed
from dmabuf_lab.linux.include.linux.dma_buf_mapping_h.mapping_types_2026_02 import (DMA_BUF_EMAPPING_PAL, dma_buf_mapping_pal_exp_ops, dma_buf_phys_list, dma_buf_phys_vec)
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mapping_types_2026_02 import (dma_buf_export, dma_buf_ops_mt, match_list)
from dmabuf_lab.linux.drivers.dma_buf.dma_buf_mapping.mapping_types_2026_02 import dma_buf_match_mapping
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_6_19 import dma_buf_move_notify
from dmabuf_lab.twins import mirrors


_PIN = "ankita-nv/linux@35fb3d7c0741:drivers/vfio/pci/nvgrace-gpu/nvgrace_egm_dmabuf.c"


#: Where the model places the EGM region (host physical address space).
EGM_PHYS = 0x1000_0000_0000


EGM_DEFAULT_SIZE = 1 << 30


class chardev(kstruct):
    """The EGM character device: its region, the buffers exported from it and
    ``dmabuf_lock``, the mutex export, release and cleanup hold on that list."""

    fields = (("egmphys", 0), ("egmlength", 0), ("dmabufs", list), "dmabuf_lock")


class nvgrace_egm_dma_buf(kstruct):
    """The exporter's private object behind one dma-buf."""

    fields = ("dmabuf", "egm_chardev", ("size", 0), "phys_vec", ("nr_ranges", 0), ("revoked", False))


@mirrors("ankita-nv/linux@35fb3d7c0741:drivers/vfio/pci/nvgrace-gpu/nvgrace_egm_dmabuf.c:nvgrace_egm_dma_buf_attach")
def nvgrace_egm_dma_buf_attach(dmabuf, attachment) -> int:
    """Refuse a revoked buffer (-ENODEV)."""
    return -ENODEV if dmabuf.priv.revoked else 0


@mirrors("ankita-nv/linux@35fb3d7c0741:drivers/vfio/pci/nvgrace-gpu/nvgrace_egm_dmabuf.c:nvgrace_egm_dma_pal_map_phys")
def nvgrace_egm_dma_pal_map_phys(attach):
    """Copy the ranges into a new phys list; as written, even for a revoked buffer."""
    priv = attach.dmabuf.priv
    if priv.revoked:
        if fixed("egm-pal-revoked"):
            return ERR_PTR(-ENODEV)
        report("use-after-revoke", "nvgrace_egm_dma_pal_map_phys hands out the ranges of a revoked buffer")
    phys = kvzalloc(dma_buf_phys_list)
    if phys is None:
        return ERR_PTR(-ENOMEM)
    phys.phys = KArray(priv.nr_ranges, dma_buf_phys_vec, alloc=allocation_of(phys))
    phys.length = priv.nr_ranges
    for i in range(priv.nr_ranges):
        phys.phys[i].paddr = priv.phys_vec[i].paddr
        phys.phys[i].len = priv.phys_vec[i].len
    return phys


@mirrors("ankita-nv/linux@35fb3d7c0741:drivers/vfio/pci/nvgrace-gpu/nvgrace_egm_dmabuf.c:nvgrace_egm_dma_pal_unmap_phys")
def nvgrace_egm_dma_pal_unmap_phys(attach, phys) -> None:
    kvfree(phys)


nvgrace_egm_dma_buf_pal_ops = dma_buf_mapping_pal_exp_ops(map_phys=nvgrace_egm_dma_pal_map_phys,
                                                          unmap_phys=nvgrace_egm_dma_pal_unmap_phys)


@mirrors("ankita-nv/linux@35fb3d7c0741:drivers/vfio/pci/nvgrace-gpu/nvgrace_egm_dmabuf.c:nvgrace_egm_dma_buf_release")
def nvgrace_egm_dma_buf_release(dmabuf) -> None:
    """Last reference: leave the device's list (under its ``dmabuf_lock``), free."""
    priv = dmabuf.priv
    if priv.egm_chardev is not None:
        mutex_lock(priv.egm_chardev.dmabuf_lock)
        _list_del(priv.egm_chardev.dmabufs, priv)
        mutex_unlock(priv.egm_chardev.dmabuf_lock)
    kfree(priv.phys_vec)
    kfree(priv)


@mirrors("ankita-nv/linux@35fb3d7c0741:drivers/vfio/pci/nvgrace-gpu/nvgrace_egm_dmabuf.c:nvgrace_egm_dma_buf_match_mapping")
def nvgrace_egm_dma_buf_match_mapping(args) -> int:
    """Offer only PAL; -ENODEV once cleanup has run.  As written it asserts the lock."""
    priv = args.dmabuf.priv
    if fixed("egm-match-lock"):
        dma_resv_lock(priv.dmabuf.resv)
        cdev = priv.egm_chardev
        dma_resv_unlock(priv.dmabuf.resv)
    else:
        dma_resv_assert_held(priv.dmabuf.resv)
        cdev = priv.egm_chardev
    if cdev is None:
        return -ENODEV
    exp = match_list(DMA_BUF_EMAPPING_PAL(nvgrace_egm_dma_buf_pal_ops))
    return dma_buf_match_mapping(args, exp, 1)


nvgrace_egm_dmabuf_ops = dma_buf_ops_mt(attach=nvgrace_egm_dma_buf_attach, release=nvgrace_egm_dma_buf_release,
                                        match_mapping=nvgrace_egm_dma_buf_match_mapping,
                                        name="nvgrace_egm_dmabuf_ops")


@mirrors("ankita-nv/linux@35fb3d7c0741:drivers/vfio/pci/nvgrace-gpu/nvgrace_egm_dmabuf.c:validate_dmabuf_input")
def validate_dmabuf_input(ranges) -> tuple[int, int]:
    """Non-zero, page-aligned slices whose sum fits size_t; (ret, total)."""
    length = 0
    for off, ln in ranges:
        if not ln or off % PAGE_SIZE or ln % PAGE_SIZE:
            return -EINVAL, 0
        length += ln
        if length > U64_MAX:
            return -EINVAL, 0
    return 0, length


@mirrors("ankita-nv/linux@35fb3d7c0741:drivers/vfio/pci/nvgrace-gpu/nvgrace_egm_dmabuf.c:nvgrace_egm_fill_phys_vec")
def nvgrace_egm_fill_phys_vec(pv, ranges, start: int, length: int) -> int:
    """Slices -> physical ranges inside the EGM region (-EOVERFLOW, -EINVAL as vfio)."""
    max_addr = start + length
    for i, (off, ln) in enumerate(ranges):
        if not ln:
            return -EINVAL
        paddr, end = start + off, start + off + ln
        if paddr > U64_MAX or end > U64_MAX:
            return -EOVERFLOW
        pv[i].paddr = paddr
        if end > max_addr:
            return -EINVAL
        pv[i].len = ln
    return 0


@mirrors(f"{_PIN}:nvgrace_egm_export_dmabuf")
def nvgrace_egm_export_dmabuf(cdev, ranges, open_flags: int = 0) -> int:
    """The export ioctl: an fd or -errno; as posted, a failed fd install frees twice."""
    if cdev is None:
        return -ENODEV
    if not ranges:
        return -EINVAL
    ret, length = validate_dmabuf_input(ranges)
    if ret:
        return ret
    priv = kzalloc(nvgrace_egm_dma_buf)
    if priv is None:
        return -ENOMEM
    priv.phys_vec = kcalloc(len(ranges), dma_buf_phys_vec)
    if priv.phys_vec is None:
        kfree(priv)
        return -ENOMEM
    priv.egm_chardev = cdev
    priv.nr_ranges = len(ranges)
    priv.size = length
    ret = nvgrace_egm_fill_phys_vec(priv.phys_vec, ranges, cdev.egmphys, cdev.egmlength)
    if ret:
        return _err_free_phys(priv, ret)
    priv.dmabuf = dma_buf_export(dma_buf_export_info(ops=nvgrace_egm_dmabuf_ops, size=priv.size,
                                                     flags=open_flags, priv=priv, exp_name="nvgrace_egm"))
    if IS_ERR(priv.dmabuf):
        return _err_free_phys(priv, PTR_ERR(priv.dmabuf))
    # dma_buf_put() now frees priv
    mutex_lock(cdev.dmabuf_lock)
    dma_resv_lock(priv.dmabuf.resv)
    priv.revoked = False
    cdev.dmabufs.append(priv)
    dma_resv_unlock(priv.dmabuf.resv)
    mutex_unlock(cdev.dmabuf_lock)
    ret = dma_buf_fd(priv.dmabuf, open_flags)
    if ret < 0:
        # err_dma_buf:
        dma_buf_put(priv.dmabuf)
        if fixed("egm-fd-error-put"):
            return ret
        return _err_free_phys(priv, ret)      # falls through err_free_phys and err_free_priv
    return ret


def _err_free_phys(priv, ret: int) -> int:
    """The unwind labels err_free_phys and err_free_priv (dma_ranges is already NULL)."""
    kfree(priv.phys_vec)
    kfree(priv)
    return ret


@mirrors("ankita-nv/linux@35fb3d7c0741:drivers/vfio/pci/nvgrace-gpu/nvgrace_egm_dmabuf.c:nvgrace_egm_dma_buf_cleanup")
def nvgrace_egm_dma_buf_cleanup(cdev) -> None:
    """The device goes away: under ``dmabuf_lock`` revoke every live buffer and tell
    the importers."""
    if cdev is None:
        return
    mutex_lock(cdev.dmabuf_lock)
    for priv in list(cdev.dmabufs):
        if get_file_active(priv.dmabuf.file) is None:
            continue
        dma_resv_lock(priv.dmabuf.resv)
        _list_del(cdev.dmabufs, priv)
        priv.egm_chardev = None
        priv.revoked = True
        dma_buf_move_notify(priv.dmabuf)
        dma_resv_unlock(priv.dmabuf.resv)
        fput(priv.dmabuf.file)
    mutex_unlock(cdev.dmabuf_lock)


def _list_del(lst: list, item) -> None:
    for i, x in enumerate(lst):
        if x is item:
            del lst[i]
            return
