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


def _ops(body):
    """The announced actions of ``body`` run as the one thread of a concurrent run."""
    from dmabuf_lab.kmodel.sched import Scheduler
    with Kernel() as k:
        s = Scheduler()
        s.spawn("t", body)
        s.start()
        while not s.finished():
            s.step(0)
        s.close()
    assert s.threads[0].error is None, s.threads[0].error
    return k, [op for _, op in s.trace]


def test_claims_and_releases_write_the_tree_and_look_ups_read_it():
    from dmabuf_lab.kmodel.sched import unannounced
    a = Owner("drv-a")

    def body():
        request_mem_region(0x1000, 0x1000, "a", a)
        iomem_check_owned(0x1000, 0x100, a, "a read")
        with unannounced():                     # the lab's own look: no point
            iomem_owner(0x1000, 1)
        release_mem_region(0x1000, 0x1000)

    k, ops = _ops(body)
    assert kinds(k) == []
    assert [(op.kind, op.obj[0]) for op in ops] == [("write", "iomem_tree"), ("read", "iomem_tree"),
                                                    ("write", "iomem_tree")]
    assert "request_mem_region" in ops[0].label and "release_mem_region" in ops[2].label


def test_a_dma_through_a_window_reads_the_tree_in_the_same_action():
    from types import SimpleNamespace

    from dmabuf_lab.drivers.dma_access import dma_access
    from dmabuf_lab.kmodel.sched import independent
    a, dev = Owner("drv-a"), Owner("dev")
    session = SimpleNamespace(shared={"dma_target": dev, "dma_window": lambda: [(0x1000, 0x100, a)]})

    def body():
        request_mem_region(0x1000, 0x1000, "a", a)
        dma_access(session, None, "nic")
        release_mem_region(0x1000, 0x1000)

    k, ops = _ops(body)
    assert kinds(k) == []
    dma = ops[1]
    assert dma.obj[0] == "Owner" and [(key[0], w) for key, w in dma.also] == [("iomem_tree", False)]
    assert not independent(dma, ops[2]), "the release must be ordered against the DMA"
