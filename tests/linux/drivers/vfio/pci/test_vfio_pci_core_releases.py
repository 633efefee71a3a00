"""vfio_pci_core.c per release: BAR claims at open and the close order, on the iomem checker."""
import pytest

from dmabuf_lab.drivers.vfio_pci_dmabuf import vfio_pci_core_device
from dmabuf_lab.hw import load_topology
from dmabuf_lab.kmodel import EBUSY, ENODEV, ENOMEM, ERR_PTR, IS_ERR, PTR_ERR, Kernel
from dmabuf_lab.kmodel.resource import iomem_add_user, iomem_owner, request_mem_region
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_core import mainline_6_19 as core619
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_core import mainline_7_1 as core71
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_rdwr import mainline_6_19 as rdwr619
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_rdwr import mainline_7_1 as rdwr71

GPU = "0000:03:00.0"
BAR0, BAR2, BAR2_LEN = 0x9000_0000, 0x40_0000_0000, 0x4_0000_0000


def vdev():
    return vfio_pci_core_device(load_topology("gpu-nic-same-switch").device(GPU))


def kinds(k):
    return [f.kind for f in k.findings]


def test_619_enable_claims_nothing_and_setup_barmap_claims_on_first_use():
    v = vdev()
    with Kernel() as k:
        assert core619.vfio_pci_core_enable(v) == 0 and v.memory_enabled
        assert iomem_owner(BAR2, 1) is None
        assert rdwr619.vfio_pci_core_setup_barmap(v, 2) == 0
        assert iomem_owner(BAR2, BAR2_LEN).owner is v.pdev
        assert rdwr619.vfio_pci_core_setup_barmap(v, 2) == 0       # cached: no second claim
        core619.vfio_pci_core_disable(v)
        assert iomem_owner(BAR2, 1) is None and not v.memory_enabled and v.barmap[2] is None
    assert kinds(k) == []


def test_619_setup_barmap_fails_when_another_driver_holds_the_window():
    v = vdev()
    with Kernel() as k:
        request_mem_region(BAR2, 0x1000, "efifb", "efifb")
        assert rdwr619.vfio_pci_core_setup_barmap(v, 2) == -EBUSY
        assert not v.barmap.get(2)
    assert kinds(k) == []


def test_619_setup_barmap_gives_the_claim_back_when_the_map_fails(monkeypatch):
    v = vdev()
    monkeypatch.setattr(rdwr619, "pci_iomap", lambda pdev, bar, maxlen: None)
    with Kernel() as k:
        assert rdwr619.vfio_pci_core_setup_barmap(v, 2) == -ENOMEM
        assert iomem_owner(BAR2, 1) is None
    assert kinds(k) == []


def test_71_enable_claims_every_bar_and_marks_the_rest():
    v = vdev()
    with Kernel() as k:
        assert core71.vfio_pci_core_enable(v) == 0
        assert iomem_owner(BAR0, 1).owner is v.pdev and iomem_owner(BAR2, 1).owner is v.pdev
        assert rdwr71.vfio_pci_core_setup_barmap(v, 2) == 0
        assert v.barmap[1] == ERR_PTR(-ENODEV)                     # an empty BAR
        assert rdwr71.vfio_pci_core_setup_barmap(v, 1) == -ENODEV
        core71.vfio_pci_core_disable(v)                            # skips the ERR_PTRs: no warn
        assert iomem_owner(BAR2, 1) is None and not v.memory_enabled
    assert kinds(k) == []


def test_71_enable_with_a_busy_window_leaves_ebusy_for_the_export_check():
    v = vdev()
    with Kernel() as k:
        request_mem_region(BAR2 + BAR2_LEN - 0x1000, 0x1000, "efifb", "efifb")
        core71.vfio_pci_core_enable(v)
        assert IS_ERR(v.barmap[2]) and PTR_ERR(v.barmap[2]) == -EBUSY
        assert rdwr71.vfio_pci_core_setup_barmap(v, 2) == -EBUSY
        assert iomem_owner(BAR0, 1).owner is v.pdev                # the other BARs are fine
        core71.vfio_pci_core_disable(v)
    assert kinds(k) == []


def test_71_map_bars_gives_the_claim_back_when_the_map_fails(monkeypatch):
    v = vdev()
    monkeypatch.setattr(core71, "pci_iomap", lambda pdev, bar, maxlen: None)
    with Kernel() as k:
        core71.vfio_pci_core_map_bars(v)
        assert PTR_ERR(v.barmap[2]) == -ENOMEM and iomem_owner(BAR2, 1) is None
    assert kinds(k) == []


@pytest.mark.parametrize("core, finding", [(core619, ["unowned-resource"]), (core71, [])])
def test_close_order_against_a_live_mapping(core, finding):
    """An importer holds one mapping of BAR 2 until the dma-buf cleanup revokes it.
    6.19 gives the window back first (a finding); 7.1 cleans up first."""
    v = vdev()
    live = [1]
    order = []

    def cleanup(vd):
        order.append(("cleanup", vd.memory_enabled, iomem_owner(BAR2, 1) is not None))
        live[0] = 0                                   # the revoke made the importer unmap

    with Kernel() as k:
        core.vfio_pci_core_enable(v)
        if core is core619:
            rdwr619.vfio_pci_core_setup_barmap(v, 2)    # user space mmapped the BAR
        iomem_add_user(BAR2, 0x20_0000, "importer", lambda: live[0])
        core.vfio_pci_core_close_device(v, cleanup)
    assert kinds(k) == finding
    # the cleanup saw the function still decoding and the window still claimed only in 7.1
    assert order == [("cleanup", core is core71, core is core71)]
