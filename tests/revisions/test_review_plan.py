"""The 2026 review plan: what each step serves, expected from the thread, not from the model."""
from __future__ import annotations

import polars as pl
import pytest

from dmabuf_lab.experiments.review_plan import review_plan_pairs, served
from dmabuf_lab.hw import load_topology
from dmabuf_lab.kmodel import Kernel
from dmabuf_lab.revisions import get_revision
from dmabuf_lab.revisions.base import Session, session_scope


@pytest.fixture(scope="module")
def pairs():
    return review_plan_pairs()


def cell(pairs, stage, exp, imp):
    row = pairs.filter((pl.col("stage") == stage) & (pl.col("exporter") == exp) & (pl.col("importer") == imp))
    return row["outcome"].to_list()


def test_kvm_is_served_by_no_step_and_not_by_the_alternative(pairs):
    s = served(pairs)
    kvm = s.filter(pl.col("importer") == "kvm")
    assert kvm.height > 0
    assert all(len(v) == 0 for v in kvm["served_by"].to_list())


def test_iommufd_gets_a_domain_only_from_step_3_or_the_alternative(pairs):
    assert cell(pairs, "step1", "vfio-pci", "iommufd") == ["phys"]
    assert cell(pairs, "step2", "vfio-pci", "iommufd") == ["phys"]
    assert cell(pairs, "step3", "vfio-pci", "iommufd") == ["iommu-domain"]
    assert cell(pairs, "map-attachment-iommu", "vfio-pci", "iommufd") == ["iommu-domain"]


def test_sgt_importers_keep_working_through_every_step(pairs):
    for st in ("step1", "step2", "step3", "map-attachment-iommu"):
        assert cell(pairs, st, "vfio-pci", "rdma") == ["sgt-p2p"], st


def test_step2_vfio_offers_pal_alone_and_the_core_converter_serves_sgt():
    from dmabuf_lab.drivers.vfio_pci.mapping_types_2026_05 import vfio_pci_dma_buf_review_types
    from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf.mainline_6_19 import vfio_pci_core_device
    from dmabuf_lab.revisions import mapping_types_2025_10 as mt
    from dmabuf_lab.revisions.base import ExporterSpec, ImporterSpec

    topo = load_topology("gpu-nic-same-switch")
    for variant, want in (("step1", [mt.dma_buf_mapping_sgt_type]), ("step2", [mt.dma_buf_mapping_pal_type])):
        s = Session(topo, ExporterSpec("vfio-pci"), ImporterSpec("rdma"), get_revision("mapping-types-2026-05"),
                    variant)
        with Kernel(), session_scope(s):
            get_revision("mapping-types-2026-05").run_hook(s)
            vdev = vfio_pci_core_device(topo.device("0000:03:00.0"))
            priv = type("P", (), {"vdev": vdev, "provider": object()})()
            buf = type("B", (), {"priv": priv})()
            assert [m.type for m in vfio_pci_dma_buf_review_types(buf)] == want
            extra = [c(vfio_pci_dma_buf_review_types(buf)) for c in s.shared["core_converters"]]
            # step 1 has no converter; step 2 converts the PAL entry into one SGT_P2P entry
            assert sum(len(e) for e in extra) == (0 if variant == "step1" else 1)
