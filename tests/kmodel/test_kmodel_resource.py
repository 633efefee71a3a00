"""The iomem ownership checker on its own: claims, conflicts, release with live users."""
from dmabuf_lab.kmodel import Kernel
from dmabuf_lab.kmodel.resource import (iomem_add_user, iomem_check_owned, iomem_del_user, iomem_of,
                                        iomem_owner, release_mem_region, request_mem_region)


def kinds(k):
    return [f.kind for f in k.findings]


class Owner:
    def __init__(self, name):
        self.name = name


def test_claim_release_is_clean():
    a = Owner("drv-a")
    with Kernel() as k:
        res = request_mem_region(0x1000, 0x1000, "a", a)
        assert res is not None and res.start == 0x1000 and res.end == 0x1fff
        assert iomem_check_owned(0x1800, 0x100, a, "a read")
        release_mem_region(0x1000, 0x1000)
        assert iomem_owner(0x1000, 1) is None
    assert kinds(k) == []


def test_overlapping_claim_is_refused_without_a_finding():
    a, b = Owner("drv-a"), Owner("drv-b")
    with Kernel() as k:
        assert request_mem_region(0x1000, 0x1000, "a", a) is not None
        assert request_mem_region(0x1800, 0x1000, "b", b) is None     # one shared byte is enough
        assert request_mem_region(0x2000, 0x1000, "b", b) is not None  # adjacent is fine
        assert iomem_owner(0x1000, 0x1000).owner is a
    assert kinds(k) == []


def test_access_through_a_window_held_by_another_owner():
    a, b = Owner("drv-a"), Owner("drv-b")
    with Kernel() as k:
        request_mem_region(0x1000, 0x1000, "a", a)
        assert not iomem_check_owned(0x1000, 0x100, b, "a DMA mapping")
    assert kinds(k) == ["unowned-resource"]
    assert "drv-a" in k.findings[0].message and "drv-b" in k.findings[0].message


def test_access_through_a_window_nobody_claimed():
    a = Owner("drv-a")
    with Kernel() as k:
        assert not iomem_check_owned(0x4000, 0x1000, a, "an export")
    assert kinds(k) == ["unowned-resource"]
    assert "claimed by nobody" in k.findings[0].message


def test_access_straddling_the_claimed_window_is_not_covered():
    a = Owner("drv-a")
    with Kernel() as k:
        request_mem_region(0x1000, 0x1000, "a", a)
        assert not iomem_check_owned(0x1f00, 0x200, a, "a mapping")
    assert kinds(k) == ["unowned-resource"]


def test_release_of_a_window_nobody_claimed_warns():
    with Kernel() as k:
        release_mem_region(0x1000, 0x1000)
    assert kinds(k) == ["warn"]


def test_release_while_a_user_still_holds_mappings():
    a = Owner("drv-a")
    live = [2]
    with Kernel() as k:
        request_mem_region(0x1000, 0x1000, "a", a)
        iomem_add_user(0x1000, 0x800, "importer", lambda: live[0])
        release_mem_region(0x1000, 0x1000)
    assert kinds(k) == ["unowned-resource"]
    assert "2 live" in k.findings[0].message


def test_release_after_the_mappings_are_gone_is_clean():
    a = Owner("drv-a")
    live = [1]
    with Kernel() as k:
        request_mem_region(0x1000, 0x1000, "a", a)
        u = iomem_add_user(0x1000, 0x800, "importer", lambda: live[0])
        live[0] = 0
        release_mem_region(0x1000, 0x1000)
        iomem_del_user(u)
        assert iomem_of().users == []
    assert kinds(k) == []


def test_users_of_other_windows_are_not_asked():
    a = Owner("drv-a")
    with Kernel() as k:
        request_mem_region(0x1000, 0x1000, "a", a)
        iomem_add_user(0x8000, 0x1000, "elsewhere", lambda: 5)
        release_mem_region(0x1000, 0x1000)
    assert kinds(k) == []


def test_each_run_has_its_own_tree():
    a = Owner("drv-a")
    with Kernel():
        request_mem_region(0x1000, 0x1000, "a", a)
    with Kernel() as k2:
        assert iomem_owner(0x1000, 1) is None
        assert request_mem_region(0x1000, 0x1000, "a", a) is not None
    assert kinds(k2) == []
