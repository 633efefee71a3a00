"""Linux 6.19 exactly, and what Linux 7.3 changed: the vfio export error path
(deferred fput, e98137f0a874), the unsigned int counters of
dma_buf_phys_vec_to_sgt() (b344ca94e8cc), the page-aligned split
(06dd5e1ae8ce), and vfio's wait for invalidation (1a8a5227f229)."""
from __future__ import annotations

import importlib
from types import SimpleNamespace

from dmabuf_lab.addr import PAGE_SIZE, UINT_MAX, for_each_sgtable_dma_sg, sg_dma_address, sg_dma_len
from dmabuf_lab.core import close_fd, dma_buf_get, dma_buf_put, set_rlimit_nofile
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_7_1 import (dma_buf_attach_revocable, dma_buf_detach,
                                         dma_buf_dynamic_attach, dma_buf_map_attachment,
                                         dma_buf_unmap_attachment)
from dmabuf_lab.core.file import syscall
from dmabuf_lab.core.ops import dma_buf_attach_ops
from dmabuf_lab.linux.drivers.dma_buf.dma_buf_mapping.common import MAX_SG_ENT_SZ, calc_sg_nents
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf import mainline_6_19 as v619
from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_dmabuf import common as v73
from dmabuf_lab.hw import load_topology
from dmabuf_lab.kmodel import IS_ERR, Kernel, dma_resv_lock, dma_resv_unlock

GiB, MiB = 1 << 30, 1 << 20
EMFILE = -24
CORE = {"6.19": importlib.import_module("dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_6_19"),
        "7.3": importlib.import_module("dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_7_1")}


def setup(preset="gpu-nic-same-switch", gpu="0000:03:00.0", nic="0000:04:00.0"):
    topo = load_topology(preset)
    return v619.vfio_pci_core_device(topo.device(gpu)), topo.device(nic)


def feature(ranges, region=2):
    return v619.vfio_device_feature_dma_buf(region, ranges)


# --- (a) the export error path: priv is freed first, the deferred release touches it after ------

def test_619_fd_failure_error_path_frees_first_and_the_deferred_release_reads_freed_memory():
    vdev, _ = setup()
    with Kernel() as k:
        set_rlimit_nofile(3)
        with syscall():
            ret = v619.vfio_pci_core_feature_dma_buf(vdev, v619.VFIO_DEVICE_FEATURE_GET,
                                                     feature([(0, 2 * MiB)]))
            # inside the ioctl the error path has run and found nothing wrong yet:
            # dma_buf_put() only queued the release (task work)
            assert k.findings == []
    assert ret == EMFILE
    kinds = [f.kind for f in k.findings]
    # the release callback, run on the way back to user space, is where every finding is
    assert kinds[0] == "use-after-free"
    assert all("vfio_pci_dma_buf_release" in f.site for f in k.findings), [str(f) for f in k.findings]
    assert "double-free" in kinds
    assert vdev.registrations == 0          # put twice: by the error path and by the release


def test_73_fd_failure_puts_once_and_release_frees():
    vdev, _ = setup()
    with Kernel() as k:
        set_rlimit_nofile(3)
        with syscall():
            ret = v73.vfio_pci_core_feature_dma_buf(vdev, v619.VFIO_DEVICE_FEATURE_GET,
                                                    feature([(0, 2 * MiB)]))
    assert ret == EMFILE and k.findings == [] and vdev.registrations == 1 and vdev.dmabufs == []


# --- (b) unsigned int mapped_len past 4 GiB ------------------------------------------------------

def map_split_root(mod, ranges, faithful=True):
    """Export from the GPU, map once for the NIC behind the other root port, tear down."""
    vdev, nic = setup("gpu-nic-split-root", "0000:01:00.0", "0000:02:00.0")
    core = CORE["6.19" if mod is v619 else "7.3"]
    with Kernel() as k:
        fd = mod.vfio_pci_core_feature_dma_buf(vdev, v619.VFIO_DEVICE_FEATURE_GET, feature(ranges),
                                               fixed_helper=not faithful)
        buf = dma_buf_get(fd)
        ops = dma_buf_attach_ops(allow_peer2peer=True, move_notify=print, invalidate_mappings=print)
        a = core.dma_buf_dynamic_attach(buf, nic, ops, None)
        dma_resv_lock(buf.resv)
        sgt = core.dma_buf_map_attachment(a, 0)
        ents = [(int(sg_dma_address(s)), int(sg_dma_len(s))) for s in for_each_sgtable_dma_sg(sgt)]
        core.dma_buf_unmap_attachment(a, sgt, 0)
        dma_resv_unlock(buf.resv)
        core.dma_buf_detach(buf, a)
        dma_buf_put(buf)
        close_fd(fd)
    return ents, k


def test_619_iova_span_past_4gib_wraps_mapped_len():
    ents, k = map_split_root(v619, [(0, 5 * GiB)])
    # two entries allocated for 5 GiB, but only (5 GiB mod 4 GiB) = 1 GiB described
    assert [ln for _, ln in ents] == [1 * GiB, 0]
    warns = [f.message for f in k.findings_of("warn")]
    assert any("do not add up" in w for w in warns) and any("fewer entries" in w for w in warns)


def test_73_iova_span_past_4gib_is_described_in_page_aligned_entries():
    ents, k = map_split_root(v73, [(0, 5 * GiB)])
    assert [ln for _, ln in ents] == [MAX_SG_ENT_SZ, 5 * GiB - MAX_SG_ENT_SZ]
    assert all(a % PAGE_SIZE == 0 and ln % PAGE_SIZE == 0 for a, ln in ents)
    assert k.findings_of("warn") == []
    assert [f.kind for f in k.findings] == ["leak"]      # orig_nents = 0 is still there


def test_max_sg_ent_sz_is_uint_max_aligned_down_to_a_page():
    assert MAX_SG_ENT_SZ == 0xFFFFF000 and MAX_SG_ENT_SZ % PAGE_SIZE == 0 and MAX_SG_ENT_SZ < UINT_MAX


# --- (c) the entry-count overflow check belongs to b344ca94e8cc, not to 6.19 ----------------------

def test_entry_count_overflow_wraps_in_619_and_is_refused_after_the_fix():
    # three ranges of 2**31 entries each (one-byte entries keep the arithmetic small)
    pv = [SimpleNamespace(len=1 << 31) for _ in range(3)]
    assert calc_sg_nents(None, pv, 3, 0, max_seg=1) == (3 << 31) & 0xFFFFFFFF == 1 << 31
    assert calc_sg_nents(None, pv, 3, 0, max_seg=1, overflow_check=True) == 0
    # no overflow: both agree
    assert calc_sg_nents(None, pv[:1], 1, 0, max_seg=1, overflow_check=True) == 1 << 31


# --- the revoke series ---------------------------------------------------------------------------

def test_attach_revocable_needs_invalidate_mappings():
    a = SimpleNamespace(importer_ops=None)
    assert not dma_buf_attach_revocable(a)
    a.importer_ops = dma_buf_attach_ops(allow_peer2peer=True, move_notify=print)
    assert not dma_buf_attach_revocable(a)
    a.importer_ops = dma_buf_attach_ops(allow_peer2peer=True, invalidate_mappings=print)
    assert dma_buf_attach_revocable(a)


def test_73_vfio_refuses_a_p2p_importer_without_invalidate_mappings():
    vdev, nic = setup()
    with Kernel():
        fd = v73.vfio_pci_core_feature_dma_buf(vdev, v619.VFIO_DEVICE_FEATURE_GET, feature([(0, 2 * MiB)]))
        buf = dma_buf_get(fd)
        a = dma_buf_dynamic_attach(buf, nic, dma_buf_attach_ops(allow_peer2peer=True), None)
        assert IS_ERR(a)
        dma_buf_put(buf)
        close_fd(fd)


def test_73_revoke_with_a_mapping_never_unmapped_would_sleep_forever():
    vdev, nic = setup()
    with Kernel() as k:
        fd = v73.vfio_pci_core_feature_dma_buf(vdev, v619.VFIO_DEVICE_FEATURE_GET, feature([(0, 2 * MiB)]))
        buf = dma_buf_get(fd)
        seen = []
        a = dma_buf_dynamic_attach(buf, nic, dma_buf_attach_ops(allow_peer2peer=True,
                                                                invalidate_mappings=seen.append), None)
        dma_resv_lock(buf.resv)
        sgt = dma_buf_map_attachment(a, 0)
        dma_resv_unlock(buf.resv)
        v73.vfio_pci_dma_buf_move(vdev, True)        # the importer ignores the callback
        assert seen == [a]
        assert [f.kind for f in k.findings] == ["lock"] and "never returns" in k.findings[0].message
        dma_resv_lock(buf.resv)
        dma_buf_unmap_attachment(a, sgt, 0)
        dma_resv_unlock(buf.resv)
        dma_buf_detach(buf, a)
        dma_buf_put(buf)
        close_fd(fd)


def test_73_restore_invalidates_and_waits_for_fences_before_clearing_revoked():
    """gregkh/linux 2519003dd5fb: vfio_pci_dma_buf_move(vdev, false) tells the importers and
    waits for every fence, like revoke, before the buffer is usable again."""
    from dmabuf_lab.kmodel.fence import DMA_RESV_USAGE_BOOKKEEP, dma_fence, dma_resv_add_fence
    vdev, nic = setup()
    with Kernel() as k:
        fd = v73.vfio_pci_core_feature_dma_buf(vdev, v619.VFIO_DEVICE_FEATURE_GET, feature([(0, 2 * MiB)]))
        buf = dma_buf_get(fd)
        seen = []
        a = dma_buf_dynamic_attach(buf, nic, dma_buf_attach_ops(allow_peer2peer=True,
                                                                invalidate_mappings=seen.append), None)
        v73.vfio_pci_dma_buf_move(vdev, True)
        assert seen == [a] and buf.priv.revoked
        # a job nobody will finish: restore has to wait for it
        dma_resv_lock(buf.resv)
        dma_resv_add_fence(buf.resv, dma_fence("stuck job"), DMA_RESV_USAGE_BOOKKEEP)
        dma_resv_unlock(buf.resv)
        v73.vfio_pci_dma_buf_move(vdev, False)
        assert seen == [a, a], "restore must invalidate the importers' mappings too"
        assert [f.kind for f in k.findings] == ["lock"]
        assert "dma_resv_wait_timeout" in k.findings[0].message
        assert not buf.priv.revoked
        buf.resv.fences.clear()
        dma_buf_detach(buf, a)
        dma_buf_put(buf)
        close_fd(fd)


def _close_with_mapping(version):
    """Export, map for a dynamic importer that ignores the notification, close the device;
    what was the BAR's decoding when the cleanup told the importer?"""
    from dmabuf_lab.linux.drivers.vfio.pci.vfio_pci_core import common as cd
    vdev, nic = setup()
    mod, core = (v619, CORE["6.19"]) if version == "6.19" else (v73, CORE["7.3"])
    decoding = []
    with Kernel() as k:
        fd = mod.vfio_pci_core_feature_dma_buf(vdev, v619.VFIO_DEVICE_FEATURE_GET, feature([(0, 2 * MiB)]),
                                               fixed_helper=True)
        buf = dma_buf_get(fd)

        def notified(att):
            decoding.append(vdev.memory_enabled)
            if version != "6.19":
                core.dma_buf_unmap_attachment(att, sgt, 0)
        ops = dma_buf_attach_ops(allow_peer2peer=True, move_notify=notified, invalidate_mappings=notified)
        a = core.dma_buf_dynamic_attach(buf, nic, ops, None)
        dma_resv_lock(buf.resv)
        sgt = (core.dma_buf_map_attachment(a, 0, move_notify_config=True) if version == "6.19"
               else core.dma_buf_map_attachment(a, 0))
        dma_resv_unlock(buf.resv)
        close = cd.vfio_pci_core_close_device_619 if version == "6.19" else cd.vfio_pci_core_close_device
        close(vdev, mod.vfio_pci_dma_buf_cleanup)
        if version == "6.19":
            dma_resv_lock(buf.resv)
            core.dma_buf_unmap_attachment(a, sgt, 0, move_notify_config=True)
            dma_resv_unlock(buf.resv)
        core.dma_buf_detach(buf, a)
        dma_buf_put(buf)
        close_fd(fd)
    return decoding, vdev, k


def test_619_close_turns_decoding_off_before_the_importer_is_told():
    decoding, vdev, _ = _close_with_mapping("6.19")
    assert decoding == [False], "6.19 disables the function first, then revokes"
    assert not vdev.memory_enabled and vdev.dmabufs == []


def test_7x_close_revokes_while_the_function_still_decodes():
    decoding, vdev, k = _close_with_mapping("7.3")
    assert decoding == [True], "d97708701434: the cleanup runs before vfio_pci_core_disable()"
    assert not vdev.memory_enabled and vdev.dmabufs == []
    assert [f.kind for f in k.findings] == []


# --- 6.19 as released: vfio's pin (61ceaf236115) against CONFIG_DMABUF_MOVE_NOTIFY ---------

def _map_619_with_pin(config):
    core619 = CORE["6.19"]
    vdev, nic = setup()
    with Kernel() as k:
        fd = v619.vfio_pci_core_feature_dma_buf(vdev, v619.VFIO_DEVICE_FEATURE_GET, feature([(0, 2 * MiB)]),
                                                pin_ops=True, fixed_helper=True)
        buf = dma_buf_get(fd)
        a = core619.dma_buf_dynamic_attach(buf, nic, dma_buf_attach_ops(allow_peer2peer=True,
                                                                         move_notify=print), None)
        dma_resv_lock(buf.resv)
        sgt = core619.dma_buf_map_attachment(a, 0, move_notify_config=config)
        if not IS_ERR(sgt):
            core619.dma_buf_unmap_attachment(a, sgt, 0, move_notify_config=config)
        dma_resv_unlock(buf.resv)
        core619.dma_buf_detach(buf, a)
        dma_buf_put(buf)
        close_fd(fd)
    return sgt, k


def test_619_default_config_pins_every_importer_and_vfio_refuses():
    from dmabuf_lab.kmodel import PTR_ERR
    sgt, k = _map_619_with_pin(False)
    assert IS_ERR(sgt) and PTR_ERR(sgt) == -95          # -EOPNOTSUPP from vfio_pci_dma_buf_pin()
    sgt, k = _map_619_with_pin(True)
    assert not IS_ERR(sgt) and k.findings == []
