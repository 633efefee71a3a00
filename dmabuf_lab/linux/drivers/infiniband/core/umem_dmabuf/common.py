"""What every release of umem_dmabuf.c shares: the structs, the trim of the
exporter's table to the MR's pages, and the bodies of map, unmap and the
dynamic attach, each taking the dma-buf core it calls (the release's).

The version modules (:mod:`.mainline_6_19`, :mod:`.mainline_7_1`) hold the
twins; these helpers carry no pin of their own.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Optional

from dmabuf_lab.addr import (PAGE_SIZE, for_each_sgtable_dma_sg, sg_dma_address, sg_dma_len,
                             sg_dma_set_address, sg_dma_set_len)
from dmabuf_lab.core.dma_mapping import DMA_BIDIRECTIONAL
from dmabuf_lab.core.session import current_session
from dmabuf_lab.kmodel import (EINVAL, ENOMEM, ERR_CAST, ERR_PTR, ETIMEDOUT, IS_ERR, PTR_ERR,
                               dma_resv_assert_held, kfree, kstruct, kzalloc)
from dmabuf_lab.kmodel.fence import DMA_RESV_USAGE_KERNEL, MAX_SCHEDULE_TIMEOUT, dma_resv_wait_timeout

#: The ULONG_MAX an offset + size must not pass (check_add_overflow on unsigned long).
ULONG_MAX = (1 << 64) - 1


@dataclass
class ib_device:
    """The few members of struct ib_device the import reads: its DMA device."""

    name: str
    dma_device: Any


@dataclass
class ib_umem_sgt:
    """``umem.sgt_append.sgt``: where the MR's trimmed list starts and how many entries it has."""

    sgl: Any = None
    nents: int = 0


@dataclass
class ib_umem:
    """The generic part of an MR's memory: device, offset and length in the buffer."""

    ibdev: Optional[ib_device] = None
    length: int = 0
    address: int = 0
    writable: bool = False
    is_dmabuf: bool = False
    sgt: ib_umem_sgt = field(default_factory=ib_umem_sgt)


class ib_umem_dmabuf(kstruct):
    """struct ib_umem_dmabuf: the umem, its attachment, the trimmed table, the pin and
    revoke state; from 7.1 also the driver's revoke callback and its argument."""

    fields = ("umem", "attach", "sgt", "first_sg", ("first_sg_offset", 0), "last_sg",
              ("last_sg_trim", 0), "private", ("pinned", 0), ("revoked", 0),
              "pinned_revoke", "pinned_revoke_priv")


def ib_umem_num_pages(umem: ib_umem) -> int:
    """Pages the umem spans at PAGE_SIZE: zero for an empty MR."""
    start = umem.address & ~(PAGE_SIZE - 1)
    end = (umem.address + umem.length + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)
    return (end - start) // PAGE_SIZE


def ib_access_writable(access: int) -> bool:
    """Any of the write or atomic access bits (IB_ACCESS_LOCAL_WRITE and friends)."""
    return bool(access & 0x0F)


def ibdev_warn_ratelimited(ibdev: Optional[ib_device], msg: str) -> None:
    """A rate-limited dev_warn(): a console line in the run's trace, not a WARN."""
    s = current_session()
    if s is not None:
        s.log(f"{getattr(ibdev, 'name', 'ib')}: {msg}")


def map_pages(umem_dmabuf: ib_umem_dmabuf, core: ModuleType) -> int:
    """Body of ib_umem_dmabuf_map_pages() against ``core``."""
    dmabuf = umem_dmabuf.attach.dmabuf
    dma_resv_assert_held(dmabuf.resv)
    if umem_dmabuf.revoked:
        return -EINVAL
    if umem_dmabuf.sgt is None:
        sgt = core.dma_buf_map_attachment(umem_dmabuf.attach, DMA_BIDIRECTIONAL)
        if IS_ERR(sgt):
            return PTR_ERR(sgt)
        trim(umem_dmabuf, sgt)
        umem_dmabuf.sgt = sgt
    ret = dma_resv_wait_timeout(dmabuf.resv, DMA_RESV_USAGE_KERNEL, False, MAX_SCHEDULE_TIMEOUT)
    if ret < 0:
        return ret
    if ret == 0:
        return -ETIMEDOUT
    return 0


def trim(umem_dmabuf: ib_umem_dmabuf, sgt) -> None:
    """The in-place trim: the first entry moved up to the MR's first page, the
    last cut after its last page, the entries between counted in ``nents``."""
    umem = umem_dmabuf.umem
    start = umem.address & ~(PAGE_SIZE - 1)
    end = (umem.address + umem.length + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)
    cur = nmap = 0
    for sg in for_each_sgtable_dma_sg(sgt):
        if start < cur + sg_dma_len(sg) and cur < end:
            nmap += 1
        if cur <= start < cur + sg_dma_len(sg):
            offset = start - cur
            umem_dmabuf.first_sg = sg
            umem_dmabuf.first_sg_offset = offset
            sg_dma_set_address(sg, sg_dma_address(sg) + offset)
            sg_dma_set_len(sg, sg_dma_len(sg) - offset)
            cur += offset
        if cur < end <= cur + sg_dma_len(sg):
            cut = cur + sg_dma_len(sg) - end
            umem_dmabuf.last_sg = sg
            umem_dmabuf.last_sg_trim = cut
            sg_dma_set_len(sg, sg_dma_len(sg) - cut)
            break
        cur += sg_dma_len(sg)
    umem.sgt.sgl = umem_dmabuf.first_sg
    umem.sgt.nents = nmap


def unmap_pages(umem_dmabuf: ib_umem_dmabuf, core: ModuleType) -> None:
    """Body of ib_umem_dmabuf_unmap_pages() against ``core``."""
    dma_resv_assert_held(umem_dmabuf.attach.dmabuf.resv)
    if umem_dmabuf.sgt is None:
        return
    if umem_dmabuf.first_sg is not None:
        sg = umem_dmabuf.first_sg
        sg_dma_set_address(sg, sg_dma_address(sg) - umem_dmabuf.first_sg_offset)
        sg_dma_set_len(sg, sg_dma_len(sg) + umem_dmabuf.first_sg_offset)
        umem_dmabuf.first_sg = None
        umem_dmabuf.first_sg_offset = 0
    if umem_dmabuf.last_sg is not None:
        sg = umem_dmabuf.last_sg
        sg_dma_set_len(sg, sg_dma_len(sg) + umem_dmabuf.last_sg_trim)
        umem_dmabuf.last_sg = None
        umem_dmabuf.last_sg_trim = 0
    core.dma_buf_unmap_attachment(umem_dmabuf.attach, umem_dmabuf.sgt, DMA_BIDIRECTIONAL)
    umem_dmabuf.sgt = None


def get_attached(device, dma_device, offset: int, size: int, fd: int, access: int, ops,
                 core: ModuleType):
    """ib_umem_dmabuf_get_with_dma_device() after its checks of the ops (which 7.1
    dropped): get the buffer, size check, allocate, fill the umem, attach."""
    ret = ERR_PTR(-EINVAL)
    end = offset + size
    dmabuf = core.dma_buf_get(fd)
    if IS_ERR(dmabuf):
        return ERR_CAST(dmabuf)
    if dmabuf.size < end:
        core.dma_buf_put(dmabuf)
        return ret
    umem_dmabuf = kzalloc(ib_umem_dmabuf)
    if umem_dmabuf is None:
        core.dma_buf_put(dmabuf)
        return ERR_PTR(-ENOMEM)
    umem_dmabuf.umem = ib_umem(ibdev=device, length=size, address=offset,
                               writable=ib_access_writable(access), is_dmabuf=True)
    if not ib_umem_num_pages(umem_dmabuf.umem):
        kfree(umem_dmabuf)
        core.dma_buf_put(dmabuf)
        return ret
    attach = core.dma_buf_dynamic_attach(dmabuf, dma_device, ops, umem_dmabuf)
    umem_dmabuf.attach = attach
    if IS_ERR(attach):
        kfree(umem_dmabuf)
        core.dma_buf_put(dmabuf)
        return ERR_CAST(attach)
    return umem_dmabuf
