"""The negotiation matrix: what every revision does for every driver pair.

:func:`negotiation_matrix` runs attach -> map -> unmap -> detach for every
(exporter, importer) pair each revision can express (see
``dmabuf_lab.drivers.registry``) on each topology, and returns one row per
run as a Polars frame, for the notebooks to plot.
"""
from __future__ import annotations

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
                       steps: Iterable[str] = DEFAULT_STEPS, vary_config: bool = True) -> pl.DataFrame:
    """One row per (revision, exporter, importer, topology) the drivers allow.

    ``outcome`` is the mapping kind or errno (or crash / cannot-express);
    ``findings`` the list of distinct finding kinds of that run; ``config``
    the Kconfig options that change it (each cell is run again with every
    option of :data:`~dmabuf_lab.experiments.assumptions.KCONFIG_DEFAULTS`
    flipped, unless ``vary_config`` is false).
    """
    from dmabuf_lab.hw import load_topology

    revs = list(revisions) if revisions is not None else available_revisions()
    rows = []
    for tname in topologies:
        for rev in revs:
            rows += pair_rows(rev, lambda: load_topology(tname), tname, default_exporter, default_importer, steps,
                              vary_config=vary_config)
    return pl.DataFrame(rows, schema=SCHEMA)


def pair_rows(target: str, load: Callable, label: str, exporter_for: Callable, importer_for: Callable,
              steps: Iterable[str] = DEFAULT_STEPS, vary_config: bool = False) -> list[dict]:
    """One matrix row per (exporter, importer) driver pair that ``target`` can express.

    Each run gets a fresh topology from ``load()`` (runs leave state on
    devices); ``exporter_for(topo, driver)`` and ``importer_for(topo, driver,
    exp)`` pick the specs; a pair for which either returns None is skipped.  A
    ``revision:variant`` target runs that variant; ``topology`` holds ``label``.
    """
    from dmabuf_lab.experiments.assumptions import config_notes
    from dmabuf_lab.litmus.runner import run_once
    from dmabuf_lab.revisions import split_target

    rows = []
    for e, i in pairs(split_target(target)[0]):
        topo = load()
        exp = exporter_for(topo, e)
        if exp is None:
            continue
        imp = importer_for(topo, i, exp)
        if imp is None:
            continue
        v = run_once(topo, exp, imp, tuple(steps), target)
        config = config_notes(load, exp, imp, steps, target, v) if vary_config else []
        rows.append({"revision": target, "exporter": e, "importer": i, "topology": label,
                     "outcome": v.outcome, "findings": v.finding_kinds,
                     "exporter_device": exp.device or "", "importer_device": imp.device or "",
                     "step": v.step or "", "detail": v.detail, "config": config})
    return rows
