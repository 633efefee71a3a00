"""The rdma importer's attach choices (``invalidate_callback``, ``pin_after_attach``) and xe's
``dummy_obj_oom``, release by release.

Every expected errno below is read off the C, not off a run:

* 6.19 ``dma_buf_dynamic_attach()`` (gregkh/linux 73e7709d9919): ``WARN_ON(importer_ops &&
  !importer_ops->move_notify)`` -> ``ERR_PTR(-EINVAL)``, before the attachment is allocated;
* 7.1 (intel-lab-lkp/linux 02f9ac5589e4): no such test; ``dma_buf_attach_revocable()`` is
  ``importer_ops && importer_ops->invalidate_mappings``; ``dma_buf_invalidate_mappings()``
  calls only the attachments that have the callback; ``dma_buf_pin()`` returns 0 when the
  exporter has no pin op;
* vfio 6.19 (torvalds/linux 1f97d9dcf536): ``vfio_pci_dma_buf_pin()`` returns -EOPNOTSUPP;
  vfio 7.1 (gregkh/linux 2519003dd5fb): no pin op, and ``vfio_pci_dma_buf_attach()`` returns
  -EOPNOTSUPP when ``dma_buf_attach_revocable()`` is false;
* xe ``xe_dma_buf_pin()``: ``xe_bo_migrate(bo, XE_PL_TT)``, -EINVAL when TT is not among the
  BO's placements;
* xe 6.19 ``xe_dma_buf_init_obj()``: -ENOMEM when ``drm_gpuvm_resv_object_alloc()`` fails,
  the storage kept (93a528f67ce5 frees it) and the attachment left attached (111ab678471b
  detaches); 7.1 ``xe_dma_buf_create_obj()`` allocates the dummy object before anything else.
"""
from __future__ import annotations

import textwrap

import pytest

from dmabuf_lab.core.ops import dma_buf_attach_ops, dma_buf_ops
from dmabuf_lab.addr import sg_table_free, sg_table_from_ranges
from dmabuf_lab.kmodel import IS_ERR, PTR_ERR, Kernel, dma_resv_lock, dma_resv_unlock
from dmabuf_lab.litmus.runner import run_once
from dmabuf_lab.litmus.scenario import ScenarioError, load_scenario
from dmabuf_lab.linux.drivers.dma_buf.dma_buf import mainline_6_19 as core_619
from dmabuf_lab.linux.drivers.dma_buf.dma_buf import mainline_7_1 as core_71

EINVAL, ENOMEM, EOPNOTSUPP = "-EINVAL", "-ENOMEM", "-EOPNOTSUPP"
MAINLINES = ("mainline-6.19", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6")

VFIO = '''driver = "vfio-pci"
device = "0000:03:00.0"
bar = 2
ranges = [[0x0, 0x200000]]'''
SYSTEM = '''driver = "system"
ranges = [[0x0, 0x200000]]'''
XE = '''driver = "xe"
device = "0000:03:00.0"
size = 0x200000'''


def scenario(tmp_path, exporter: str, options: str, importer: str = "rdma", device="0000:04:00.0",
             topology="gpu-nic-same-switch", steps='["attach", "map", "unmap", "detach"]'):
    text = (f'question = "q"\ntopology = "{topology}"\nsteps = {steps}\n\n[exporter]\n{exporter}\n\n'
            f'[importer]\ndriver = "{importer}"\ndevice = "{device}"\ndynamic = true\n{options}\n')
    p = tmp_path / "s.toml"
    p.write_text(text)
    return load_scenario(p, require_expect=False)


def run(sc, target):
    return run_once(sc.fresh_topology(), sc.exporter, sc.importer, sc.steps, target)


# --- the core twins, directly -------------------------------------------------------------------

class Dev:
    name = "importer"


def _export(core, calls):
    """A minimal exporter (no attach op, no pin) and its buffer."""
    from dmabuf_lab.core.ops import dma_buf_export_info

    ops = dma_buf_ops(map_dma_buf=lambda a, d: sg_table_from_ranges([(0x1000_0000, 0x1000)]),
                      unmap_dma_buf=lambda a, sgt, d: sg_table_free(sgt),
                      release=lambda b: calls.append("release"))
    return core.dma_buf_export(dma_buf_export_info(ops=ops, priv=object(), size=0x1000))


def test_619_core_refuses_ops_without_move_notify_with_a_warn_and_allocates_nothing():
    with Kernel() as k:
        buf = _export(core_619, [])
        before = k.nr_allocs
        att = core_619.dma_buf_dynamic_attach(buf, Dev(), dma_buf_attach_ops(allow_peer2peer=True), None)
        assert IS_ERR(att) and PTR_ERR(att) == -22
        assert k.nr_allocs == before and buf.attachments == []
        assert [f.kind for f in k.findings] == ["warn"]
        core_619.dma_buf_put(buf)


def test_71_core_attaches_it_calls_it_never_and_calls_it_not_revocable():
    seen = []
    with Kernel() as k:
        buf = _export(core_71, [])
        quiet = core_71.dma_buf_dynamic_attach(buf, Dev(), dma_buf_attach_ops(allow_peer2peer=True), None)
        told = core_71.dma_buf_dynamic_attach(
            buf, Dev(), dma_buf_attach_ops(allow_peer2peer=True, invalidate_mappings=seen.append), None)
        assert not IS_ERR(quiet) and quiet.peer2peer and quiet in buf.attachments
        assert core_71.dma_buf_attach_revocable(quiet) is False
        assert core_71.dma_buf_attach_revocable(told) is True
        dma_resv_lock(buf.resv)
        core_71.dma_buf_invalidate_mappings(buf)       # the one without a callback is skipped
        assert core_71.dma_buf_pin(quiet) == 0          # no pin op: 0
        dma_resv_unlock(buf.resv)
        assert seen == [told]
        core_71.dma_buf_detach(buf, quiet)
        core_71.dma_buf_detach(buf, told)
        core_71.dma_buf_put(buf)
    assert k.findings == []


# --- the option through the rdma adapter, per release --------------------------------------------

@pytest.mark.parametrize("target,outcome,kinds", [
    ("mainline-6.19", EINVAL, ["warn"]),
    ("mainline-7.1", "sgt", []), ("mainline-7.2", "sgt", []), ("mainline-7.3-rc6", "sgt", []),
])
def test_no_callback_on_a_system_heap_buffer(tmp_path, target, outcome, kinds):
    v = run(scenario(tmp_path, SYSTEM, "invalidate_callback = false"), target)
    assert (v.outcome, v.finding_kinds) == (outcome, kinds)


@pytest.mark.parametrize("target,outcome", [
    ("mainline-6.19", EINVAL), ("mainline-7.1", EOPNOTSUPP), ("mainline-7.2", EOPNOTSUPP),
    ("mainline-7.3-rc6", EOPNOTSUPP), ("mainline-7.1:fixed", EOPNOTSUPP),
])
def test_no_callback_on_a_vfio_buffer(tmp_path, target, outcome):
    v = run(scenario(tmp_path, VFIO, "invalidate_callback = false"), target)
    assert v.outcome == outcome and v.step == "attach"


def test_with_the_callback_the_same_importer_is_let_in_everywhere(tmp_path):
    # the control: the option is what changes the verdict, not the setup
    # (6.19's default CONFIG_DMABUF_MOVE_NOTIFY=n pins at map, and vfio's pin refuses: -EOPNOTSUPP)
    sc = scenario(tmp_path, VFIO, "invalidate_callback = true")
    assert run(sc, "mainline-6.19").outcome == EOPNOTSUPP and run(sc, "mainline-6.19").step == "map"
    for target in MAINLINES[1:]:
        assert run(sc, target).outcome == "sgt-p2p"


@pytest.mark.parametrize("target,outcome", [
    ("mainline-6.19", EOPNOTSUPP), ("mainline-6.19:fixed", EOPNOTSUPP),
    ("mainline-7.1", "sgt-p2p"), ("mainline-7.2", "sgt-p2p"), ("mainline-7.3-rc6", "sgt-p2p"),
])
def test_pin_after_attach_on_a_vfio_buffer(tmp_path, target, outcome):
    v = run(scenario(tmp_path, VFIO, "pin_after_attach = true"), target)
    assert v.outcome == outcome
    if outcome == EOPNOTSUPP:
        # refused at the pin, inside the attach step; the attachment was taken back
        assert v.step == "attach" and "leak" not in v.finding_kinds


@pytest.mark.parametrize("target", MAINLINES)
def test_pin_after_attach_on_an_xe_bo_that_may_not_leave_vram(tmp_path, target):
    # xe_dma_buf_pin() migrates to TT first: -EINVAL when TT is not an allowed placement
    v = run(scenario(tmp_path, XE + "\nmigratable = false", "pin_after_attach = true"), target)
    assert (v.outcome, v.step) == (EINVAL, "attach")


@pytest.mark.parametrize("target", MAINLINES)
def test_pin_after_attach_unpins_before_the_detach(tmp_path, target, monkeypatch):
    from dmabuf_lab.drivers import sgt_importer

    calls = []
    orig_pin, orig_unpin = sgt_importer.SgtImporter._pin, sgt_importer.SgtImporter._unpin
    monkeypatch.setattr(sgt_importer.SgtImporter, "_pin", lambda self: (calls.append("pin"), orig_pin(self)))
    monkeypatch.setattr(sgt_importer.SgtImporter, "_unpin",
                        lambda self: (calls.append("unpin"), orig_unpin(self)))
    v = run(scenario(tmp_path, SYSTEM, "pin_after_attach = true"), target)
    assert v.outcome == "sgt" and v.findings == [] and calls == ["pin", "unpin"]


def test_the_options_are_booleans(tmp_path):
    for opt in ("invalidate_callback = 0", 'pin_after_attach = "yes"'):
        with pytest.raises(ScenarioError, match="true or false"):
            scenario(tmp_path, SYSTEM, opt)


# --- xe: the dummy GEM object of the import cannot be allocated ----------------------------------

XE_IMPORT = dict(topology="xe-sriov-8vf", importer="xe", device="0000:03:00.0", steps='["attach"]')
VF_BAR = '''driver = "vfio-pci"
device = "0000:03:00.2"
bar = 2
ranges = [[0x0, 0x200000]]
dmabuf_move_notify = true'''


def test_619_dummy_object_failure_leaks_the_storage_and_the_attachment(tmp_path):
    v = run(scenario(tmp_path, VF_BAR, "dummy_obj_oom = true", **XE_IMPORT), "mainline-6.19")
    assert v.outcome == ENOMEM
    leaks = sorted(f.site.rsplit(" ", 1)[-1] for f in v.findings if f.kind == "leak")
    assert leaks == ["dma_buf_dynamic_attach", "xe_bo_alloc"]
    [warn] = [f for f in v.findings if f.kind == "warn"]
    assert "still on the list" in warn.message


@pytest.mark.parametrize("target", MAINLINES[1:])
def test_71_dummy_object_failure_leaves_nothing(tmp_path, target):
    v = run(scenario(tmp_path, VF_BAR, "dummy_obj_oom = true", **XE_IMPORT), target)
    assert (v.outcome, v.findings) == (ENOMEM, [])


def test_without_the_fault_the_xe_import_succeeds(tmp_path):
    for target in MAINLINES:
        v = run(scenario(tmp_path, VF_BAR, "dummy_obj_oom = false", **XE_IMPORT), target)
        assert v.outcome != ENOMEM and v.findings == [], (target, v.outcome, v.findings)
