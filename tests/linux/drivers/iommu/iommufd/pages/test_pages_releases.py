"""iommufd's dma-buf pages, release by release, against the kernel-runtime model:
import, map into a domain, unmap, release; the exporter revoking between the
teardown and the detach; an in-kernel access pin on dma-buf pages."""
from __future__ import annotations

import pytest

from dmabuf_lab.linux.drivers.dma_buf.dma_buf import mainline_6_19 as core
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_6_19 import dma_buf_export, dma_buf_move_notify
from dmabuf_lab.core.file import get_file
from dmabuf_lab.core.ops import dma_buf_export_info, dma_buf_ops
from dmabuf_lab.kmodel import (EFAULT, EINVAL, EOPNOTSUPP, IS_ERR, Kernel, PTR_ERR, dma_resv_lock,
                               dma_resv_unlock, kfree)
from dmabuf_lab.linux.drivers.dma_buf.dma_resv.mainline_6_19 import dma_resv_lockdep
from dmabuf_lab.linux.drivers.iommu.iommufd.pages import mainline_6_19, mainline_7_1, mainline_7_2
from dmabuf_lab.linux.drivers.iommu.iommufd.pages.common import (io_pagetable, iommu_domain, iommufd_ctx,
                                                                 iopt_area)

RELEASES = {"6.19": mainline_6_19, "7.1": mainline_7_1, "7.2": mainline_7_2}
PADDR, SIZE = 0x4000_0000, 0x20_0000


class Exporter:
    """A P2P exporter with pin/unpin that counts them; its bridge gives one range."""

    def __init__(self):
        self.pins = 0
        self.ops = dma_buf_ops(pin=self.pin, unpin=self.unpin, map_dma_buf=lambda a, d: None,
                               unmap_dma_buf=lambda a, s, d: None, release=lambda b: None, name="toy")
        self.bridge_rc = 0

    def pin(self, attach):
        self.pins += 1
        return 0

    def unpin(self, attach):
        self.pins -= 1

    def bridge(self, attach, phys):
        if self.bridge_rc:
            return self.bridge_rc
        phys.paddr, phys.len = PADDR, SIZE
        return 0


def _import(mod, exp):
    buf = dma_buf_export(dma_buf_export_info(ops=exp.ops, priv=exp, size=SIZE))
    assert not IS_ERR(buf)
    ictx = iommufd_ctx({"vfio_pci_dma_buf_iommufd_map": exp.bridge}, device="iommufd")
    get_file(buf.file)                 # the reference the ioctl's dma_buf_get() takes for the pages
    pages = mod.iopt_alloc_dmabuf_pages(ictx, buf, 0, 0, SIZE, True)
    if IS_ERR(pages):
        core.dma_buf_put(buf)          # the ioctl drops it on failure
    return buf, pages


def _area(pages, domain):
    return iopt_area(io_pagetable([domain]), pages, iova=0x10_0000, index=0, last_index=SIZE // 4096 - 1)


@pytest.mark.parametrize("release", ["6.19", "7.1", "7.2"])
def test_map_unmap_release(release):
    mod, exp, dom = RELEASES[release], Exporter(), iommu_domain()
    with Kernel() as k:
        buf, pages = _import(mod, exp)
        assert not IS_ERR(pages)
        area = _area(pages, dom)
        assert mod.iopt_area_fill_domains(area, pages) == 0
        assert dom.mapped == {0x10_0000: (PADDR, SIZE)}
        mod.iopt_area_unfill_domains(area, pages)
        assert dom.mapped == {}
        mod.iopt_put_pages(pages)
        core.dma_buf_put(buf)
    kinds = sorted(f.kind for f in k.findings)
    # 6.19 never pins; 7.1 pins and unpins without the reservation lock (dma_buf_unpin's assertion)
    assert exp.pins == 0
    assert kinds == (["lock"] if release == "7.1" else [])
    if release == "7.1":
        assert "dma_buf_unpin" in k.findings[0].chain


@pytest.mark.parametrize("release", ["6.19", "7.1", "7.2"])
def test_failed_bridge_call_detaches_and_frees(release):
    mod, exp = RELEASES[release], Exporter()
    exp.bridge_rc = -EOPNOTSUPP
    with Kernel() as k:
        buf, pages = _import(mod, exp)
        assert IS_ERR(pages) and PTR_ERR(pages) == -EOPNOTSUPP
        assert buf.attachments == []
        core.dma_buf_put(buf)
    assert k.findings == [] and exp.pins == 0


@pytest.mark.parametrize("release,uaf", [("6.19", True), ("7.1", True), ("7.2", False)])
def test_revoke_between_teardown_and_detach(release, uaf, monkeypatch):
    """The exporter revokes just before the detach takes the buffer off its list."""
    mod, exp = RELEASES[release], Exporter()
    real_detach = core.dma_buf_detach

    def revoke_then_detach(dmabuf, attach):
        dma_resv_lock(dmabuf.resv)
        dma_buf_move_notify(dmabuf) if release == "6.19" else _invalidate(dmabuf)
        dma_resv_unlock(dmabuf.resv)
        real_detach(dmabuf, attach)

    with Kernel() as k:
        buf, pages = _import(mod, exp)
        monkeypatch.setattr(core, "dma_buf_detach", revoke_then_detach)
        mod.iopt_put_pages(pages)
        monkeypatch.setattr(core, "dma_buf_detach", real_detach)
        core.dma_buf_put(buf)
    uafs = k.findings_of("use-after-free")
    assert bool(uafs) == uaf
    if uaf:
        assert "mutex_destroy" in uafs[0].message and "iopt_revoke_notify" in uafs[0].chain


def _invalidate(dmabuf):
    from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_7_1 import dma_buf_invalidate_mappings
    dma_buf_invalidate_mappings(dmabuf)


@pytest.mark.parametrize("release", ["6.19", "7.1", "7.2"])
def test_access_pin_on_dmabuf_pages(release):
    mod, exp, dom = RELEASES[release], Exporter(), iommu_domain()
    with Kernel() as k:
        dma_resv_lockdep()
        buf, pages = _import(mod, exp)
        area = _area(pages, dom)
        assert mod.iopt_area_fill_domains(area, pages) == 0
        rc = mod.iopt_area_add_access(area, 0, 0, None, 0, False)
        mod.iopt_area_unfill_domains(area, pages)
        mod.iopt_put_pages(pages)
        core.dma_buf_put(buf)
    locks = [f for f in k.findings if f.kind == "lock" and "circular" in f.message]
    if release == "7.2":
        assert rc == -EINVAL and locks == []
    else:
        # GUP on the attachment pointer: -EFAULT, after lockdep saw the mmap lock under the pages mutex
        assert rc == -EFAULT and len(locks) == 1
        msg = locks[0].message
        for cls in ("&mm->mmap_lock", "reservation_ww_class_mutex", "pages_dmabuf_mutex_key"):
            assert cls in msg
    assert not k.findings_of("leak")


def test_access_pin_cycle_needs_the_boot_time_order():
    """Without dma_resv_lockdep() lockdep has no mmap lock -> reservation edge: no cycle."""
    exp, dom = Exporter(), iommu_domain()
    with Kernel() as k:
        buf, pages = _import(mainline_6_19, exp)
        area = _area(pages, dom)
        mainline_6_19.iopt_area_fill_domains(area, pages)
        assert mainline_6_19.iopt_area_add_access(area, 0, 0, None, 0, False) == -EFAULT
        mainline_6_19.iopt_area_unfill_domains(area, pages)
        mainline_6_19.iopt_put_pages(pages)
        core.dma_buf_put(buf)
    assert k.findings == []


def test_access_pin_on_user_pages_pins():
    """The same path on user memory (a user address in the union) pins and records the access."""
    with Kernel() as k:
        dma_resv_lockdep()
        pages = mainline_6_19.iopt_alloc_pages(0, 0x2000, True)
        pages.uptr = 0x7f00_0000_0000
        area = iopt_area(io_pagetable([]), pages, index=0, last_index=1)
        assert mainline_6_19.iopt_area_add_access(area, 0, 1, None, 0, False) == 0
        assert pages.npinned == 2 and area.num_accesses == 1 and len(pages.access_itree) == 1
        kfree(pages.access_itree.pop())     # what iopt_area_remove_access() would free
        pages.npinned = 0
        mainline_6_19.iopt_put_pages(pages)
    assert k.findings == []
