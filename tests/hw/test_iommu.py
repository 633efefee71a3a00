"""IommuDomain: IOVA allocation, map/unmap and iova_to_phys for each domain type."""
from hypothesis import given
from hypothesis import strategies as st

from dmabuf_lab.hw import (IOMMU_DOMAIN_BLOCKED, IOMMU_DOMAIN_IDENTITY, IommuDomain, iommu_iova_to_phys,
                           load_topology)

EINVAL, EEXIST = 22, 17
MiB, GiB = 1 << 20, 1 << 30


def test_map_and_lookup():
    d = IommuDomain()
    iova = d.alloc_iova(3 * MiB)
    assert iova and iova % (4 * MiB) == 0          # 3 MiB is aligned to the next power of two
    assert d.map(iova, 0x1_2340_0000, 3 * MiB) == 0
    assert d.iova_to_phys(iova) == 0x1_2340_0000
    assert d.iova_to_phys(iova + 0x12345) == 0x1_2340_0000 + 0x12345
    assert d.iova_to_phys(iova + 3 * MiB) == 0          # just past the mapping
    assert d.map(iova + MiB, 0x5000_0000, MiB) == -EEXIST
    assert d.map(iova + 3 * MiB + 1, 0x5000_0000, 4096) == -EINVAL   # misaligned
    assert d.unmap(iova + MiB, MiB) == MiB               # punch a hole
    assert d.iova_to_phys(iova + MiB) == 0
    assert d.iova_to_phys(iova + 2 * MiB) == 0x1_2340_0000 + 2 * MiB
    assert d.unmap(iova, 3 * MiB) == 2 * MiB
    assert d.mappings == []
    assert d.free_iova(iova) == 0
    assert d.free_iova(iova) == -EINVAL


def test_iova_allocations_are_disjoint_and_top_down():
    d = IommuDomain(aperture_end=(1 << 32) - 1)
    a = d.alloc_iova(8192)
    b = d.alloc_iova(8192)
    assert a == (1 << 32) - 8192 and b == a - 8192      # top-down, size aligned
    c = d.alloc_iova(4096, limit=(1 << 31) - 1)
    assert c == (1 << 31) - 4096
    assert d.alloc_iova(1 << 40) == 0                   # does not fit


@given(st.lists(st.integers(1, 64), min_size=1, max_size=30))
def test_random_iova_allocations_never_overlap(pages):
    d = IommuDomain(aperture_end=(1 << 28) - 1)
    got = []
    for p in pages:
        iova = d.alloc_iova(p * 4096)
        if iova:
            n = 1 << (p - 1).bit_length()                # power-of-two rounding below 32 pages
            length = (n if p < 32 else p) * 4096
            assert iova % (n * 4096) == 0
            got.append((iova, length))
    got.sort()
    for (a, n), (b, _) in zip(got, got[1:]):
        assert a + n <= b


def test_identity_and_blocked():
    ident = IommuDomain(IOMMU_DOMAIN_IDENTITY)
    assert ident.iova_to_phys(0x1234_5000) == 0x1234_5000
    assert ident.map(0x1000, 0x1000, 0x1000) == -EINVAL
    blocked = IommuDomain(IOMMU_DOMAIN_BLOCKED)
    assert blocked.iova_to_phys(0x1234_5000) == 0
    assert blocked.alloc_iova(4096) == 0
    assert iommu_iova_to_phys(None, 0x42000) == 0x42000


def test_vfio_guest_ram_is_mapped_at_gpa():
    t = load_topology("vfio-passthrough")
    gpu = t.device("0000:01:00.0")
    dom = t.iommu_domain(gpu)
    assert dom.type == "UNMANAGED" and gpu.driver == "vfio-pci"
    guest = t.guests[0]
    # guest RAM: GPA 0 -> HPA 0x2_0000_0000 (2 GiB), GPA 4 GiB -> HPA 0x4_0000_0000 (4 GiB)
    assert dom.iova_to_phys(0x1000) == 0x2_0000_1000
    assert dom.iova_to_phys(0x1_0000_0000 + 0x5000) == 0x4_0000_5000
    assert dom.iova_to_phys(0x8000_0000) == 0                       # the guest's PCI hole
    assert guest.gpa_to_hpa(0x80_0000_0000 + 0x10) == 0x40_0000_0010   # BAR2 seen by the guest
    assert guest.gpa_to_hpa(0xF000_0000) is None
    nic = t.device("0000:02:00.0")
    assert t.iommu_domain(nic).type == "DMA"
