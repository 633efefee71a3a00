"""vfio-pci's MMIO dma-buf exporter (6.19) on the hw presets: export checks,
P2P map types, revoke, the iommufd bridge, entry counts and a fault sweep."""
from __future__ import annotations

import pytest

from dmabuf_lab.addr import (PAGE_SIZE, UINT_MAX, phys_vec, sg_dma_address, sg_dma_len,
                             for_each_sgtable_dma_sg)
from dmabuf_lab.core import close_fd, dma_buf_get, dma_buf_put, set_rlimit_nofile
from dmabuf_lab.core.importers import sgt_importer
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_6_19 import (VFIO_DEVICE_FEATURE_GET,
                                                VFIO_DEVICE_FEATURE_PROBE,
                                                VFIO_PCI_ROM_REGION_INDEX,
                                                vfio_device_feature_dma_buf,
                                                vfio_pci_core_device,
                                                vfio_pci_core_feature_dma_buf,
                                                vfio_pci_dma_buf_iommufd_map,
                                                vfio_pci_dma_buf_move)
from dmabuf_lab.hw import IommuDomain, load_topology
from dmabuf_lab.kmodel import (EINVAL, ENODEV, EOPNOTSUPP, EOVERFLOW, IS_ERR, Kernel, PTR_ERR,
                               dma_resv_lock, dma_resv_unlock, fault_sweep)

GiB, MiB = 1 << 30, 1 << 20
# (GPU = exporter bound to vfio-pci, NIC = importer) in each preset
DEVS = {
    "gpu-nic-same-switch": ("0000:03:00.0", "0000:04:00.0"),
    "gpu-nic-split-root": ("0000:01:00.0", "0000:02:00.0"),
    "gpu-nic-split-root-unlisted": ("0000:01:00.0", "0000:02:00.0"),
}
LMEM_BAR = 2
BAR2_BASE = 0x40_0000_0000     # BAR 2 of the GPU in these presets (hw/presets.py)
BAR2_SIZE = 16 * GiB


def setup(preset):
    topo = load_topology(preset)
    gpu_bdf, nic_bdf = DEVS[preset]
    gpu, nic = topo.device(gpu_bdf), topo.device(nic_bdf)
    return topo, vfio_pci_core_device(gpu), nic


def feature(ranges, region=LMEM_BAR, **kw):
    return vfio_device_feature_dma_buf(region, ranges, **kw)


def export(vdev, ranges, **kw):
    return vfio_pci_core_feature_dma_buf(vdev, VFIO_DEVICE_FEATURE_GET, feature(ranges), **kw)


def entries(sgt):
    return [(int(sg_dma_address(sg)), int(sg_dma_len(sg))) for sg in for_each_sgtable_dma_sg(sgt)]


def map_once(preset, ranges, *, fixed=True, dynamic=True, p2p=True):
    """Export, attach the NIC, map, record the entries, unmap, tear down.

    Returns (map result or entries, kernel, nic domain)."""
    topo, vdev, nic = setup(preset)
    with Kernel() as k:
        fd = export(vdev, ranges, fixed_helper=fixed)
        assert fd >= 0, fd
        buf = dma_buf_get(fd)
        imp = sgt_importer(nic, dynamic=dynamic, allow_peer2peer=p2p)
        a = imp.do_attach(buf)
        if IS_ERR(a):
            out = a
        else:
            sgt = imp.do_map()
            out = sgt if IS_ERR(sgt) else entries(sgt)
            if not IS_ERR(sgt):
                imp.do_unmap()
            imp.do_detach()
        dma_buf_put(buf)
        close_fd(fd)
    return out, k, topo.iommu_domain(nic)


# --- round trips on the presets ----------------------------------------------------

def test_same_switch_maps_to_bus_addresses_without_iova():
    ranges = [(0, 2 * MiB), (64 * MiB, 4 * MiB)]
    out, k, dom = map_once("gpu-nic-same-switch", ranges)
    # x86 host bridge has no window offset: bus address == CPU address of the BAR
    assert out == [(BAR2_BASE, 2 * MiB), (BAR2_BASE + 64 * MiB, 4 * MiB)]
    assert dom.map_calls == 0
    assert k.findings == []


def test_split_root_whitelisted_maps_one_iova_span():
    ranges = [(0, 2 * MiB), (64 * MiB, 4 * MiB)]
    out, k, dom = map_once("gpu-nic-split-root", ranges)
    assert len(out) == 1
    start, length = out[0]
    assert length == 6 * MiB
    assert not BAR2_BASE <= start < BAR2_BASE + BAR2_SIZE      # an IOVA, not the BAR
    assert dom.map_calls == 2 and dom.mapped_bytes == 0       # linked per range, all unlinked
    assert k.findings == []


def test_split_root_iova_translates_to_the_bar_slices():
    topo, vdev, nic = setup("gpu-nic-split-root")
    dom = topo.iommu_domain(nic)
    with Kernel() as k:
        fd = export(vdev, [(0, 2 * MiB), (64 * MiB, 4 * MiB)], fixed_helper=True)
        buf = dma_buf_get(fd)
        imp = sgt_importer(nic)
        imp.do_attach(buf)
        [(iova, _)] = entries(imp.do_map())
        assert dom.iova_to_phys(iova) == BAR2_BASE
        assert dom.iova_to_phys(iova + 2 * MiB) == BAR2_BASE + 64 * MiB
        imp.do_unmap()
        imp.do_detach()
        dma_buf_put(buf)
        close_fd(fd)
    assert k.findings == []


def test_split_root_unlisted_host_bridge_map_is_einval():
    out, k, _ = map_once("gpu-nic-split-root-unlisted", [(0, 2 * MiB)])
    assert IS_ERR(out) and PTR_ERR(out) == -EINVAL
    assert k.findings == []


@pytest.mark.parametrize("preset", sorted(DEVS))
def test_static_importer_is_refused_with_eopnotsupp(preset):
    out, k, _ = map_once(preset, [(0, 2 * MiB)], dynamic=False)
    assert PTR_ERR(out) == -EOPNOTSUPP
    assert k.findings == []


def test_dynamic_importer_without_p2p_is_refused():
    out, _, _ = map_once("gpu-nic-same-switch", [(0, 2 * MiB)], p2p=False)
    assert PTR_ERR(out) == -EOPNOTSUPP


# --- entry counts: split at UINT_MAX (4 GiB - 1) -------------------------------------

def test_entry_counts_without_iova_span():
    # 5 GiB = 5368709120 > UINT_MAX -> 2 entries; 8 GiB = 8589934592 = 2*UINT_MAX + 2 -> 3;
    # 2 MiB -> 1.  Total 6.
    ranges = [(0, 5 * GiB), (6 * GiB, 8 * GiB), (15 * GiB, 2 * MiB)]
    out, k, _ = map_once("gpu-nic-same-switch", ranges)
    assert len(out) == 2 + 3 + 1
    assert [ln for _, ln in out] == [UINT_MAX, 5 * GiB - UINT_MAX,
                                     UINT_MAX, UINT_MAX, 2,
                                     2 * MiB]
    # the second piece of a range starts UINT_MAX bytes in: not page aligned
    assert out[1][0] == BAR2_BASE + UINT_MAX
    assert out[1][0] % PAGE_SIZE != 0


def test_entry_counts_with_one_iova_span():
    # total 5 GiB + 8 GiB + 2 MiB = 13960740864 bytes; / 4294967295 = 3.25.. -> 4 entries
    ranges = [(0, 5 * GiB), (6 * GiB, 8 * GiB), (15 * GiB, 2 * MiB)]
    out, k, _ = map_once("gpu-nic-split-root", ranges)
    total = 13 * GiB + 2 * MiB
    assert len(out) == 4
    assert sum(ln for _, ln in out) == total
    assert [ln for _, ln in out] == [UINT_MAX, UINT_MAX, UINT_MAX, total - 3 * UINT_MAX]
    # one contiguous span
    assert all(out[i][0] + out[i][1] == out[i + 1][0] for i in range(3))
    assert k.findings == []


def test_small_ranges_one_entry_each_or_one_in_total():
    ranges = [(i * 4 * MiB, 1 * MiB) for i in range(5)]
    out_bus, _, _ = map_once("gpu-nic-same-switch", ranges)
    out_iova, _, _ = map_once("gpu-nic-split-root", ranges)
    assert len(out_bus) == 5
    assert out_iova[0][1] == 5 * MiB and len(out_iova) == 1


# --- faithful 6.19 defects the lab shows ---------------------------------------------

def test_faithful_unmap_leaks_the_scatterlist():
    out, k, _ = map_once("gpu-nic-same-switch", [(0, 2 * MiB)], fixed=False)
    assert len(out) == 1
    leaks = k.findings_of("leak")
    assert len(leaks) == 1 and "scatterlist" in leaks[0].message


def test_faithful_links_every_range_at_offset_zero():
    out, k, dom = map_once("gpu-nic-split-root", [(0, 2 * MiB), (64 * MiB, 4 * MiB)], fixed=False)
    # the second link lands on the first one's IOVA: the map fails and is unwound
    assert IS_ERR(out) and PTR_ERR(out) < 0
    assert dom.mapped_bytes == 0 and not dom._iovas
    assert k.findings == []


def test_faithful_single_range_iova_span_works():
    out, k, _ = map_once("gpu-nic-split-root", [(0, 2 * MiB)], fixed=False)
    assert len(out) == 1 and out[0][1] == 2 * MiB
    assert [f.kind for f in k.findings] == ["leak"]          # only the scatterlist


def test_faithful_fd_failure_frees_priv_twice():
    topo, vdev, nic = setup("gpu-nic-same-switch")
    with Kernel() as k:
        set_rlimit_nofile(3)
        ret = export(vdev, [(0, 2 * MiB)])
    assert ret == -24                                    # -EMFILE
    kinds = k.kinds()
    assert kinds["use-after-free"] >= 1 and kinds["double-free"] >= 1
    # 1 (bound) + 1 (export) - 1 (release) - 1 (error path again): the device lost its own
    assert vdev.registrations == 0
    _, vdev, _ = setup("gpu-nic-same-switch")
    with Kernel() as k2:
        set_rlimit_nofile(3)
        ret = export(vdev, [(0, 2 * MiB)], faithful=False)
    assert ret == -24 and k2.findings == [] and vdev.registrations == 1


# --- export validation (vfio_pci_core_feature_dma_buf) -----------------------------

def run_export(f, flags=VFIO_DEVICE_FEATURE_GET, preset="gpu-nic-same-switch"):
    _, vdev, _ = setup(preset)
    with Kernel() as k:
        ret = vfio_pci_core_feature_dma_buf(vdev, flags, f)
        if ret >= 0:
            close_fd(ret)
    return ret, k


def test_export_nr_ranges_zero_is_einval():
    ret, k = run_export(feature([]))
    assert ret == -EINVAL and k.findings == []


def test_export_nonzero_flags_is_einval():
    ret, k = run_export(feature([(0, PAGE_SIZE)], flags=1))
    assert ret == -EINVAL and k.findings == []


def test_export_zero_length_is_einval():
    ret, k = run_export(feature([(0, PAGE_SIZE), (PAGE_SIZE, 0)]))
    assert ret == -EINVAL and k.findings == []


def test_export_unaligned_offset_is_einval():
    ret, k = run_export(feature([(0x800, PAGE_SIZE)]))
    assert ret == -EINVAL and k.findings == []


def test_export_unaligned_length_is_einval():
    ret, k = run_export(feature([(0, PAGE_SIZE + 1)]))
    assert ret == -EINVAL and k.findings == []


def test_export_offset_zero_is_allowed():
    ret, k = run_export(feature([(0, PAGE_SIZE)]))
    assert ret >= 0 and k.findings == []


def test_export_total_length_overflow_is_einval():
    # two page-aligned lengths whose sum passes 2**64
    big = (1 << 64) - PAGE_SIZE
    ret, k = run_export(feature([(0, big), (0, 2 * PAGE_SIZE)]))
    assert ret == -EINVAL and k.findings == []


def test_export_total_reaching_bit_63_is_einval():
    ret, k = run_export(feature([(0, 1 << 62), (0, 1 << 62)]))
    assert ret == -EINVAL and k.findings == []


def test_export_rom_region_is_enodev():
    ret, k = run_export(feature([(0, PAGE_SIZE)], region=VFIO_PCI_ROM_REGION_INDEX))
    assert ret == -ENODEV and k.findings == []


def test_export_region_without_bar_is_einval():
    # BAR 4 of the GPU is not implemented: no P2P provider
    ret, k = run_export(feature([(0, PAGE_SIZE)], region=4))
    assert ret == -EINVAL and k.findings == []


def test_export_range_past_bar_end_is_einval():
    ret, k = run_export(feature([(BAR2_SIZE - PAGE_SIZE, 2 * PAGE_SIZE)]))
    assert ret == -EINVAL and k.findings == []


def test_export_range_ending_exactly_at_bar_end_is_allowed():
    ret, k = run_export(feature([(BAR2_SIZE - PAGE_SIZE, PAGE_SIZE)]))
    assert ret >= 0 and k.findings == []


def test_export_address_overflow_while_filling_is_eoverflow():
    # BAR start + offset passes 2**64 although the length sum is small
    offset = (1 << 64) - BAR2_BASE
    ret, k = run_export(feature([(offset, PAGE_SIZE)]))
    assert ret == -EOVERFLOW and k.findings == []


def test_export_probe_returns_zero():
    ret, k = run_export(feature([(0, PAGE_SIZE)]), flags=VFIO_DEVICE_FEATURE_PROBE)
    assert ret == 0 and k.findings == []


def test_export_while_memory_disabled_starts_revoked():
    _, vdev, nic = setup("gpu-nic-same-switch")
    vdev.memory_enabled = False
    with Kernel() as k:
        fd = export(vdev, [(0, PAGE_SIZE)])
        buf = dma_buf_get(fd)
        a = sgt_importer(nic).do_attach(buf)
        dma_buf_put(buf)
        close_fd(fd)
    assert PTR_ERR(a) == -ENODEV and k.findings == []


# --- revoke --------------------------------------------------------------------------

def _move(vdev, revoked):
    """vfio_pci_dma_buf_move() as its callers run it: memory_lock held for write."""
    from dmabuf_lab.kmodel.rwsem import down_write, up_write
    down_write(vdev.memory_lock)
    vfio_pci_dma_buf_move(vdev, revoked)
    up_write(vdev.memory_lock)


def test_revoke_notifies_and_then_map_and_attach_fail_enodev():
    _, vdev, nic = setup("gpu-nic-same-switch")
    with Kernel() as k:
        fd = export(vdev, [(0, 2 * MiB)], fixed_helper=True)
        buf = dma_buf_get(fd)
        imp = sgt_importer(nic)
        imp.do_attach(buf)
        assert not IS_ERR(imp.do_map())
        _move(vdev, True)          # e.g. memory decoding turned off
        assert imp.moves == 1 and imp.sgt is None  # mapping dropped in move_notify
        again = imp.do_map()
        late = sgt_importer(nic).do_attach(buf)
        _move(vdev, True)          # no change: no second notify
        assert imp.moves == 1
        _move(vdev, False)         # restored
        assert imp.moves == 2
        ok = imp.do_map()
        imp.do_unmap()
        imp.do_detach()
        dma_buf_put(buf)
        close_fd(fd)
    assert PTR_ERR(again) == -ENODEV
    assert PTR_ERR(late) == -ENODEV
    assert not IS_ERR(ok)
    assert k.findings == []


def test_release_leaves_the_device_list():
    _, vdev, _ = setup("gpu-nic-same-switch")
    with Kernel() as k:
        fd = export(vdev, [(0, PAGE_SIZE)])
        assert len(vdev.dmabufs) == 1 and vdev.registrations == 2
        close_fd(fd)
    assert vdev.dmabufs == [] and vdev.registrations == 1
    assert k.findings == []


# --- the vfio -> iommufd bridge -----------------------------------------------------

def iommufd_map(ranges, *, revoke=False, other_exporter=None):
    _, vdev, nic = setup("gpu-nic-same-switch")
    with Kernel() as k:
        fd = export(vdev, ranges)
        buf = dma_buf_get(fd)
        imp = sgt_importer(nic)
        a = imp.do_attach(buf)
        if revoke:
            _move(vdev, True)
        pv = phys_vec()
        dma_resv_lock(buf.resv)
        if other_exporter is not None:
            saved, buf.ops = buf.ops, other_exporter
        ret = vfio_pci_dma_buf_iommufd_map(a, pv)
        if other_exporter is not None:
            buf.ops = saved
        dma_resv_unlock(buf.resv)
        imp.do_detach()
        dma_buf_put(buf)
        close_fd(fd)
    return ret, pv, k


def test_iommufd_bridge_returns_the_single_range():
    ret, pv, k = iommufd_map([(8 * MiB, 2 * MiB)])
    assert ret == 0 and (pv.paddr, pv.len) == (BAR2_BASE + 8 * MiB, 2 * MiB)
    assert k.findings == []


def test_iommufd_bridge_refuses_two_ranges():
    ret, _, _ = iommufd_map([(0, 2 * MiB), (8 * MiB, 2 * MiB)])
    assert ret == -EOPNOTSUPP


def test_iommufd_bridge_revoked_is_enodev():
    ret, _, _ = iommufd_map([(0, 2 * MiB)], revoke=True)
    assert ret == -ENODEV


def test_iommufd_bridge_other_exporter_is_eopnotsupp():
    from dmabuf_lab.core import dma_buf_ops
    ret, _, _ = iommufd_map([(0, 2 * MiB)], other_exporter=dma_buf_ops())
    assert ret == -EOPNOTSUPP


def test_iommufd_bridge_needs_the_resv_lock():
    _, vdev, nic = setup("gpu-nic-same-switch")
    with Kernel() as k:
        fd = export(vdev, [(0, 2 * MiB)])
        buf = dma_buf_get(fd)
        imp = sgt_importer(nic)
        a = imp.do_attach(buf)
        vfio_pci_dma_buf_iommufd_map(a, phys_vec())
        imp.do_detach()
        dma_buf_put(buf)
        close_fd(fd)
    assert k.kinds()["lock"] == 1


# --- fault injection -----------------------------------------------------------------

@pytest.mark.parametrize("preset,ranges", [
    ("gpu-nic-same-switch", [(0, 2 * MiB), (8 * MiB, 5 * GiB)]),
    ("gpu-nic-split-root", [(0, 2 * MiB), (8 * MiB, 4 * MiB)]),
])
def test_fault_sweep_export_attach_map_unmap_detach_is_clean(preset, ranges):
    topo, vdev, nic = setup(preset)

    def path(k):
        fd = export(vdev, ranges, fixed_helper=True)
        if fd < 0:
            return fd
        buf = dma_buf_get(fd)
        imp = sgt_importer(nic)
        a = imp.do_attach(buf)
        ret = 0
        if IS_ERR(a):
            ret = PTR_ERR(a)
        else:
            sgt = imp.do_map()
            if IS_ERR(sgt):
                ret = PTR_ERR(sgt)
            else:
                imp.do_unmap()
            imp.do_detach()
        dma_buf_put(buf)
        close_fd(fd)
        return ret

    sweep = fault_sweep(path, name=preset)
    assert sweep.baseline.outcome == "ok", sweep.baseline
    # memdup, priv, phys_vec, file, dma_buf, attachment, dma_buf_dma, sg chunk, (+ iova state/node)
    assert sweep.n_allocs >= 8
    assert sweep.all_clean, sweep.render()
    # only a failed IOVA node may still succeed (per-range fallback); everything else fails clean
    assert all(r.outcome == "clean" or "iommu_dma_alloc_iova" in r.site for r in sweep.rows)
    dom = topo.iommu_domain(nic)
    assert dom.mapped_bytes == 0 and not dom._iovas


def test_fault_sweep_reaches_the_iova_allocation_and_falls_back():
    # Failing the span's struct iova makes dma_iova_try_alloc() fail, so the helper
    # maps each range with dma_map_phys() instead: the map still succeeds, with two
    # entries (one per range) instead of one span.
    topo, vdev, nic = setup("gpu-nic-split-root")
    counts = {}

    def path(k):
        fd = export(vdev, [(0, 2 * MiB), (8 * MiB, 4 * MiB)], fixed_helper=True)
        if fd < 0:
            return fd
        buf = dma_buf_get(fd)
        imp = sgt_importer(nic)
        a = imp.do_attach(buf)
        ret = PTR_ERR(a) if IS_ERR(a) else 0
        if not ret:
            sgt = imp.do_map()
            if IS_ERR(sgt):
                ret = PTR_ERR(sgt)
            else:
                counts[k.fail_nth] = len(entries(sgt))
                imp.do_unmap()
            imp.do_detach()
        dma_buf_put(buf)
        close_fd(fd)
        return ret

    sweep = fault_sweep(path)
    assert sweep.all_clean, sweep.render()
    iova_rows = [r for r in sweep.rows if "iommu_dma_alloc_iova" in r.site]
    assert len(iova_rows) == 1 and iova_rows[0].outcome == "ok"
    assert counts[None] == 1 and counts[iova_rows[0].index] == 2


def test_faithful_sg_alloc_failure_leaks_the_iova_span():
    # As merged, when sg_alloc_table() fails after dma_iova_try_alloc() reserved the
    # span, the error path frees the state but never the IOVA.
    topo, vdev, nic = setup("gpu-nic-split-root")

    def path(k):
        fd = export(vdev, [(0, 2 * MiB)])
        if fd < 0:
            return fd
        buf = dma_buf_get(fd)
        imp = sgt_importer(nic)
        a = imp.do_attach(buf)
        ret = PTR_ERR(a) if IS_ERR(a) else 0
        if not ret:
            sgt = imp.do_map()
            ret = PTR_ERR(sgt) if IS_ERR(sgt) else 0
            if not ret:
                imp.do_unmap()
            imp.do_detach()
        dma_buf_put(buf)
        close_fd(fd)
        return ret

    sweep = fault_sweep(path)
    [row] = [r for r in sweep.rows if "sg_kmalloc" in r.site]
    assert row.result == "-ENOMEM"
    assert [(f.kind, "struct iova" in f.message) for f in row.findings] == [("leak", True)]


@pytest.mark.parametrize("fixed", [False, True])
def test_per_range_fallback_unwinds_when_a_later_range_fails(fixed):
    # A NIC domain whose aperture is [4 KiB, 8 MiB): the 8 MiB span cannot be
    # reserved (it would need IOVA 0), so the helper maps per range; the first
    # 4 MiB range gets [4 MiB, 8 MiB), the second finds no room -> -ENOMEM.
    from dmabuf_lab.kmodel import ENOMEM
    topo, vdev, nic = setup("gpu-nic-split-root")
    dom = topo.set_iommu_domain(nic.iommu_group, IommuDomain("DMA", aperture_end=8 * MiB - 1))
    with Kernel() as k:
        fd = export(vdev, [(0, 4 * MiB), (8 * MiB, 4 * MiB)], fixed_helper=fixed)
        buf = dma_buf_get(fd)
        imp = sgt_importer(nic)
        imp.do_attach(buf)
        sgt = imp.do_map()
        assert dom.map_calls == 1          # the first range was mapped before the failure
        imp.do_detach()
        dma_buf_put(buf)
        close_fd(fd)
    assert PTR_ERR(sgt) == -ENOMEM
    assert dom.mapped_bytes == 0 and not dom._iovas
    assert k.findings == []


def test_vf_bar_export_uses_the_vf_bar_from_the_topology():
    # docs/sources.md: VF BAR2 base 0x40_0000_0000, 4 GiB per VF; 0x41_8000_0000
    # is VF index 1 at offset 0x8000_0000.  The PF imports it through its own switch.
    topo = load_topology("xe-sriov-8vf")
    pf = topo.device("0000:03:00.0")
    vf1 = topo.device("0000:03:00.2")
    vdev = vfio_pci_core_device(vf1)
    with Kernel() as k:
        fd = export(vdev, [(0x8000_0000, 2 * MiB)], fixed_helper=True)
        buf = dma_buf_get(fd)
        imp = sgt_importer(pf)
        a = imp.do_attach(buf)
        pv = phys_vec()
        dma_resv_lock(buf.resv)
        ret = vfio_pci_dma_buf_iommufd_map(a, pv)
        dma_resv_unlock(buf.resv)
        out = entries(imp.do_map())
        imp.do_unmap()
        imp.do_detach()
        dma_buf_put(buf)
        close_fd(fd)
    assert ret == 0 and pv.paddr == 0x41_8000_0000
    assert out == [(0x41_8000_0000, 2 * MiB)]       # same switch: bus address
    assert k.findings == []


def test_vf_export_past_its_4g_bar_is_einval():
    topo = load_topology("xe-sriov-8vf")
    vdev = vfio_pci_core_device(topo.device("0000:03:00.2"))
    with Kernel() as k:
        ret = export(vdev, [(4 * GiB - PAGE_SIZE, 2 * PAGE_SIZE)])
    assert ret == -EINVAL and k.findings == []


@pytest.mark.parametrize("fixed", [False, True])
def test_first_iova_link_failure_and_the_span(fixed):
    # iommu_map() failing (a page-table allocation under GFP_ATOMIC) on the first
    # range: as merged nothing frees the span reserved by dma_iova_try_alloc().
    from dmabuf_lab.kmodel import ENOMEM
    topo, vdev, nic = setup("gpu-nic-split-root")
    dom = topo.iommu_domain(nic)
    dom.map = lambda iova, paddr, size, prot=0: -ENOMEM
    with Kernel() as k:
        fd = export(vdev, [(0, 2 * MiB)], fixed_helper=fixed)
        buf = dma_buf_get(fd)
        imp = sgt_importer(nic)
        imp.do_attach(buf)
        sgt = imp.do_map()
        imp.do_detach()
        dma_buf_put(buf)
        close_fd(fd)
    assert PTR_ERR(sgt) == -ENOMEM
    if fixed:
        assert k.findings == [] and not dom._iovas
    else:
        assert [(f.kind, "struct iova" in f.message) for f in k.findings] == [("leak", True)]
        assert len(dom._iovas) == 1
