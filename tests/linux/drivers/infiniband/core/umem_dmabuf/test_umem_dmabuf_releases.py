"""The umem_dmabuf.c twins of 6.19 and 7.1 against the kernel-runtime model.

The exporter is a bare pinnable BO (umem_exporter.py) whose pin count is
TTM's: an unpin too many is ttm_bo_unpin()'s WARN, the general check the
double unpin of 6.19 trips.
"""
from __future__ import annotations

import pytest

from dmabuf_lab.linux.drivers.dma_buf.dma_buf import mainline_6_19 as core_619
from dmabuf_lab.linux.drivers.dma_buf.dma_buf import mainline_7_1 as core_7x
from dmabuf_lab.kmodel import (EINVAL, ENOMEM, IS_ERR, Kernel, PTR_ERR, dma_resv_lock, dma_resv_unlock,
                               fail_nth_from_now)
from dmabuf_lab.linux.drivers.infiniband.core.umem_dmabuf import mainline_6_19 as r619
from dmabuf_lab.linux.drivers.infiniband.core.umem_dmabuf import mainline_7_1 as r71
from dmabuf_lab.linux.drivers.infiniband.core.umem_dmabuf.common import ib_device

# -- a minimal pinnable exporter: one BO whose pins go through TTM's count --------------

from dmabuf_lab.addr import DmaAddr, sg_table_free, sg_table_from_ranges
from dmabuf_lab.core.file import close_fd
from dmabuf_lab.core.ops import dma_buf_export_info, dma_buf_ops
from dmabuf_lab.kmodel import ERR_PTR, ENOMEM
from dmabuf_lab.linux.drivers.gpu.drm.ttm.ttm_bo.mainline_6_19 import ttm_bo_pin, ttm_bo_unpin

SIZE = 0x10000
BASE = 0x8000_0000


class Bo:
    def __init__(self):
        self.pin_count = 0
        self.maps = 0
        self.resv = None


def make_buffer(core, *, pin=True):
    """Export a BO through ``core`` and install an fd for it, as user space holds one.
    Returns (bo, dmabuf, fd)."""
    bo = Bo()

    def _pin(attach):
        ttm_bo_pin(bo)
        return 0

    def _unpin(attach):
        ttm_bo_unpin(bo)

    def _map(attach, direction):
        sgt = sg_table_from_ranges([(DmaAddr(BASE), SIZE)])
        if not isinstance(sgt, type(ERR_PTR(-ENOMEM))):
            bo.maps += 1
        return sgt

    def _unmap(attach, sgt, direction):
        bo.maps -= 1
        sg_table_free(sgt)

    ops = dma_buf_ops(map_dma_buf=_map, unmap_dma_buf=_unmap, release=lambda d: None,
                      pin=_pin if pin else None, unpin=_unpin if pin else None, name="test ops")
    dmabuf = core.dma_buf_export(dma_buf_export_info(ops=ops, size=SIZE, priv=bo, exp_name="test"))
    bo.resv = dmabuf.resv
    fd = core.dma_buf_fd(dmabuf)
    return bo, dmabuf, fd


def close(fd):
    close_fd(fd)


class Dev:
    name = "0000:04:00.0"

    def __repr__(self):
        return "<nic dma_device>"

RELEASES = [(r619, core_619), (r71, core_7x)]


def _dev():
    return ib_device("irdma0", Dev())


def _kinds(k):
    return sorted(f.kind for f in k.findings)


# 6.19 without CONFIG_DMABUF_MOVE_NOTIFY (the lab's config): dma_buf_map_attachment() pins a
# dynamic importer once more (dma_buf_pin_on_map); 7.1 builds as if it were on (609fc8766d68).
@pytest.mark.parametrize("mod,core,pins", [(r619, core_619, 2), (r71, core_7x, 1)], ids=["6.19", "7.1"])
def test_pinned_import_then_release_balances_pins_and_maps(mod, core, pins):
    with Kernel(name="pinned-ok") as k:
        bo, dmabuf, fd = make_buffer(core)
        u = mod.ib_umem_dmabuf_get_pinned(_dev(), 0x1000, 0x2000, fd, 1)
        assert not IS_ERR(u)
        assert bo.pin_count == pins and bo.maps == 1 and u.pinned
        # the trim: the MR's table starts at its first page and holds one entry
        assert int(u.umem.sgt.sgl.dma_address) == 0x8000_1000 and u.umem.sgt.nents == 1
        assert u.umem.sgt.sgl.dma_length == 0x2000
        mod.ib_umem_dmabuf_release(u)
        assert bo.pin_count == 0 and bo.maps == 0
        close(fd)
    assert _kinds(k) == []


def _import_with_map_failing(mod, core):
    """Fail the exporter's sg_table allocation inside the pinned import."""
    bo, dmabuf, fd = make_buffer(core)
    # allocations of the import: the umem, the attachment, then the map's sg_table
    fail_nth_from_now(3)
    u = mod.ib_umem_dmabuf_get_pinned(_dev(), 0, SIZE, fd, 1)
    close(fd)
    return bo, u


def test_6_19_a_failed_map_unpins_twice():
    with Kernel(name="619-map-fails") as k:
        bo, u = _import_with_map_failing(r619, core_619)
    assert IS_ERR(u) and PTR_ERR(u) == -ENOMEM
    assert k.fault.injected_fn in ("kzalloc", "kmalloc", "kmalloc_array", "kcalloc")
    assert bo.pin_count == 0
    warns = [f for f in k.findings if f.kind == "warn"]
    assert len(warns) == 1 and "pin_count is 0" in warns[0].message
    assert _kinds(k) == ["warn"]


def test_7_1_a_failed_map_unpins_once():
    with Kernel(name="71-map-fails") as k:
        bo, u = _import_with_map_failing(r71, core_7x)
    assert IS_ERR(u) and PTR_ERR(u) == -ENOMEM
    assert bo.pin_count == 0
    assert _kinds(k) == []


@pytest.mark.parametrize("mod,core", RELEASES, ids=["6.19", "7.1"])
def test_an_mr_past_the_end_or_empty_is_einval(mod, core):
    with Kernel(name="einval") as k:
        bo, dmabuf, fd = make_buffer(core)
        assert PTR_ERR(mod.ib_umem_dmabuf_get_pinned(_dev(), SIZE - 0x1000, 0x2000, fd, 1)) == -EINVAL
        assert PTR_ERR(mod.ib_umem_dmabuf_get_pinned(_dev(), 0, 0, fd, 1)) == -EINVAL
        assert PTR_ERR(mod.ib_umem_dmabuf_get_pinned(_dev(), (1 << 64) - 0x1000, 0x2000, fd, 1)) == -EINVAL
        close(fd)
    assert bo.pin_count == 0
    assert _kinds(k) == []


def test_6_19_dynamic_import_needs_a_callback_7_1_does_not():
    from dmabuf_lab.core.ops import dma_buf_attach_ops
    ops = dma_buf_attach_ops(allow_peer2peer=True)
    with Kernel(name="ops-619") as k:
        bo, dmabuf, fd = make_buffer(core_619)
        assert PTR_ERR(r619.ib_umem_dmabuf_get(_dev(), 0, SIZE, fd, 1, ops)) == -EINVAL
        close(fd)
    assert _kinds(k) == []
    with Kernel(name="ops-71") as k2:
        bo, dmabuf, fd = make_buffer(core_7x)
        u = r71.ib_umem_dmabuf_get(_dev(), 0, SIZE, fd, 1, ops)
        assert not IS_ERR(u)
        r71.ib_umem_dmabuf_release(u)
        close(fd)
    assert _kinds(k2) == []


def test_6_19_pinned_callback_only_complains():
    with Kernel(name="619-notify") as k:
        bo, dmabuf, fd = make_buffer(core_619)
        u = r619.ib_umem_dmabuf_get_pinned(_dev(), 0, SIZE, fd, 1)
        dma_resv_lock(dmabuf.resv)
        core_619.dma_buf_move_notify(dmabuf)
        dma_resv_unlock(dmabuf.resv)
        assert u.sgt is not None and not u.revoked       # still mapped and pinned
        r619.ib_umem_dmabuf_release(u)
        close(fd)
    assert _kinds(k) == []


def test_7_1_revocable_import_returns_locked_and_revoke_calls_the_driver():
    calls = []
    with Kernel(name="71-revocable") as k:
        bo, dmabuf, fd = make_buffer(core_7x)
        u = r71.ib_umem_dmabuf_get_pinned_revocable_and_lock(_dev(), 0, SIZE, fd, 1)
        assert not IS_ERR(u)
        assert core_7x.dma_buf_attach_revocable(u.attach)
        r71.ib_umem_dmabuf_set_revoke_locked(u, calls.append, "mr")
        dma_resv_unlock(dmabuf.resv)
        dma_resv_lock(dmabuf.resv)
        core_7x.dma_buf_invalidate_mappings(dmabuf)
        dma_resv_unlock(dmabuf.resv)
        assert calls == ["mr"] and u.revoked and bo.pin_count == 0 and bo.maps == 0
        dma_resv_lock(dmabuf.resv)
        assert r71.ib_umem_dmabuf_map_pages(u) == -EINVAL
        dma_resv_unlock(dmabuf.resv)
        r71.ib_umem_dmabuf_release(u)               # revoke again: once only
        close(fd)
    assert calls == ["mr"]
    assert _kinds(k) == []


def test_7_1_plain_pinned_import_is_not_revocable():
    with Kernel(name="71-plain") as k:
        bo, dmabuf, fd = make_buffer(core_7x)
        u = r71.ib_umem_dmabuf_get_pinned(_dev(), 0, SIZE, fd, 1)
        assert not core_7x.dma_buf_attach_revocable(u.attach)
        r71.ib_umem_dmabuf_release(u)
        close(fd)
    assert _kinds(k) == []


@pytest.mark.parametrize("mod,core", RELEASES, ids=["6.19", "7.1"])
def test_every_allocation_failure_of_the_pinned_import_is_clean_or_the_double_unpin(mod, core):
    """Fail each allocation of the import in turn (1 the umem, 2 the attachment, 3 and 4
    the exporter's sg_table and its entries, 5 none): 6.19 warns only when the map fails."""
    outcomes = {}
    for n in range(1, 6):
        with Kernel(name=f"sweep-{n}") as k:
            bo, dmabuf, fd = make_buffer(core)
            fail_nth_from_now(n)
            u = mod.ib_umem_dmabuf_get_pinned(_dev(), 0, SIZE, fd, 1)
            if not IS_ERR(u):
                mod.ib_umem_dmabuf_release(u)
            close(fd)
        outcomes[n] = (IS_ERR(u), _kinds(k), bo.pin_count)
    assert all(pin == 0 for _, _, pin in outcomes.values())
    warned = [n for n, (_, kinds, _) in outcomes.items() if kinds == ["warn"]]
    assert warned == ([3, 4] if mod is r619 else [])
    assert all(kinds in ([], ["warn"]) for _, kinds, _ in outcomes.values())
