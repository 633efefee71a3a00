"""Valid scenarios that once ended in the lab's own model error: each must end in a
kernel verdict (an errno, a crash, a finding of a checker), never a Python exception.

* an importer that detaches while it still holds a mapping: the mapping went with the
  attachment, so nothing unmaps it later (the leak scan reports it);
* an attach racing vfio's close (``release``) under mapping-types-2025-10: the exporter's
  type list is read after cleanup cleared ``priv->vdev``;
* an offer-list importer's unmap racing vfio's revoke: the revoke's move_notify drops
  the mapping while the unmap waits for the reservation lock.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from dmabuf_lab.litmus.explorer import explore
from dmabuf_lab.litmus.runner import run_once
from dmabuf_lab.litmus.scenario import load_scenario_text
from dmabuf_lab.revisions.base import CRASH, MODEL_ERROR

_XE_FROM_VF = """
question = "an xe PF imports what vfio-pci exports from its VF"
source = "test"
topology = "xe-sriov-8vf"
steps = {steps}

[exporter]
driver = "vfio-pci"
device = "0000:03:00.2"
bar = 2
ranges = [[0, 2097152]]

[importer]
driver = "xe"
device = "0000:03:00.0"
dynamic = true
"""


def _load(text: str):
    return load_scenario_text(Path("model-errors.toml"), text, False)


@pytest.mark.parametrize("target", ["mapping-types-2026-02", "mapping-types-2026-02:fixed",
                                    "mapping-types-2026-03", "mapping-types-2026-03:fixed",
                                    "mapping-types-2026-05", "mainline-7.3-rc6"])
@pytest.mark.parametrize("steps,held", [('["attach", "map", "detach"]', 1),
                                        ('["move", "attach", "map", "map", "detach"]', 2)])
def test_detach_with_a_mapping_held_is_a_leak_not_a_model_error(target, steps, held):
    sc = _load(_XE_FROM_VF.format(steps=steps))
    v = run_once(sc.fresh_topology(), sc.exporter, sc.importer, sc.steps, target)
    assert v.outcome not in (MODEL_ERROR, CRASH), v.detail
    # every map succeeded and nothing unmapped: detach finds the mappings still counted
    leaks = [f.message for f in v.findings if f.kind == "leak"]
    assert any(f"dma_buf_detach with {held} mapping(s)" in m for m in leaks), leaks
    # the teardown never goes through the attachment the steps already detached
    assert not [f for f in v.findings if f.kind in ("use-after-free", "warn")]


_ATTACH_VS_RELEASE = """
question = "an RDMA NIC attaches while vfio-pci's device is closed"
source = "test"
topology = "gpu-nic-same-switch"

[exporter]
driver = "vfio-pci"
device = "0000:03:00.0"
bar = 2
ranges = [[0, 2097152]]
dmabuf_move_notify = true

[importer]
driver = "rdma"
device = "0000:04:00.0"
dynamic = true

[threads]
t0 = ["revoke", "attach", "map"]
t1 = ["release"]
"""


@pytest.mark.parametrize("target", ["mapping-types-2025-10", "mapping-types-2026-05"])
def test_attach_after_cleanup_is_enodev_and_the_unlocked_reread_can_oops(target):
    res = explore(_load(_ATTACH_VS_RELEASE), target, bound=200)
    results = {dict(sig[0])["t0"] for sig in res.outcomes}
    # cleanup ran before the attach read the type list: refused like Jason's posted match
    assert "-ENODEV at attach" in results
    # cleanup ran between the test of priv->vdev and the read of ->pdev: the C oopses
    for ex in res.shortest.values():
        if "crash" in ex.properties:
            assert "->pdev" in ex.properties["crash"]


_UNMAP_VS_REVOKE = """
question = "vfio revokes while the importer unmaps and detaches on its own"
source = "test"
topology = "xe-sriov-8vf"

[exporter]
driver = "vfio-pci"
device = "0000:03:00.2"
bar = 2
ranges = [[0, 2097152]]
dmabuf_move_notify = true

[importer]
driver = "xe"
device = "0000:03:00.1"
dynamic = true

[threads]
importer = ["attach", "map", "unmap", "detach"]
vfio = ["revoke"]
"""


def test_offer_list_unmap_racing_revoke_unmaps_once():
    sc = _load(_UNMAP_VS_REVOKE)
    fixed = explore(sc, "offer-list:fixed", bound=200)
    # one map, one unmap (by move_notify or by the importer, never both), one detach
    assert not fixed.failing, dict(fixed.failing)
    # as posted, only the sg_table helper's orig_nents leak is left
    posted = explore(sc, "offer-list", bound=200)
    assert set(posted.failing) <= {"leak"}


_ATTACH_VS_CLOSE_XE = """
question = "the user closes the vfio device while the xe PF attaches and maps"
source = "test"
topology = "xe-sriov-8vf"

[exporter]
driver = "vfio-pci"
device = "0000:03:00.2"
bar = 2
ranges = [[0, 2097152]]
dmabuf_move_notify = true

[importer]
driver = "xe"
device = "0000:03:00.0"
dynamic = true

[threads]
importer = ["attach", "map"]
vfio = ["release"]
"""


def test_rfc_v1_attach_after_cleanup_oopses_on_the_cleared_vdev():
    # RFC v1 patch 4's vfio_pci_match_interconnects() reads priv->vdev->pdev before any test
    res = explore(_load(_ATTACH_VS_CLOSE_XE), "rfc-v1", bound=200)
    assert res.verdict("crash") == "sometimes"
    assert "->pdev in vfio_pci_match_interconnects" in res.shortest["crash"].properties["crash"]


_XE_CLOSE = """
question = "the owner of an xe dma-buf closes it, xe evicts the BO, an importer attaches"
source = "test"
topology = "gpu-nic-same-switch"

[exporter]
driver = "xe"
device = "0000:03:00.0"
size = 4194304
migratable = true
dmabuf_move_notify = true

[importer]
driver = "{importer}"
device = "0000:04:00.0"
dynamic = {dynamic}

[threads]
{threads}
"""


@pytest.mark.parametrize("target", ["mainline-6.19", "rfc-v2:fixed", "mapping-types-2026-02"])
def test_attach_after_the_owner_closed_a_fd_less_buffer_is_ebadf(target):
    sc = _load(_XE_CLOSE.format(importer="legacy", dynamic="false", threads='t0 = ["close", "move", "attach"]'))
    res = explore(sc, target, bound=50)
    assert {dict(sig[0])["t0"] for sig in res.outcomes} == {"-EBADF at attach"}
    assert not res.failing, dict(res.failing)


def test_xe_move_after_close_still_notifies_an_importer_holding_the_buffer():
    sc = _load(_XE_CLOSE.format(importer="rdma", dynamic="true",
                                threads='nic = ["attach", "map"]\nowner = ["close", "move"]'))
    res = explore(sc, "mainline-6.19", bound=200)
    assert not res.failing, dict(res.failing)
    ends = {(tuple(sorted(dict(sig[0]).items())), dict(sig[2])["importer-mapped"]) for sig in res.outcomes}
    both_ok = (("nic", "ok"), ("owner", "ok"))
    # the importer's own reference keeps the buffer, and the BO, alive after close: a move
    # after the map still reaches its move_notify, which drops the mapping
    assert (both_ok, False) in ends and (both_ok, True) in ends
    # a close before the attach leaves no fd to look up
    assert any(dict(sig[0])["nic"] == "-EBADF at attach" for sig in res.outcomes)
