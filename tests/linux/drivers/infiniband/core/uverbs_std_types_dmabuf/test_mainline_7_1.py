"""The uverbs dma-buf exporter's twins against the kmodel runtime (no litmus runner).

Each test builds the objects the C has at that point: a ConnectX-7 of the
gpu-nic-same-switch preset, a uverbs file and ucontext, one mlx5 mmap entry
over a slice of BAR 0, and runs the ALLOC handler, the ops and the destroy.
"""
from __future__ import annotations

import pytest

from dmabuf_lab.hw.presets import gpu_nic_same_switch
from dmabuf_lab.kmodel import (EINVAL, EIO, ENODEV, EOPNOTSUPP, IS_ERR, PTR_ERR, Kernel, dma_resv_lock,
                               dma_resv_unlock, kfree)
from dmabuf_lab.kmodel.completion import kref_init, kref_put
from dmabuf_lab.linux.drivers.infiniband.core.ib_core_uverbs.mainline_7_1 import (
    ib_ucontext, rdma_user_mmap_entry_remove)
from dmabuf_lab.linux.drivers.infiniband.core.rdma_core.mainline_7_1 import (
    RDMA_REMOVE_CLOSE, _new_ufile, alloc_begin_fd_uobject, ib_uverbs_release_file, rdma_alloc_abort_uobject,
    rdma_alloc_commit_uobject, uverbs_cleanup_ufile)
from dmabuf_lab.linux.drivers.infiniband.core.uverbs.mainline_7_1 import ib_uverbs_dmabuf_file
from dmabuf_lab.linux.drivers.infiniband.core.uverbs_std_types_dmabuf import mainline_7_1 as t
from dmabuf_lab.linux.drivers.infiniband.core.uverbs_std_types_dmabuf import mainline_7_3_rc6 as t73
from dmabuf_lab.linux.drivers.infiniband.hw.mlx5.main.mainline_7_1 import (
    mlx5_ib_mmap_get_pfns, mlx5_ib_pgoff_to_mmap_entry, mlx5_user_mmap_entry)
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_6_19 import dma_buf_put
from dmabuf_lab.core.file import syscall
from dmabuf_lab.pci.p2pdma import pcim_p2pdma_init

NIC = "0000:04:00.0"
NIC_BAR0 = 0x50_0000_0000          # the preset's ConnectX-7 BAR 0 (32 MiB), written here, not read back
PGOFF = 1


class _Dev:
    """mlx5's two ops, bound to the NIC; ``remove_after_lookup`` plays the driver removing
    the entry right after the handler looked it up."""

    def __init__(self, pdev, remove_after_lookup=False):
        self.pdev = pdev
        self.remove_after_lookup = remove_after_lookup

    def pgoff_to_mmap_entry(self, ucontext, pg_off):
        entry = mlx5_ib_pgoff_to_mmap_entry(ucontext, pg_off)
        if entry is not None and self.remove_after_lookup:
            rdma_user_mmap_entry_remove(entry)
        return entry

    def mmap_get_pfns(self, entry, ud):
        out = [None]
        ret = mlx5_ib_mmap_get_pfns(self.pdev, entry, ud.phys_vec, out)
        ud.provider = out[0]
        return ret


def _setup(offset=0x100000, npages=16, address=None):
    pdev = gpu_nic_same_switch().device(NIC)
    pcim_p2pdma_init(pdev)
    ufile = _new_ufile()
    uctx = ib_ucontext(device=pdev, ufile=ufile)
    ufile.ucontext = uctx
    entry = mlx5_user_mmap_entry(ucontext=uctx, start_pgoff=PGOFF, npages=npages,
                                 address=NIC_BAR0 + offset if address is None else address)
    entry.ref.container = entry
    kref_init(entry.ref)
    for i in range(npages):
        uctx.mmap_xa[PGOFF + i] = entry
    return pdev, ufile, uctx, entry


def _alloc(pdev, ufile, uctx, *, dev=None, pg_off=PGOFF << 12):
    with syscall():
        ud = alloc_begin_fd_uobject(ufile, uctx, ib_uverbs_dmabuf_file)
        ret = t.uverbs_method_dmabuf_alloc(ud, dev or _Dev(pdev), uctx, pg_off)
        if ret:
            rdma_alloc_abort_uobject(ud.uobj, False, t.uverbs_dmabuf_fd_destroy_uobj)
        else:
            rdma_alloc_commit_uobject(ud.uobj)
    return ret, ud


def _close_ufile(ufile):
    uverbs_cleanup_ufile(ufile, RDMA_REMOVE_CLOSE, t.uverbs_dmabuf_fd_destroy_uobj)
    kref_put(ufile.ref, ib_uverbs_release_file)


def _kinds(k):
    return sorted({f.kind for f in k.findings})


class _Attach:
    def __init__(self, dmabuf, peer2peer=True):
        self.dmabuf = dmabuf
        self.peer2peer = peer2peer


def test_attach_wants_peer2peer():
    assert t.uverbs_dmabuf_attach(None, _Attach(None, peer2peer=False)) == -EOPNOTSUPP
    assert t.uverbs_dmabuf_attach(None, _Attach(None, peer2peer=True)) == 0


def test_pin_refuses_and_unpin_does_nothing():
    assert t.uverbs_dmabuf_pin(None) == -EOPNOTSUPP
    assert t.uverbs_dmabuf_unpin(None) is None


def test_alloc_exports_the_entry_as_one_range_then_the_fd_close_frees_everything():
    with Kernel() as k:
        pdev, ufile, uctx, entry = _setup(offset=0x100000, npages=16)
        ret, ud = _alloc(pdev, ufile, uctx)
        assert ret == 0
        assert (ud.phys_vec.paddr, ud.phys_vec.len) == (NIC_BAR0 + 0x100000, 16 * 4096)
        assert ud.provider is pdev.p2pdma.mem[0]
        assert ud.dmabuf.size == 16 * 4096
        assert ud.kref.refcount == 1 and entry.ref.refcount == 2
        assert entry.dmabufs == [ud] and ud.mmap_entry is entry and not ud.revoked
        dma_buf_put(ud.dmabuf)                 # the fd's reference: release -> destroy(CLOSE)
        assert entry.ref.refcount == 1 and entry.dmabufs == []
        _close_ufile(ufile)
    assert k.findings == []


def test_alloc_of_an_unknown_offset_is_einval_and_leaves_nothing():
    with Kernel() as k:
        pdev, ufile, uctx, entry = _setup()
        ret, _ = _alloc(pdev, ufile, uctx, pg_off=7 << 12)
        assert ret == -EINVAL and entry.ref.refcount == 1
        _close_ufile(ufile)
    assert k.findings == []


def test_alloc_of_an_address_in_no_bar_is_einval_and_puts_the_entry():
    with Kernel() as k:
        pdev, ufile, uctx, entry = _setup(address=0x1000)
        ret, _ = _alloc(pdev, ufile, uctx)
        assert ret == -EINVAL and entry.ref.refcount == 1
        _close_ufile(ufile)
    assert k.findings == []


def test_alloc_after_the_entry_was_removed_is_einval():
    with Kernel() as k:
        pdev, ufile, uctx, entry = _setup()
        kref_init(entry.ref)
        entry.ref.refcount = 2                 # a second holder keeps it alive
        rdma_user_mmap_entry_remove(entry)
        ret, _ = _alloc(pdev, ufile, uctx)
        assert ret == -EINVAL                  # rdma_user_mmap_entry_get_pgoff() refuses a removed entry
        _close_ufile(ufile)
    assert k.findings == []


def test_removal_between_lookup_and_link_is_eio_and_the_release_reads_the_freed_object():
    with Kernel() as k:
        pdev, ufile, uctx, entry = _setup()
        entry.ref.refcount = 2
        ret, _ = _alloc(pdev, ufile, uctx, dev=_Dev(pdev, remove_after_lookup=True))
        assert ret == -EIO
        _close_ufile(ufile)
    assert "use-after-free" in _kinds(k)
    uaf = [f for f in k.findings if f.kind == "use-after-free"]
    assert any("context" in f.message for f in uaf)


def test_revoke_then_destroy_does_not_put_the_kref_twice_nor_wait():
    with Kernel() as k:
        pdev, ufile, uctx, entry = _setup()
        entry.ref.refcount = 2                 # the test keeps the entry after the driver's remove
        ret, ud = _alloc(pdev, ufile, uctx)
        assert ret == 0
        rdma_user_mmap_entry_remove(entry)     # the driver: revoke, kref 1 -> 0, completion done
        assert ud.revoked and ud.kref.refcount == 0 and entry.dmabufs == []
        t.uverbs_dmabuf_fd_destroy_uobj(ud.uobj, RDMA_REMOVE_CLOSE)
        assert ud.kref.refcount == 0           # no second put: no underflow
        ud.uobj.object = None
        assert entry.ref.refcount == 1
        kref_put(entry.ref, lambda r: None)
        kfree(ud.dmabuf.file)
        kfree(ud.dmabuf)
        kfree(ud)
        kref_put(ufile.ref, ib_uverbs_release_file)
        kref_put(ufile.ref, ib_uverbs_release_file)
    assert "warn" not in _kinds(k) and "lock" not in _kinds(k)


def test_destroy_with_a_mapping_never_unmapped_never_returns():
    with Kernel() as k:
        pdev, ufile, uctx, entry = _setup()
        ret, ud = _alloc(pdev, ufile, uctx)
        ud.kref.refcount += 1                  # a live mapping (what a map's kref_get leaves)
        t.uverbs_dmabuf_fd_destroy_uobj(ud.uobj, RDMA_REMOVE_CLOSE)
    assert any(f.kind == "lock" and "never return" in f.message for f in k.findings)


def test_map_of_a_revoked_buffer_is_enodev():
    with Kernel():
        pdev, ufile, uctx, entry = _setup()
        ret, ud = _alloc(pdev, ufile, uctx)
        ud.revoked = True
        dma_resv_lock(ud.dmabuf.resv)
        sgt = t.uverbs_dmabuf_map(_Attach(ud.dmabuf), 0)
        dma_resv_unlock(ud.dmabuf.resv)
        assert IS_ERR(sgt) and PTR_ERR(sgt) == -ENODEV and ud.kref.refcount == 1


def test_closing_the_uverbs_file_first_leaks_the_object_and_a_file_reference():
    """The destroy clears uobj.context; the dma-buf's later release then skips
    uverbs_uobject_release(), whose puts nothing else makes."""
    with Kernel() as k:
        pdev, ufile, uctx, entry = _setup()
        ret, ud = _alloc(pdev, ufile, uctx)
        _close_ufile(ufile)                    # the ucontext goes first (the uverbs fd is closed)
        assert ud.uobj.context is None and ud.revoked
        dma_buf_put(ud.dmabuf)                 # then the dma-buf's last reference
    leaks = [f.message for f in k.findings if f.kind == "leak"]
    assert any("ib_uverbs_dmabuf_file" in m for m in leaks)
    assert any("ib_uverbs_file" in m and "dmabuf" not in m for m in leaks)


def test_7_3_rc6_maps_through_the_7_3_helper_and_keeps_the_rest():
    assert t.HELPER_RELEASE == "6.19" and t73.HELPER_RELEASE == "7.3"
    assert t73.uverbs_dmabuf_ops.map_dma_buf is t73.uverbs_dmabuf_map
    assert t73.uverbs_dmabuf_ops.unmap_dma_buf is t.uverbs_dmabuf_unmap
    assert t73.uverbs_dmabuf_fd_destroy_uobj is t.uverbs_dmabuf_fd_destroy_uobj


@pytest.mark.parametrize("pgoff,expect", [(PGOFF, True), (PGOFF + 1, False)])
def test_lookup_wants_the_entry_start(pgoff, expect):
    with Kernel():
        pdev, ufile, uctx, entry = _setup(npages=4)
        got = mlx5_ib_pgoff_to_mmap_entry(uctx, pgoff << 12)
        assert (got is entry) == expect


# --- the mapping helper per release ----------------------------------------------

GiB = 1 << 30
GPU_BAR2 = 0x40_0000_0000         # the GPU's 16 GiB BAR 2 in gpu-nic-split-root, written here


def _map_big_entry(twins):
    """An entry of 5 GiB, more than any RDMA BAR of the presets holds: the GPU's BAR 2
    stands in for a NIC with a BAR that large; the NIC behind the other root port maps it
    through one IOVA span.  Returns (the map's entries' total length, the run's findings)."""
    from dmabuf_lab.addr import for_each_sgtable_dma_sg, sg_dma_len
    from dmabuf_lab.core.attachment import dma_buf_attachment
    from dmabuf_lab.hw import load_topology

    topo = load_topology("gpu-nic-split-root")
    gpu, nic = topo.device("0000:01:00.0"), topo.device("0000:02:00.0")
    with Kernel() as k:
        pcim_p2pdma_init(gpu)
        ufile = _new_ufile()
        uctx = ib_ucontext(device=gpu, ufile=ufile)
        entry = mlx5_user_mmap_entry(ucontext=uctx, start_pgoff=PGOFF, npages=5 * GiB // 4096, address=GPU_BAR2)
        entry.ref.container = entry
        kref_init(entry.ref)
        uctx.mmap_xa[PGOFF] = entry
        ret, ud = _alloc(gpu, ufile, uctx)
        assert ret == 0 and ud.phys_vec.len == 5 * GiB
        attach = dma_buf_attachment(dmabuf=ud.dmabuf, dev=nic, peer2peer=True)
        dma_resv_lock(ud.dmabuf.resv)
        sgt = twins.uverbs_dmabuf_map(attach, 0)
        total = None if IS_ERR(sgt) else sum(int(sg_dma_len(sg)) for sg in for_each_sgtable_dma_sg(sgt))
        if not IS_ERR(sgt):
            twins.uverbs_dmabuf_unmap(attach, sgt, 0)
        dma_resv_unlock(ud.dmabuf.resv)
    return total, _kinds(k)


def test_a_5_gib_entry_wraps_in_7_1_and_maps_whole_in_7_3_rc6():
    total_71, kinds_71 = _map_big_entry(t)
    total_73, kinds_73 = _map_big_entry(t73)
    assert total_71 == 1 * GiB and "warn" in kinds_71      # unsigned int mapped_len: 5 GiB wraps to 1 GiB
    assert total_73 == 5 * GiB and "warn" not in kinds_73  # b344ca94e8cc: size_t
