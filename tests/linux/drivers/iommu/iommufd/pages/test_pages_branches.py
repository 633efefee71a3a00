"""The other branches of the pages.c twins: revoked pages, a refused write access,
GUP in another task's mm, and every allocation of the import failing in turn."""
from __future__ import annotations

import pytest

from dmabuf_lab.linux.drivers.dma_buf.dma_buf import mainline_6_19 as core
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_6_19 import dma_buf_export, dma_buf_move_notify
from dmabuf_lab.core.file import get_file
from dmabuf_lab.core.ops import dma_buf_export_info, dma_buf_ops
from dmabuf_lab.kmodel import EFAULT, EPERM, IS_ERR, Kernel, dma_resv_lock, dma_resv_unlock, fault_sweep
from dmabuf_lab.kmodel.mm import mm_struct
from dmabuf_lab.kmodel.mutex import mutex_lock, mutex_unlock
from dmabuf_lab.linux.drivers.iommu.iommufd.pages import mainline_6_19, mainline_7_1, mainline_7_2
from dmabuf_lab.linux.drivers.iommu.iommufd.pages.common import (io_pagetable, iommu_domain, iommufd_ctx,
                                                                 iopt_area, iopt_dmabuf_revoked)

RELEASES = {"6.19": mainline_6_19, "7.1": mainline_7_1, "7.2": mainline_7_2}
SIZE = 0x20_0000


def _buf():
    ops = dma_buf_ops(pin=lambda a: 0, unpin=lambda a: None, map_dma_buf=lambda a, d: None,
                      unmap_dma_buf=lambda a, s, d: None, release=lambda b: None, name="toy")
    return dma_buf_export(dma_buf_export_info(ops=ops, priv=object(), size=SIZE))


def _bridge(attach, phys):
    phys.paddr, phys.len = 0x4000_0000, SIZE
    return 0


def _ictx():
    return iommufd_ctx({"vfio_pci_dma_buf_iommufd_map": _bridge}, device="iommufd")


def test_revoked_pages_are_not_mapped_and_not_unmapped_again():
    dom = iommu_domain()
    with Kernel() as k:
        buf = _buf()
        get_file(buf.file)
        pages = mainline_6_19.iopt_alloc_dmabuf_pages(_ictx(), buf, 0, 0, SIZE, True)
        dma_resv_lock(buf.resv)
        dma_buf_move_notify(buf)
        dma_buf_move_notify(buf)           # a second revoke finds the pages revoked and returns
        dma_resv_unlock(buf.resv)
        mutex_lock(pages.mutex)
        assert iopt_dmabuf_revoked(pages)
        mutex_unlock(pages.mutex)
        area = iopt_area(io_pagetable([dom]), pages)
        assert mainline_6_19.iopt_area_fill_domains(area, pages) == 0
        assert dom.mapped == {} and len(pages.dmabuf.tracker) == 1
        mainline_6_19.iopt_area_unfill_domains(area, pages)
        assert pages.dmabuf.tracker == []
        mainline_6_19.iopt_put_pages(pages)
        core.dma_buf_put(buf)
    assert k.findings == []


def test_revoke_unmaps_every_tracked_domain():
    d1, d2 = iommu_domain("d1"), iommu_domain("d2")
    with Kernel() as k:
        buf = _buf()
        get_file(buf.file)
        pages = mainline_6_19.iopt_alloc_dmabuf_pages(_ictx(), buf, 0, 0, SIZE, True)
        area = iopt_area(io_pagetable([d1, d2]), pages)
        mainline_6_19.iopt_area_fill_domains(area, pages)
        assert d1.mapped and d2.mapped
        dma_resv_lock(buf.resv)
        dma_buf_move_notify(buf)
        dma_resv_unlock(buf.resv)
        assert d1.mapped == {} and d2.mapped == {}
        mainline_6_19.iopt_area_unfill_domains(area, pages)
        mainline_6_19.iopt_put_pages(pages)
        core.dma_buf_put(buf)
    assert k.findings == []


@pytest.mark.parametrize("release", ["6.19", "7.2"])
def test_write_access_to_read_only_pages_is_eperm_first(release):
    mod = RELEASES[release]
    with Kernel() as k:
        buf = _buf()
        get_file(buf.file)
        pages = mod.iopt_alloc_dmabuf_pages(_ictx(), buf, 0, 0, SIZE, False)
        area = iopt_area(io_pagetable([]), pages)
        assert mod.iopt_area_add_access(area, 0, 0, None, 1 << 1, False) == -EPERM
        mod.iopt_put_pages(pages)
        core.dma_buf_put(buf)
    assert not [f for f in k.findings if f.kind != "lock"]


def test_gup_in_another_mm_takes_its_mmap_lock_and_drops_it():
    with Kernel() as k:
        pages = mainline_6_19.iopt_alloc_pages(0, 0x1000, True)
        other = mm_struct("other")
        pages.source_mm, pages.uptr = other, 0x7f00_0000_0000
        area = iopt_area(io_pagetable([]), pages)
        assert mainline_6_19.iopt_area_add_access(area, 0, 0, None, 0, False) == 0
        assert other.mmap_lock.readers == []
        pages.uptr = None                 # a kernel pointer's worth: not a user address
        assert mainline_6_19.iopt_area_add_access(area, 1, 1, None, 0, False) == -EFAULT
        assert other.mmap_lock.readers == []
    # the recorded access and the pages, neither taken down here
    assert sorted(f.message.split("(")[1].split(")")[0] for f in k.findings if f.kind == "leak") == [
        "struct iopt_pages", "struct iopt_pages_access"]
    assert all(f.kind == "leak" for f in k.findings)


@pytest.mark.parametrize("release", ["6.19", "7.1", "7.2"])
def test_every_failed_allocation_of_the_import_unwinds(release):
    mod = RELEASES[release]

    def path(k):
        buf = _buf()
        if IS_ERR(buf):
            return buf
        get_file(buf.file)
        pages = mod.iopt_alloc_dmabuf_pages(_ictx(), buf, 0, 0, SIZE, True)
        if IS_ERR(pages):
            core.dma_buf_put(buf)
            core.dma_buf_put(buf)
            return pages
        dom = iommu_domain()
        area = iopt_area(io_pagetable([dom]), pages)
        rc = mod.iopt_area_fill_domains(area, pages)
        if rc == 0:
            mod.iopt_area_unfill_domains(area, pages)
        mod.iopt_put_pages(pages)
        core.dma_buf_put(buf)
        return rc

    sweep = fault_sweep(path, name=f"iommufd import {release}")
    assert sweep.n_allocs >= 3
    bad = [(r.index, r.outcome) for r in sweep.bad_rows()]
    assert bad == [], bad
