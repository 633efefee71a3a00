"""get-pfn (get-pfn, the get_pfn RFC thread (2025-01-07/08)): the core's get_pfn entry, vfio's get_pfn arithmetic, the two
philosophies, the null-dev-attach bug, the RDMA double walk and a fault sweep.

Oracles: the RFC patches' control flow (01: -EINVAL without get_pfn, -ENOENT for a
pinnable buffer without CONFIG_DMABUF_MOVE_NOTIFY; 02: vfio walks its ranges, order
0; 03: KVM -> -EIO), hand arithmetic over the presets' BAR addresses, and a
philosophy table written out here from the debate in the get_pfn RFC thread (2025-01-07/08).
"""
from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from dmabuf_lab.core.ops import dma_buf_attach_ops
from dmabuf_lab.hw import load_topology
from dmabuf_lab.kmodel import EINVAL, ENODEV, ENOENT, PTR_ERR, Kernel, dma_resv, kstruct
from dmabuf_lab.litmus.runner import fault_sweep_scenario, run_once
from dmabuf_lab.litmus.scenario import load_scenario
from dmabuf_lab.revisions import get_pfn as gp
from dmabuf_lab.revisions.base import ExporterSpec, ImporterSpec, Oops, Session, session_scope

LITMUS = Path(__file__).resolve().parents[2] / "litmus"
MiB = 1 << 20
STEPS = ("attach", "map", "unmap", "detach")


@contextlib.contextmanager
def variant(v: str = "posted", exporter: ExporterSpec | None = None):
    with session_scope(Session(None, exporter or ExporterSpec("system"), ImporterSpec("kvm"), gp.REVISION, v)):
        yield


class fake_buf(kstruct):
    fields = ("ops", "resv", "priv", "size", "attachments")


def _attach(ops, size=2 * MiB):
    buf = fake_buf(ops=ops, resv=dma_resv(), size=size)
    a = gp.dma_buf_attachment()
    a.dmabuf = buf
    a.importer_ops = dma_buf_attach_ops(move_notify=lambda at: None)
    return a


# --- dma_buf_get_pfn_unlocked() ------------------------------------------------------

def test_get_pfn_without_callback_warns_einval():
    with Kernel() as k, variant():
        ret, _, _ = gp.dma_buf_get_pfn_unlocked(_attach(gp.dma_buf_ops_pfn()), 0)
    assert ret == -EINVAL
    assert [f.kind for f in k.findings] == ["warn"]


def test_pinnable_buffer_needs_move_notify_config():
    calls = []
    ops = gp.dma_buf_ops_pfn(pin=lambda a: 0, unpin=lambda a: None,
                             get_pfn=lambda a, p: calls.append(p) or (0, 0x1234, 0))
    with Kernel(), variant(exporter=ExporterSpec("vfio-pci", options={"dmabuf_move_notify": False})):
        assert gp.dma_buf_get_pfn_unlocked(_attach(ops), 3)[0] == -ENOENT
    assert calls == []          # refused before the exporter is asked
    with Kernel(), variant(exporter=ExporterSpec("vfio-pci", options={"dmabuf_move_notify": True})):
        assert gp.dma_buf_get_pfn_unlocked(_attach(ops), 3) == (0, 0x1234, 0)
    assert calls == [3]


def test_get_pfn_takes_the_lock_around_the_callback():
    from dmabuf_lab.kmodel import dma_resv_assert_held

    def get_pfn(attach, pgoff):
        dma_resv_assert_held(attach.dmabuf.resv)      # a `lock` finding if the core did not take it
        return 0, 7, 0

    with Kernel() as k, variant():
        a = _attach(gp.dma_buf_ops_pfn(get_pfn=get_pfn))
        assert gp.dma_buf_get_pfn_unlocked(a, 0) == (0, 7, 0)
    assert k.findings == []


def test_null_attachment_oopses_before_the_warn():
    with Kernel(), variant(), pytest.raises(Oops):
        gp.dma_buf_get_pfn_unlocked(None, 0)


# --- dma_buf_dynamic_attach(): the null-dev-attach bug -----------------------------------------

def _buf_with_map():
    return fake_buf(ops=gp.dma_buf_ops_pfn(map_dma_buf=lambda a, d: None, unmap_dma_buf=lambda a, s, d: None,
                                           get_pfn=lambda a, p: (0, 1, 0)),
                    resv=dma_resv(), size=2 * MiB)


@pytest.mark.parametrize("v, ok", [("posted", False), ("fixed", True), ("fix-null-dev-attach", True),
                                   ("importer-maps", True)])
def test_null_dev_attach(v, ok):
    buf = _buf_with_map()
    buf.attachments = []
    ops = dma_buf_attach_ops(allow_peer2peer=True, move_notify=lambda a: None)
    with Kernel() as k, variant(v):
        att = gp.dma_buf_dynamic_attach(buf, None, ops, None)
        if ok:
            gp.dma_buf_detach(buf, att)
    assert gp.IS_ERR(att) != ok
    assert ("warn" in [f.kind for f in k.findings]) != ok


def test_static_importer_of_pinnable_buffer_pins_at_attach():
    pins = []
    buf = fake_buf(ops=gp.dma_buf_ops_pfn(pin=lambda a: pins.append(a) or -EINVAL, unpin=lambda a: None,
                                          get_pfn=lambda a, p: (0, 1, 0)), resv=dma_resv(), size=2 * MiB)
    buf.attachments = []
    with Kernel() as k, variant():
        att = gp.dma_buf_attach(buf, "dev")
    assert PTR_ERR(att) == -EINVAL and len(pins) == 1
    assert buf.attachments == [] and not k.findings


# --- vfio's get_pfn, end to end ---------------------------------------------------------

def _vfio_two_ranges(opts=None):
    # VF1 of xe-sriov-8vf: BAR 2 at 0x41_0000_0000 (docs/sources.md: IOV BAR2 0x40_0000_0000 + 1 x 4 GiB)
    return ExporterSpec("vfio-pci", "0000:03:00.2", 2, ((0, 2 * MiB), (6 * MiB, 2 * MiB)),
                        {"dmabuf_move_notify": True, **(opts or {})})


def test_vfio_get_pfn_walks_its_ranges():
    from dmabuf_lab.drivers import registry

    topo = load_topology("xe-sriov-8vf")
    s = Session(topo, _vfio_two_ranges(), ImporterSpec("kvm"), gp.REVISION, "posted")
    with session_scope(s), Kernel():
        exp = registry.make_exporter(s)
        imp = registry.make_importer(s)
        s.dmabuf = exp.export()
        imp.attach(s.dmabuf)
        a = imp.attachment
        bar = 0x40_0000_0000 + 1 * (4 << 30)
        assert gp.dma_buf_get_pfn_unlocked(a, 0) == (0, bar >> 12, 0)
        assert gp.dma_buf_get_pfn_unlocked(a, 511) == (0, (bar + 2 * MiB - 4096) >> 12, 0)
        # page 512 is the first page of the second slice, 6 MiB into the BAR
        assert gp.dma_buf_get_pfn_unlocked(a, 512) == (0, (bar + 6 * MiB) >> 12, 0)
        assert gp.dma_buf_get_pfn_unlocked(a, 1024)[0] == -EINVAL      # 4 MiB buffer: past the end
        imp.map()
        assert imp.runs == [(bar, 2 * MiB), (bar + 6 * MiB, 2 * MiB)]
        exp.revoke()
        assert imp.zapped == 1 and not imp.mapped
        assert gp.dma_buf_get_pfn_unlocked(a, 0)[0] == -ENODEV
        imp.teardown()
        exp.release()


# --- the philosophy table -------------------------------------------------------------------

#: Written out from the get_pfn RFC thread (2025-01-07/08): (philosophy, memory, importer) -> can it work at all.
HAND_TABLE = {
    # exporter maps: KVM and iommufd get no CPU physical address; a DMA importer always
    # gets addresses the exporter made for it (CPU-invisible VRAM by migrating it).
    **{("exporter-maps", m, i): False for m in ("system", "mmio-bar", "vram-visible", "vram-invisible")
       for i in ("kvm", "iommufd")},
    **{("exporter-maps", m, "rdma"): True for m in ("system", "mmio-bar", "vram-visible", "vram-invisible")},
    # importer maps: no PFN, no luck; a DMA importer can map only what has a struct page.
    **{("importer-maps", m, i): m != "vram-invisible" for m in ("system", "mmio-bar", "vram-visible",
                                                                 "vram-invisible") for i in ("kvm", "iommufd")},
    ("importer-maps", "system", "rdma"): True,
    ("importer-maps", "mmio-bar", "rdma"): False,
    ("importer-maps", "vram-visible", "rdma"): False,
    ("importer-maps", "vram-invisible", "rdma"): False,
}

TOPO = "gpu-nic-same-switch"        # GPU 0000:03:00.0, NIC 0000:04:00.0 under one switch
MEMORY_SPECS = {
    "system": ExporterSpec("system", None, None, ((0, 2 * MiB),)),
    "mmio-bar": ExporterSpec("vfio-pci", "0000:03:00.0", 2, ((0, 2 * MiB),), {"dmabuf_move_notify": True}),
    "vram-visible": ExporterSpec("xe", "0000:03:00.0", None, ((0, 2 * MiB),)),
    "vram-invisible": ExporterSpec("xe", "0000:03:00.0", None, ((0, 2 * MiB),), {"cpu_visible": False}),
}
IMPORTER_SPECS = {"kvm": ImporterSpec("kvm"), "iommufd": ImporterSpec("iommufd"),
                  "rdma": ImporterSpec("rdma", "0000:04:00.0")}


def test_philosophy_table_matches_the_debate():
    assert gp.PHILOSOPHY == HAND_TABLE


@pytest.mark.parametrize("key", sorted(HAND_TABLE))
def test_drivers_follow_the_philosophy_table(key):
    philosophy, memory, importer = key
    v = run_once(TOPO, MEMORY_SPECS[memory], IMPORTER_SPECS[importer], STEPS, f"get-pfn:{philosophy}")
    works = v.outcome in ("pfn", "dma-addr", "sgt", "sgt-p2p")
    assert works == HAND_TABLE[key], (key, v.outcome, v.detail)
    assert v.findings == [], [str(f) for f in v.findings]
    if philosophy == "exporter-maps" and importer != "rdma":
        assert v.outcome == "cannot-express"


def test_posted_rfc_gives_only_vfio_pfns():
    """As posted only vfio implements get_pfn; KVM cannot even attach to the others."""
    for memory in ("system", "vram-visible"):
        v = run_once(TOPO, MEMORY_SPECS[memory], IMPORTER_SPECS["kvm"], STEPS, "get-pfn")
        assert v.outcome == "-EINVAL" and v.step == "attach" and v.finding_kinds == ["warn"]
    v = run_once(TOPO, MEMORY_SPECS["mmio-bar"], IMPORTER_SPECS["kvm"], STEPS, "get-pfn")
    assert v.outcome == "pfn"


# --- RDMA has to walk twice ---------------------------------------------------------------

def test_rdma_walks_the_pfn_api_twice():
    v = run_once(TOPO, ExporterSpec("system", None, None, ((0, 4 * MiB),)), ImporterSpec("rdma", "0000:04:00.0"),
                 STEPS, "get-pfn:importer-maps")
    assert v.outcome == "dma-addr"
    walks = [line for line in v.trace if "rdma: walk" in line]
    assert len(walks) == 2 and "sized" in walks[0] and "filled" in walks[1]


@pytest.mark.parametrize("rev", ["rfc-v2", "mapping-types-2025-10"])
def test_rdma_walks_a_flat_list_once(rev):
    v = run_once(TOPO, ExporterSpec("system", None, None, ((0, 4 * MiB),)), ImporterSpec("rdma", "0000:04:00.0"),
                 STEPS, rev)
    assert v.outcome == "sgt"
    walks = [line for line in v.trace if line.startswith("rdma:") and "walk" in line]
    assert len(walks) == 1 and "walk 1" in walks[0]


# --- fault sweep ------------------------------------------------------------------------------

GET_PFN_SCENARIOS = ["get-pfn-kvm-vfio-mmio-bar.toml", "get-pfn-iommufd-vfio-bar.toml",
                     "get-pfn-system-heap-kvm.toml", "get-pfn-invisible-vram-kvm.toml", "rdma-double-walk.toml"]


@pytest.mark.parametrize("name", GET_PFN_SCENARIOS)
def test_fault_sweep_attach_and_map_end_clean(name):
    rows = fault_sweep_scenario(load_scenario(LITMUS / name), "get-pfn")
    assert rows, "the sweep injected nothing"
    bad = [r for r in rows if r.result not in ("clean", "ok", "absorbed")]
    assert not bad, [(r.target, r.index, r.site, r.result, r.findings) for r in bad]
