"""The negotiation matrix: what every revision does for every driver pair.

:func:`negotiation_matrix` runs attach -> map -> unmap -> detach for every
(exporter, importer) pair each revision can express (see
``dmabuf_lab.drivers.registry``) on each topology, and returns one row per
run as a Polars frame, for the notebooks to plot.  Each run is an
independent task, so the matrix spreads over local processes or a Dask
cluster and is cached like the fault sweep.
"""
from __future__ import annotations

from concurrent.futures import Executor
from typing import Callable, Iterable, Optional

import polars as pl

from dmabuf_lab.drivers.registry import DRIVERS, pairs
from dmabuf_lab.revisions import available_revisions
from dmabuf_lab.revisions.base import DEFAULT_STEPS, ExporterSpec, ImporterSpec

#: The columns of the frame, in order.
COLUMNS = ("revision", "exporter", "importer", "topology", "outcome", "findings",
           "exporter_device", "importer_device", "step", "detail", "config")
#: Their types: ``findings`` is the list of distinct finding kinds; ``config`` lists, for
#: each Kconfig option whose flip changes the verdict, ``OPTION=y: <verdict>``; the rest text.
SCHEMA = {c: pl.List(pl.Utf8) if c in ("findings", "config") else pl.Utf8 for c in COLUMNS}

DEFAULT_TOPOLOGIES = ("xe-sriov-8vf", "gpu-nic-same-switch", "gpu-nic-split-root", "vfio-passthrough")
SZ_2M = 2 << 20


def _endpoints(topo) -> list:
    return [d for d in topo.devices.values() if not getattr(d, "is_bridge", False)]


def _is_nic(dev) -> bool:
    return (int(getattr(dev, "class_code", 0)) >> 16) == 0x02


def _has_vram(dev) -> bool:
    return getattr(dev, "vram", None) is not None


def default_exporter(topo, driver: str) -> Optional[ExporterSpec]:
    """A representative export for ``driver`` on ``topo`` (None if it has no candidate)."""
    devs = _endpoints(topo)
    if driver == "vfio-pci":
        vfs = [d for d in devs if d.is_virtfn and 2 in d.bars]
        cands = vfs or [d for d in devs if d.bars and not _is_nic(d)] or [d for d in devs if d.bars]
        if not cands:
            return None
        dev = cands[0]
        bar = 2 if 2 in dev.bars else min(dev.bars)
        size = min(SZ_2M, int(dev.bars[bar].size))
        return ExporterSpec("vfio-pci", dev.bdf, bar, ((0, size),))
    if driver in ("xe", "peer-gpu"):
        gpus = [d for d in devs if _has_vram(d) and not d.is_virtfn]
        if not gpus:
            return None
        return ExporterSpec(driver, gpus[0].bdf, None, ((0, SZ_2M),))
    if driver == "system":
        return ExporterSpec("system", None, None, ((0, SZ_2M),))
    return None


def default_importer(topo, driver: str, exp: ExporterSpec) -> Optional[ImporterSpec]:
    """A representative importer for ``driver`` facing ``exp`` on ``topo``."""
    devs = _endpoints(topo)
    dynamic = DRIVERS[driver].dynamic
    exp_dev = topo.devices.get(exp.device) if exp.device else None
    if driver == "xe":
        if exp_dev is not None and exp_dev.is_virtfn and exp_dev.physfn is not None:
            return ImporterSpec("xe", exp_dev.physfn.bdf, dynamic)
        gpus = [d for d in devs if _has_vram(d) and not d.is_virtfn]
        return ImporterSpec("xe", gpus[0].bdf, dynamic) if gpus else None
    if driver == "peer-gpu":
        gpus = [d for d in devs if _has_vram(d) and not d.is_virtfn and d is not exp_dev]
        return ImporterSpec("peer-gpu", gpus[0].bdf, dynamic) if gpus else None
    if driver in ("iommufd", "kvm"):
        return ImporterSpec(driver, None, dynamic)
    # legacy, rdma: a DMA-capable device other than the exporter; a NIC when there is one
    others = [d for d in devs if d is not exp_dev and not d.is_virtfn]
    nics = [d for d in others if _is_nic(d)]
    pick = (nics or others or devs)
    return ImporterSpec(driver, pick[0].bdf, dynamic) if pick else None


def negotiation_matrix(topologies: Iterable[str] = DEFAULT_TOPOLOGIES,
                       revisions: Optional[Iterable[str]] = None,
                       steps: Iterable[str] = DEFAULT_STEPS, *, executor: Optional[Executor] = None,
                       scheduler: Optional[str] = None, workers: Optional[int] = None, cache=True,
                       progress: Optional[Callable[[int, int], None]] = None,
                       vary_config: bool = True) -> pl.DataFrame:
    """One row per (revision, exporter, importer, topology) the drivers allow.

    ``outcome`` is the mapping kind or errno (or crash / cannot-express);
    ``findings`` the list of distinct finding kinds of that run; ``config``
    the Kconfig options that change it (each cell is run again with every
    option of :data:`~dmabuf_lab.revisions.kconfig.KCONFIG_DEFAULTS`
    flipped, unless ``vary_config`` is false).

    Each (revision, driver pair, topology) is one task (:func:`matrix_cell`)
    over whatever revisions and driver pairs the registries hold; the tasks
    run on ``executor``, else where
    :func:`~dmabuf_lab.tasks.executors.lab_executor` says
    (``scheduler`` / ``$DMABUF_LAB_SCHEDULER`` / ``workers``), are cached
    under ``build/cache/tasks/negotiation-matrix`` (``cache=False`` to
    recompute) and come back in topology, revision, pair order.
    """
    from dmabuf_lab.litmus.task_inputs import topology_ref
    from dmabuf_lab.tasks.engine import Task, run_tasks
    from dmabuf_lab.revisions import split_target

    revs = list(revisions) if revisions is not None else available_revisions()
    steps = list(steps)
    tasks = []
    for t, tname in enumerate(topologies):
        ref = topology_ref(tname)
        for r, rev in enumerate(revs):
            for p, (e, i) in enumerate(pairs(split_target(rev)[0])):
                tasks.append(Task((t, r, p), matrix_cell, {"target": rev, "exporter": e, "importer": i,
                                                           "topology": ref, "label": str(tname),
                                                           "steps": steps, "vary_config": vary_config}))
    cells = run_tasks(tasks, name=MATRIX_CACHE, executor=executor, scheduler=scheduler, workers=workers,
                      cache=cache, progress=progress)
    return pl.DataFrame([row for row in cells.values() if row is not None], schema=SCHEMA)


#: Cache folder (under build/cache/tasks/) of the matrix's cells.
MATRIX_CACHE = "negotiation-matrix"


def matrix_cell(target: str, exporter: str, importer: str, topology: dict, label: str,
                steps: list, vary_config: bool = False) -> Optional[dict]:
    """The matrix row of one (revision, driver pair, topology), or None when the topology
    offers no device for one side.  ``topology`` is a
    :func:`~dmabuf_lab.litmus.task_inputs.topology_ref` dict."""
    from dmabuf_lab.litmus.task_inputs import load_topology_ref

    return pair_row(target, exporter, importer, load_topology_ref(topology), label,
                    default_exporter, default_importer, steps,
                    reload=(lambda: load_topology_ref(topology)) if vary_config else None)


def pair_rows(target: str, load: Callable, label: str, exporter_for: Callable, importer_for: Callable,
              steps: Iterable[str] = DEFAULT_STEPS, vary_config: bool = False) -> list[dict]:
    """One matrix row per (exporter, importer) driver pair that ``target`` can express.

    Each run gets a fresh topology from ``load()`` (runs leave state on
    devices); ``exporter_for(topo, driver)`` and ``importer_for(topo, driver,
    exp)`` pick the specs; a pair for which either returns None is skipped.  A
    ``revision:variant`` target runs that variant; ``topology`` holds ``label``.
    ``vary_config`` fills ``config`` (see :func:`pair_row`).
    """
    from dmabuf_lab.revisions import split_target

    rows = []
    for e, i in pairs(split_target(target)[0]):
        row = pair_row(target, e, i, load(), label, exporter_for, importer_for, steps,
                       reload=load if vary_config else None)
        if row is not None:
            rows.append(row)
    return rows


def pair_row(target: str, exporter: str, importer: str, topo, label: str, exporter_for: Callable,
             importer_for: Callable, steps: Iterable[str] = DEFAULT_STEPS,
             reload: Optional[Callable] = None) -> Optional[dict]:
    """The row of one driver pair on a freshly loaded ``topo`` (see :func:`pair_rows`), or None.

    With ``reload`` (a function giving a fresh copy of the topology) the pair is run again
    with each Kconfig option the model reads flipped, and ``config`` names those that
    change the verdict."""
    from dmabuf_lab.litmus.kconfig_flip import config_notes
    from dmabuf_lab.litmus.runner import run_once

    exp = exporter_for(topo, exporter)
    if exp is None:
        return None
    imp = importer_for(topo, importer, exp)
    if imp is None:
        return None
    v = run_once(topo, exp, imp, tuple(steps), target)
    return {"revision": target, "exporter": exporter, "importer": importer, "topology": label,
            "outcome": v.outcome, "findings": v.finding_kinds,
            "exporter_device": exp.device or "", "importer_device": imp.device or "",
            "step": v.step or "", "detail": v.detail,
            "config": config_notes(reload, exp, imp, steps, target, v) if reload is not None else []}
