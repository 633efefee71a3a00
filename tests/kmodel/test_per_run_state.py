"""State kept for one modelled run dies with the run.

The race explorer and the fault sweep make hundreds of thousands of runs
in one process; a table keyed by the run whose values point back at it
(a claimed window's owner, an fd's file, a queued work item) would keep
every one of them alive.
"""
from __future__ import annotations

import gc
import weakref
from pathlib import Path

from dmabuf_lab.core import file as filemod
from dmabuf_lab.core import workqueue
from dmabuf_lab.kmodel import Kernel
from dmabuf_lab.kmodel.resource import iomem_of, request_mem_region

LITMUS = Path(__file__).resolve().parents[2] / "litmus"


class _Owner:
    """Something that, like a PCI device's BAR, ends up pointing back at the run."""

    def __init__(self, kernel):
        self.kernel = kernel


def test_a_run_with_state_that_points_back_at_it_is_freed():
    k = Kernel(name="per-run")
    with k:
        owner = _Owner(k)
        assert request_mem_region(0x1000, 0x1000, "bar", owner) is not None
        filemod.set_rlimit_nofile(64)
        workqueue.queue_work(lambda: owner, "holds the owner")
        with filemod.syscall():
            pass
        assert iomem_of(k).busy and iomem_of(k).busy[0].owner is owner
    ref = weakref.ref(k)
    del k, owner
    gc.collect()
    assert ref() is None, "a modelled run was kept alive by state kept for it"


def test_state_is_per_run():
    with Kernel(name="a") as a:
        request_mem_region(0x1000, 0x1000, "bar")
    with Kernel(name="b") as b:
        assert iomem_of(b).busy == []
    assert len(iomem_of(a).busy) == 1


def test_many_explored_runs_leave_no_run_behind():
    from dmabuf_lab.litmus.explorer import explore
    from dmabuf_lab.litmus.scenario import load_scenario

    sc = load_scenario(LITMUS / "race-vfio-revoke-vs-attach.toml")
    target = sorted(sc.races)[0]
    explore(sc, target, seconds=None)
    gc.collect()
    before = sum(type(o) is Kernel for o in gc.get_objects())
    res = explore(sc, target, seconds=None)
    gc.collect()
    after = sum(type(o) is Kernel for o in gc.get_objects())
    assert res.executions > 1
    assert after <= before, f"{after - before} modelled runs outlived an exploration of {res.executions}"
