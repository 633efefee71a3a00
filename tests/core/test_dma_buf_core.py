"""dma-buf core (mainline-6.19) against a tiny in-test exporter: export checks, static vs
dynamic attach, the reservation-lock rules, move_notify, pin-on-map, release."""
from __future__ import annotations

import pytest

from dmabuf_lab.addr import sg_table_free, sg_table_from_ranges
from dmabuf_lab.core import (DMA_BIDIRECTIONAL, dma_buf_attach, dma_buf_attach_ops,
                             dma_buf_attachment_is_dynamic, dma_buf_detach,
                             dma_buf_dynamic_attach, dma_buf_export, dma_buf_export_info,
                             dma_buf_get, dma_buf_map_attachment_unlocked, dma_buf_move_notify,
                             dma_buf_ops, dma_buf_put, dma_buf_fd, close_fd)
from dmabuf_lab.core.importers import sgt_importer
from dmabuf_lab.kmodel import (EBUSY, EINVAL, ENOMEM, IS_ERR, Kernel, PTR_ERR, dma_resv_lock,
                               dma_resv_unlock, fault_sweep)


class Dev:
    """A device stand-in: the core only passes it to the exporter."""

    def __init__(self, name):
        self.name = name


class ToyExporter:
    """Maps to one fixed DMA range; counts calls."""

    def __init__(self, pinnable=False):
        self.calls = []
        self.released = False
        kw = {}
        if pinnable:
            kw = dict(pin=self.pin, unpin=self.unpin)
        self.ops = dma_buf_ops(attach=self.attach, detach=self.detach, map_dma_buf=self.map,
                               unmap_dma_buf=self.unmap, release=self.release, **kw)

    def attach(self, dmabuf, a):
        self.calls.append("attach")
        return 0

    def detach(self, dmabuf, a):
        self.calls.append("detach")

    def pin(self, a):
        self.calls.append("pin")
        return 0

    def unpin(self, a):
        self.calls.append("unpin")

    def map(self, a, direction):
        self.calls.append("map")
        return sg_table_from_ranges([(0x1000_0000, 0x2000)])

    def unmap(self, a, sgt, direction):
        self.calls.append("unmap")
        sg_table_free(sgt)

    def release(self, dmabuf):
        self.released = True


def export(exp):
    return dma_buf_export(dma_buf_export_info(ops=exp.ops, priv=exp, size=0x2000))


def test_round_trip_is_clean_and_releases():
    exp = ToyExporter()
    with Kernel() as k:
        buf = export(exp)
        imp = sgt_importer(Dev("gpu"), dynamic=True)
        assert not IS_ERR(imp.do_attach(buf))
        sgt = imp.do_map()
        assert not IS_ERR(sgt)
        imp.do_unmap()
        imp.do_detach()
        dma_buf_put(buf)
    assert exp.released
    assert exp.calls == ["attach", "map", "unmap", "detach"]
    assert k.findings == []


def test_export_without_mandatory_op_warns_einval():
    exp = ToyExporter()
    exp.ops.release = None
    with Kernel() as k:
        r = dma_buf_export(dma_buf_export_info(ops=exp.ops, priv=exp, size=4096))
    assert IS_ERR(r) and PTR_ERR(r) == -EINVAL
    assert [f.kind for f in k.findings] == ["warn"]


def test_export_pin_without_unpin_warns_einval():
    exp = ToyExporter(pinnable=True)
    exp.ops.unpin = None
    with Kernel() as k:
        r = export(exp)
    assert PTR_ERR(r) == -EINVAL
    assert k.kinds()["warn"] == 1


def test_static_attach_has_no_peer2peer_dynamic_copies_allow_peer2peer():
    exp = ToyExporter()
    with Kernel() as k:
        buf = export(exp)
        s = dma_buf_attach(buf, Dev("nic"))
        ops_p2p = dma_buf_attach_ops(allow_peer2peer=True, move_notify=lambda a: None)
        ops_nop2p = dma_buf_attach_ops(allow_peer2peer=False, move_notify=lambda a: None)
        d1 = dma_buf_dynamic_attach(buf, Dev("gpu"), ops_p2p, None)
        d2 = dma_buf_dynamic_attach(buf, Dev("gpu2"), ops_nop2p, None)
        assert (s.peer2peer, d1.peer2peer, d2.peer2peer) == (False, True, False)
        assert not dma_buf_attachment_is_dynamic(s)
        assert dma_buf_attachment_is_dynamic(d1)
        # list_add puts the newest attachment first
        assert list(buf.attachments) == [d2, d1, s]
        for a in (s, d1, d2):
            dma_buf_detach(buf, a)
        dma_buf_put(buf)
    assert k.findings == []


def test_importer_ops_without_move_notify_is_einval():
    exp = ToyExporter()
    with Kernel() as k:
        buf = export(exp)
        r = dma_buf_dynamic_attach(buf, Dev("gpu"), dma_buf_attach_ops(allow_peer2peer=True))
        dma_buf_put(buf)
    assert PTR_ERR(r) == -EINVAL
    assert k.kinds()["warn"] == 1
    assert "attach" not in exp.calls


@pytest.mark.parametrize("dynamic", [True, False])
def test_map_without_resv_lock_is_a_lock_finding(dynamic):
    exp = ToyExporter()
    with Kernel() as k:
        buf = export(exp)
        imp = sgt_importer(Dev("gpu"), dynamic=dynamic)
        imp.do_attach(buf)
        sgt = imp.do_map(locked=True)          # claims to hold the lock, does not
        assert not IS_ERR(sgt)
        imp.do_unmap(locked=True)
        imp.do_detach()
        dma_buf_put(buf)
    # 6.19 asserts the lock for every importer, in map and in unmap
    assert k.kinds()["lock"] == 2


def test_locked_map_with_resv_held_is_clean():
    exp = ToyExporter()
    with Kernel() as k:
        buf = export(exp)
        imp = sgt_importer(Dev("gpu"))
        imp.do_attach(buf)
        dma_resv_lock(buf.resv)
        imp.do_map(locked=True)
        imp.do_unmap(locked=True)
        dma_resv_unlock(buf.resv)
        imp.do_detach()
        dma_buf_put(buf)
    assert k.findings == []


def test_move_notify_reaches_dynamic_importers_only():
    exp = ToyExporter()
    with Kernel() as k:
        buf = export(exp)
        dyn = [sgt_importer(Dev(f"gpu{i}")) for i in range(2)]
        static = sgt_importer(Dev("nic"), dynamic=False)
        for imp in (*dyn, static):
            imp.do_attach(buf)
        dyn[0].do_map()
        dma_resv_lock(buf.resv)
        dma_buf_move_notify(buf)
        dma_resv_unlock(buf.resv)
        assert [i.moves for i in dyn] == [1, 1]
        assert static.moves == 0
        assert dyn[0].sgt is None              # dropped its mapping in move_notify
        for imp in (*dyn, static):
            imp.do_detach()
        dma_buf_put(buf)
    assert k.findings == []
    assert exp.calls.count("unmap") == 1


def test_move_notify_without_resv_lock_is_a_lock_finding():
    exp = ToyExporter()
    with Kernel() as k:
        buf = export(exp)
        imp = sgt_importer(Dev("gpu"))
        imp.do_attach(buf)
        dma_buf_move_notify(buf)
        imp.do_detach()
        dma_buf_put(buf)
    assert k.kinds()["lock"] == 1
    assert imp.moves == 1


def test_static_importer_of_pinnable_exporter_pins_on_map():
    exp = ToyExporter(pinnable=True)
    with Kernel() as k:
        buf = export(exp)
        imp = sgt_importer(Dev("nic"), dynamic=False)
        imp.do_attach(buf)
        imp.do_map()
        imp.do_unmap()
        imp.do_detach()
        dma_buf_put(buf)
    assert exp.calls == ["attach", "pin", "map", "unmap", "unpin", "detach"]
    assert k.findings == []


def test_exporter_map_failure_unpins_again():
    exp = ToyExporter(pinnable=True)
    exp.ops.map_dma_buf = lambda a, d: None       # NULL counts as -ENOMEM
    with Kernel():
        buf = export(exp)
        a = dma_buf_attach(buf, Dev("nic"))
        r = dma_buf_map_attachment_unlocked(a, DMA_BIDIRECTIONAL)
        dma_buf_detach(buf, a)
        dma_buf_put(buf)
    assert PTR_ERR(r) == -ENOMEM
    assert exp.calls == ["attach", "pin", "unpin", "detach"]


def test_pin_refused_with_ebusy_warns():
    exp = ToyExporter(pinnable=True)
    exp.ops.pin = lambda a: -EBUSY
    with Kernel() as k:
        buf = export(exp)
        a = dma_buf_attach(buf, Dev("nic"))
        r = dma_buf_map_attachment_unlocked(a, DMA_BIDIRECTIONAL)
        dma_buf_detach(buf, a)
        dma_buf_put(buf)
    assert PTR_ERR(r) == -EBUSY
    assert k.kinds()["warn"] == 1


def test_detach_with_live_mapping_is_a_leak_finding():
    exp = ToyExporter()
    with Kernel() as k:
        buf = export(exp)
        imp = sgt_importer(Dev("gpu"))
        imp.do_attach(buf)
        sgt = imp.do_map()
        imp.do_detach()
        dma_buf_put(buf)
        sg_table_free(sgt)       # free the table so only the detach report remains
    assert [f.kind for f in k.findings] == ["leak"]
    assert "dma_buf_detach" in k.findings[0].message


def test_use_after_detach_is_reported():
    exp = ToyExporter()
    with Kernel() as k:
        buf = export(exp)
        a = dma_buf_attach(buf, Dev("nic"))
        dma_buf_detach(buf, a)
        _ = a.dev
        dma_buf_put(buf)
    assert k.kinds()["use-after-free"] == 1


def test_release_with_attachment_still_listed_warns():
    exp = ToyExporter()
    with Kernel() as k:
        buf = export(exp)
        dma_buf_attach(buf, Dev("nic"))
        dma_buf_put(buf)
    kinds = k.kinds()
    assert kinds["warn"] == 1 and kinds["leak"] == 1     # the attachment is never freed


def test_fd_owns_the_reference_and_get_put_balance():
    exp = ToyExporter()
    with Kernel() as k:
        buf = export(exp)
        fd = dma_buf_fd(buf, 0)
        assert fd >= 0
        again = dma_buf_get(fd)
        assert again is buf
        dma_buf_put(again)
        assert not exp.released
        assert close_fd(fd) == 0
        assert exp.released
    assert k.findings == []


def test_export_attach_map_fault_sweep_is_clean():
    def path(k):
        exp = ToyExporter()
        buf = export(exp)
        if IS_ERR(buf):
            return buf
        imp = sgt_importer(Dev("gpu"))
        a = imp.do_attach(buf)
        if IS_ERR(a):
            dma_buf_put(buf)
            return a
        sgt = imp.do_map()
        ret = 0
        if IS_ERR(sgt):
            ret = PTR_ERR(sgt)
        else:
            imp.do_unmap()
        imp.do_detach()
        dma_buf_put(buf)
        return ret

    sweep = fault_sweep(path)
    assert sweep.n_allocs >= 4          # file, dma_buf, attachment, sg header + chunk
    assert sweep.all_clean, sweep.render()


@pytest.mark.parametrize("module", ["6.19", "7.3"])
@pytest.mark.parametrize("dynamic", [False, True])
def test_static_map_waits_for_kernel_fences(module, dynamic):
    """dma_buf_map_attachment(): only a static importer waits for the KERNEL
    fences (an exporter's pending move); with nobody to signal the fence the
    wait never returns, which the model reports."""
    from dmabuf_lab.linux.drivers.dma_buf.dma_buf import mainline_7_1 as dma_buf_7_3
    from dmabuf_lab.kmodel.fence import DMA_RESV_USAGE_KERNEL, dma_fence, dma_resv_add_fence

    exp = ToyExporter()
    with Kernel() as k:
        buf = export(exp)
        imp = sgt_importer(Dev("nic"), dynamic=dynamic)
        imp.do_attach(buf)
        dma_resv_lock(buf.resv)
        dma_resv_add_fence(buf.resv, dma_fence("exporter move"), DMA_RESV_USAGE_KERNEL)
        if module == "7.3":
            sgt = dma_buf_7_3.dma_buf_map_attachment(imp.attach, DMA_BIDIRECTIONAL)
            dma_buf_7_3.dma_buf_unmap_attachment(imp.attach, sgt, DMA_BIDIRECTIONAL)
        else:
            sgt = imp.do_map(locked=True)
            imp.do_unmap(locked=True)
        dma_resv_unlock(buf.resv)
        assert not IS_ERR(sgt)
        imp.do_detach()
        dma_buf_put(buf)
    waits = [f for f in k.findings if "dma_resv_wait_timeout" in f.message]
    assert len(waits) == (0 if dynamic else 1)
