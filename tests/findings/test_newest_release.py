"""The defects the lab reports as present, re-checked on the newest mainline release.

Each runs through the newest release's own drivers (vfio-pci exporter, RDMA
importer, the release's dma_buf_phys_vec_to_sgt()) with the litmus runner,
once as the release has it and once with the lab's fix of the helper; the
machine is the split-root preset, whose IOMMU gives the IOVA span path.
"""
from __future__ import annotations

import pytest

from dmabuf_lab.findings.registry import load_findings
from dmabuf_lab.hw import IommuDomain, load_topology
from dmabuf_lab.kmodel import ENOMEM
from dmabuf_lab.litmus.runner import run_once
from dmabuf_lab.revisions import canonical
from dmabuf_lab.revisions.base import ExporterSpec, ImporterSpec

MiB = 1 << 20
NEWEST = canonical("mainline")
FIXED = f"{NEWEST}:fix-sgt-helper"
GPU, NIC = "0000:01:00.0", "0000:02:00.0"
FINDINGS = {f.id: f for f in load_findings()}
PRESENT = ("sgt-orig-nents-leak", "iova-link-offset-zero", "iova-span-leak-sg-alloc",
           "iova-span-leak-first-link", "unmap-unfilled-entries")


def _run(ranges, target, *, tweak=None, fail_site=None):
    def topology():
        topo = load_topology("gpu-nic-split-root")
        if tweak:
            tweak(topo)
        return topo
    exp = ExporterSpec("vfio-pci", GPU, 2, tuple(ranges))
    imp = ImporterSpec("rdma", NIC, True)
    v = run_once(topology(), exp, imp, revision=target)
    if fail_site is None:
        return v
    nth = [i for i, site in enumerate(v.alloc_sites, 1) if site.endswith(" " + fail_site)]
    assert nth, f"no {fail_site} allocation in {v.alloc_sites}"
    return run_once(topology(), exp, imp, revision=target, fail_nth=nth[0])


def _failing_map(topo):
    topo.iommu_domain(topo.device(NIC)).map = lambda iova, paddr, size, prot=0: -ENOMEM


def _small_aperture(topo):
    # 8 MiB of IOVA from 4 KiB: no room for a 8 MiB span, so the helper maps range by range
    topo.set_iommu_domain(topo.device(NIC).iommu_group, IommuDomain("DMA", aperture_end=8 * MiB - 1))


@pytest.mark.parametrize("fid", PRESENT)
def test_the_present_defects_live_in_the_newest_release_and_say_so(fid):
    f = FINDINGS[fid]
    assert f.where == NEWEST and f.upstream == "present" and f.variant == FIXED
    assert NEWEST in f.status_line, f"{fid}: the status line does not name {NEWEST}"


def test_the_scatterlist_leaks_on_every_map_in_the_newest_release():
    v = _run([(0, 2 * MiB)], NEWEST)
    assert v.outcome == "sgt-p2p" and any("scatterlist" in f.message for f in v.findings if f.kind == "leak")
    assert not _run([(0, 2 * MiB)], FIXED).findings


def test_every_range_is_linked_at_offset_zero_in_the_newest_release():
    two = [(0, 2 * MiB), (64 * MiB, 4 * MiB)]
    v = _run(two, NEWEST)
    assert v.outcome.startswith("-E"), v.outcome         # the second link lands on the first
    assert _run(two, FIXED).outcome == "sgt-p2p"


def test_a_failed_sg_alloc_leaks_the_iova_span_in_the_newest_release():
    v = _run([(0, 2 * MiB)], NEWEST, fail_site="sg_kmalloc")
    assert v.outcome == "-ENOMEM"
    assert [f.kind for f in v.findings] == ["leak"] and "iova" in v.findings[0].message
    fixed = _run([(0, 2 * MiB)], FIXED, fail_site="sg_kmalloc")
    assert fixed.outcome == "-ENOMEM" and not fixed.findings


def test_a_failed_first_link_leaks_the_iova_span_in_the_newest_release():
    v = _run([(0, 2 * MiB)], NEWEST, tweak=_failing_map)
    assert v.outcome == "-ENOMEM"
    assert [f.kind for f in v.findings] == ["leak"] and "iova" in v.findings[0].message
    fixed = _run([(0, 2 * MiB)], FIXED, tweak=_failing_map)
    assert fixed.outcome == "-ENOMEM" and not fixed.findings


def test_the_unwind_unmaps_entries_never_filled_in_the_newest_release(monkeypatch):
    import dmabuf_lab.linux.drivers.dma_buf.dma_buf_mapping.common as helper

    calls = []
    real = helper.dma_unmap_phys

    def spy(dev, addr, size, *args, **kw):
        calls.append(size)
        return real(dev, addr, size, *args, **kw)

    monkeypatch.setattr(helper, "dma_unmap_phys", spy)
    ranges = [(0, 4 * MiB), (8 * MiB, 4 * MiB)]
    v = _run(ranges, NEWEST, tweak=_small_aperture)
    assert v.outcome == "-ENOMEM"
    assert 0 in calls, calls                     # an entry that was never mapped is unmapped
    calls.clear()
    assert _run(ranges, FIXED, tweak=_small_aperture).outcome == "-ENOMEM"
    assert calls and 0 not in calls, calls       # the fix unmaps only what it filled
