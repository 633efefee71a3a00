"""xe_gem_prime_import() in 6.19 and 7.1 against the kmodel runtime and the core."""
import pytest

from dmabuf_lab.linux.drivers.dma_buf.dma_buf import mainline_6_19 as core619
from dmabuf_lab.linux.drivers.dma_buf.dma_buf import mainline_7_1 as core71
from dmabuf_lab.core.ops import dma_buf_export_info, dma_buf_ops
from dmabuf_lab.kmodel import ENOMEM, IS_ERR, PTR_ERR, Kernel, dma_resv_lock, dma_resv_unlock, fault_sweep
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.mainline_6_19 import xe_bo_put
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_dma_buf import mainline_6_19 as x619
from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_dma_buf import mainline_7_1 as x71

RELEASES = {"6.19": (x619, core619, core619.dma_buf_move_notify),
            "7.1": (x71, core71, core71.dma_buf_invalidate_mappings)}
DEV = object()


def exporter(core, check=True):
    ops = dma_buf_ops(map_dma_buf=lambda a, d: None, unmap_dma_buf=lambda a, s, d: None,
                      release=lambda b: None, name="test exporter")
    buf = core.dma_buf_export(dma_buf_export_info(ops=ops, priv=object(), size=1 << 21, exp_name="t"))
    assert not check or not IS_ERR(buf)
    return buf


def release(core, buf, obj):
    """What closing the GEM handle does: detach, drop the BO, drop the buffer."""
    if obj is not None and not IS_ERR(obj):
        core.dma_buf_detach(buf, obj.import_attach)
        xe_bo_put(obj)
    core.dma_buf_put(buf)


def invalidate(buf, notify):
    dma_resv_lock(buf.resv)
    notify(buf)
    dma_resv_unlock(buf.resv)


def kinds(k):
    return sorted({f.kind for f in k.findings})


@pytest.mark.parametrize("rel", RELEASES)
def test_plain_import_and_release_is_clean(rel):
    mod, core, notify = RELEASES[rel]
    with Kernel() as k:
        buf = exporter(core)
        obj = mod.xe_gem_prime_import(DEV, buf)
        assert not IS_ERR(obj) and obj.import_attach in buf.attachments
        invalidate(buf, notify)          # an initialised BO evicts cleanly
        release(core, buf, obj)
    assert k.findings == []


@pytest.mark.parametrize("rel,expect", [("6.19", ["use-after-free"]), ("7.1", [])])
def test_oom_once_retries(rel, expect):
    """The first BO init fails with -ENOMEM; the guard restarts once."""
    mod, core, _ = RELEASES[rel]
    with Kernel() as k:
        k.fault.fail_in("xe_bo_init_locked", times=1)
        buf = exporter(core)
        obj = mod.xe_gem_prime_import(DEV, buf)
        assert not IS_ERR(obj)
        core.dma_buf_detach(buf, obj.import_attach)
        core.dma_buf_put(buf)
        uaf_before_put = kinds(k)
        xe_bo_put(obj)
    assert uaf_before_put == expect
    if rel == "6.19":
        assert "double-free" in kinds(k)     # the BO returned is the freed storage


@pytest.mark.parametrize("rel", RELEASES)
def test_init_failing_then_invalidate(rel):
    """Init fails for good; then the exporter invalidates."""
    mod, core, notify = RELEASES[rel]
    with Kernel() as k:
        k.fault.fail_in("xe_bo_init_locked", times=2)
        buf = exporter(core)
        obj = mod.xe_gem_prime_import(DEV, buf)
        assert IS_ERR(obj) and PTR_ERR(obj) == -ENOMEM
        left = list(buf.attachments)
        invalidate(buf, notify)
        core.dma_buf_put(buf)
    if rel == "6.19":
        assert len(left) == 1 and left[0].importer_priv is not None
        assert {"use-after-free", "leak"} <= set(kinds(k))
        assert any(f.kind == "leak" and "dma_buf_attachment" in f.message for f in k.findings)
    else:
        assert left == [] and k.findings == []


@pytest.mark.parametrize("rel,expect", [("6.19", ["uninitialised", "warn"]), ("7.1", [])])
def test_invalidate_during_init(rel, expect, monkeypatch):
    """The exporter invalidates while the importer is inside the BO init (6.19: the
    eviction reaches raw storage, and XE_WARN_ON sees it fail)."""
    mod, core, notify = RELEASES[rel]
    name = "xe_dma_buf_init_obj" if rel == "6.19" else "xe_dma_buf_create_obj"
    real = getattr(mod, name)
    state = {}

    def racing(*args):
        invalidate(state["buf"], notify)
        return real(*args)

    monkeypatch.setattr(mod, name, racing)
    with Kernel() as k:
        buf = state["buf"] = exporter(core)
        obj = mod.xe_gem_prime_import(DEV, buf)
        release(core, buf, obj)
    assert kinds(k) == expect


@pytest.mark.parametrize("rel", RELEASES)
def test_fault_sweep(rel):
    mod, core, _ = RELEASES[rel]

    def path(k):
        buf = exporter(core, check=False)
        if IS_ERR(buf):
            return buf
        obj = mod.xe_gem_prime_import(DEV, buf)
        if IS_ERR(obj):
            core.dma_buf_put(buf)
            return obj
        release(core, buf, obj)
        return 0

    sweep = fault_sweep(path, name=f"xe import {rel}")
    assert sweep.n_allocs >= 5
    sites = " ".join(r.site for r in sweep.rows)
    assert "xe_bo_alloc" in sites or rel == "7.1"
    if rel == "6.19":
        bad = {r.outcome for r in sweep.bad_rows()}
        assert "leak" in bad or "use-after-free" in bad
    else:
        assert sweep.all_clean, sweep.render()
