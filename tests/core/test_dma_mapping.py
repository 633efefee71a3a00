"""The DMA API model over hw IOMMU domains: dma-direct vs iommu-dma, the IOVA
span API, and IOVA that is never given back showing up as a leak."""
from __future__ import annotations

from dmabuf_lab.core import (DMA_ATTR_MMIO, DMA_BIDIRECTIONAL, DMA_MAPPING_ERROR,
                             dma_iova_destroy, dma_iova_link, dma_iova_state, dma_iova_sync,
                             dma_iova_try_alloc, dma_map_phys, dma_mapping_error, dma_unmap_phys,
                             dma_use_iova)
from dmabuf_lab.hw import IommuDomain, Topology
from dmabuf_lab.kmodel import EEXIST, ENOMEM, Kernel, fault_sweep
from dmabuf_lab.pci.bridge import HostBridge
from dmabuf_lab.pci.pci import PciDevice

BAR = 0x60_0000_0000          # an MMIO address well above RAM


def one_device(domain_type: str | None):
    topo = Topology("t")
    topo.add_host_bridge(HostBridge(0, 0))
    dev = PciDevice("0000:00:02.0", 0x8086, 0x1234, iommu_group=None if domain_type is None else 1)
    topo.add_device(dev)
    if domain_type is not None:
        topo.set_iommu_domain(1, IommuDomain(domain_type))
    return topo, dev


def test_dma_direct_returns_phys_for_identity_and_no_iommu():
    for kind in (None, "IDENTITY"):
        _, dev = one_device(kind)
        with Kernel() as k:
            addr = dma_map_phys(dev, BAR, 0x10000, DMA_BIDIRECTIONAL, DMA_ATTR_MMIO)
            dma_unmap_phys(dev, addr, 0x10000, DMA_BIDIRECTIONAL, DMA_ATTR_MMIO)
            st = dma_iova_state()
            assert dma_iova_try_alloc(dev, st, 0, 0x10000) is False
            assert not dma_use_iova(st)
        assert addr == BAR
        assert k.findings == []


def test_dma_direct_respects_the_dma_mask():
    _, dev = one_device(None)
    dev.dma_mask = (1 << 32) - 1
    with Kernel():
        addr = dma_map_phys(dev, BAR, 0x1000, DMA_BIDIRECTIONAL, DMA_ATTR_MMIO)
        assert dma_mapping_error(dev, addr) == -ENOMEM
    assert addr == DMA_MAPPING_ERROR


def test_translated_map_phys_gets_an_iova_that_translates_back():
    topo, dev = one_device("DMA")
    dom = topo.iommu_domain(dev)
    with Kernel() as k:
        addr = dma_map_phys(dev, BAR + 0x3000, 0x5000, DMA_BIDIRECTIONAL, DMA_ATTR_MMIO)
        assert addr != BAR + 0x3000 and addr != DMA_MAPPING_ERROR
        assert dom.iova_to_phys(addr + 0x4fff) == BAR + 0x3000 + 0x4fff
        dma_unmap_phys(dev, addr, 0x5000, DMA_BIDIRECTIONAL, DMA_ATTR_MMIO)
        assert dom.mapped_bytes == 0
    assert k.findings == []


def test_iova_span_links_ranges_contiguously():
    topo, dev = one_device("DMA")
    dom = topo.iommu_domain(dev)
    ranges = [(BAR, 0x4000), (BAR + 0x100000, 0x2000)]
    with Kernel() as k:
        st = dma_iova_state()
        assert dma_iova_try_alloc(dev, st, 0, 0x6000)
        assert dma_use_iova(st)
        off = 0
        for pa, ln in ranges:
            assert dma_iova_link(dev, st, pa, off, ln, DMA_BIDIRECTIONAL, DMA_ATTR_MMIO) == 0
            off += ln
        assert dma_iova_sync(dev, st, 0, off) == 0
        # IOVA st.addr + 0x4000 is the first byte of the second range
        assert dom.iova_to_phys(st.addr + 0x4000) == BAR + 0x100000
        dma_iova_destroy(dev, st, off, DMA_BIDIRECTIONAL, DMA_ATTR_MMIO)
        assert dom.mapped_bytes == 0 and not dom._iovas
    assert k.findings == []


def test_linking_twice_at_the_same_offset_collides():
    _, dev = one_device("DMA")
    with Kernel():
        st = dma_iova_state()
        dma_iova_try_alloc(dev, st, 0, 0x2000)
        assert dma_iova_link(dev, st, BAR, 0, 0x1000, DMA_BIDIRECTIONAL, DMA_ATTR_MMIO) == 0
        assert dma_iova_link(dev, st, BAR + 0x1000, 0, 0x1000, DMA_BIDIRECTIONAL,
                             DMA_ATTR_MMIO) == -EEXIST
        dma_iova_destroy(dev, st, 0x1000, DMA_BIDIRECTIONAL, DMA_ATTR_MMIO)


def test_iova_never_freed_is_a_leak():
    _, dev = one_device("DMA")
    with Kernel() as k:
        st = dma_iova_state()
        dma_iova_try_alloc(dev, st, 0, 0x2000)
    leaks = k.findings_of("leak")
    assert len(leaks) == 1 and "iova" in leaks[0].message


def test_iova_allocation_is_fault_injectable():
    _, dev = one_device("DMA")

    def path(k):
        addr = dma_map_phys(dev, BAR, 0x1000, DMA_BIDIRECTIONAL, DMA_ATTR_MMIO)
        ret = dma_mapping_error(dev, addr)
        if not ret:
            dma_unmap_phys(dev, addr, 0x1000, DMA_BIDIRECTIONAL, DMA_ATTR_MMIO)
        return ret

    sweep = fault_sweep(path)
    assert sweep.n_allocs == 1
    assert sweep.rows[0].result == "-ENOMEM" and sweep.all_clean
