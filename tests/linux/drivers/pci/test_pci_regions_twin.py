"""pci_request_selected_regions() / pci_release_selected_regions() against the iomem checker."""
from dmabuf_lab.hw import load_topology
from dmabuf_lab.kmodel import EBUSY, Kernel
from dmabuf_lab.kmodel.resource import iomem_owner, request_mem_region
from dmabuf_lab.linux.drivers.pci.iomap.mainline_6_19 import pci_iomap
from dmabuf_lab.linux.drivers.pci.pci.mainline_6_19 import (pci_release_selected_regions,
                                                           pci_request_selected_regions)

GPU = "0000:03:00.0"          # gpu-nic-same-switch: BAR 0 16 MiB at 0x90000000, BAR 2 16 GiB at 0x40_0000_0000
BAR0, BAR2 = 0x9000_0000, 0x40_0000_0000


def gpu():
    return load_topology("gpu-nic-same-switch").device(GPU)


def test_claims_every_bar_in_the_mask_and_gives_them_back():
    pdev = gpu()
    with Kernel() as k:
        assert pci_request_selected_regions(pdev, (1 << 0) | (1 << 2), "vfio") == 0
        assert iomem_owner(BAR0, 1).owner is pdev and iomem_owner(BAR2, 1).owner is pdev
        pci_release_selected_regions(pdev, (1 << 0) | (1 << 2))
        assert iomem_owner(BAR0, 1) is None and iomem_owner(BAR2, 1) is None
    assert k.findings == []


def test_an_empty_bar_in_the_mask_is_not_an_error():
    pdev = gpu()
    with Kernel() as k:
        assert pci_request_selected_regions(pdev, 1 << 1, "vfio") == 0
        pci_release_selected_regions(pdev, 1 << 1)
    assert k.findings == []


def test_a_busy_window_fails_the_whole_request_and_unwinds():
    pdev = gpu()
    with Kernel() as k:
        other = request_mem_region(BAR2 + 0x1000, 0x1000, "efifb", "efifb")
        assert pci_request_selected_regions(pdev, (1 << 0) | (1 << 2), "vfio") == -EBUSY
        assert iomem_owner(BAR0, 1) is None          # BAR 0 was claimed, then given back
        assert iomem_owner(BAR2 + 0x1000, 1) is other
    assert k.findings == []


def test_releasing_a_bar_never_claimed_warns():
    pdev = gpu()
    with Kernel() as k:
        pci_release_selected_regions(pdev, 1 << 2)
    assert [f.kind for f in k.findings] == ["warn"]


def test_pci_iomap_of_an_empty_bar_is_null():
    pdev = gpu()
    assert pci_iomap(pdev, 1, 0) is None
    io = pci_iomap(pdev, 2, 0x1000)
    assert (io.start, io.len) == (BAR2, 0x1000)
