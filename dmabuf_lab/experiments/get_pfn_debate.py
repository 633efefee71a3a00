"""The get_pfn debate (get-pfn, the get_pfn RFC thread (2025-01-07/08)) as frames: who maps, and what can work at all.

Every importer of the lab meets every kind of buffer under the three
variants of the get-pfn revision that correspond to the positions in the
thread: the RFC as posted, Christian König's *exporter maps* and Jason
Gunthorpe's *importer maps*.  The runs go through the litmus runner, so
each cell is a real attach -> map -> unmap -> detach of the drivers written
for that variant, checked by the kernel-runtime model.

:func:`philosophy_grid` is the heat map's data; :func:`rule_vs_drivers`
sets the revision's own one-line rule (``get_pfn.philosophy_works``) beside
what the drivers did; :func:`get_pfn_calls` counts the per-page calls an
importer makes to learn a buffer's layout.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Iterable, Optional

import polars as pl

from dmabuf_lab.addr import PAGE_SHIFT
from dmabuf_lab.revisions import get_revision
from dmabuf_lab.revisions import get_pfn as gp
from dmabuf_lab.revisions.base import CANNOT_EXPRESS, MAPPING_KINDS, ExporterSpec, ImporterSpec

MiB = 1 << 20

#: Variant -> the position it stands for (the revision's own modes, plus the RFC as posted).
POSITIONS = {
    "posted": "RFC as posted",
    gp.EXPORTER_MAPS: "exporter maps (Christian)",
    gp.IMPORTER_MAPS: "importer maps (Jason)",
}


@dataclass(frozen=True)
class BufferKind:
    """One kind of memory behind a dma-buf: the driver exporting it and its options.

    ``memory`` is the key of :data:`get_pfn.MEMORY_KINDS` the kind falls under.
    """

    name: str
    driver: str
    memory: str
    options: tuple = ()
    device: Optional[str] = None
    bar: Optional[int] = None

    def spec(self, size: int) -> ExporterSpec:
        return ExporterSpec(self.driver, self.device, self.bar, ((0, size),), dict(self.options))


#: The buffers of the debate, on the ``gpu-nic-same-switch`` preset (GPU 03:00.0, NIC 04:00.0).
#: vfio needs CONFIG_DMABUF_MOVE_NOTIFY for the RFC's get_pfn to answer at all (see the revision).
BUFFER_KINDS = (
    BufferKind("system RAM", "system", "system"),
    BufferKind("MMIO BAR", "vfio-pci", "mmio-bar", (("dmabuf_move_notify", True),), "0000:03:00.0", 2),
    BufferKind("VRAM, CPU-visible", "xe", "vram-visible", (("cpu_visible", True),), "0000:03:00.0"),
    BufferKind("VRAM, CPU-invisible", "xe", "vram-invisible", (("cpu_visible", False),), "0000:03:00.0"),
    BufferKind("device-private", "xe", "vram-invisible",
               (("cpu_visible", False), ("migratable", False)), "0000:03:00.0"),
)

#: Importer label -> its spec on the same preset.  ``xe`` is the GPU importing for itself.
IMPORTERS = {
    "iommufd": ImporterSpec("iommufd"),
    "kvm": ImporterSpec("kvm"),
    "rdma": ImporterSpec("rdma", "0000:04:00.0"),
    "xe": ImporterSpec("xe", "0000:03:00.0"),
    "legacy": ImporterSpec("legacy", "0000:04:00.0"),
}

TOPOLOGY = "gpu-nic-same-switch"
STEPS = ("attach", "map", "unmap", "detach")


def verdict_class(outcome: str) -> str:
    """``works`` for a mapping kind, ``cannot express`` for that verdict, else ``fails``."""
    if outcome in MAPPING_KINDS:
        return "works"
    if outcome == CANNOT_EXPRESS:
        return "cannot express"
    return "fails"


def positions() -> dict:
    """Variant -> label for every variant the revision declares (the fixes included)."""
    rev = get_revision("get-pfn")
    out = {}
    for v in rev.variants:
        out[v] = POSITIONS.get(v, f"RFC, {v}")
    return out


def philosophy_grid(size: int = 4 * MiB, variants: Optional[Iterable[str]] = None,
                    topology: str = TOPOLOGY) -> pl.DataFrame:
    """One row per (variant, buffer kind, importer): the verdict of a full import.

    ``variants`` defaults to every variant of the get-pfn revision.
    Columns: variant, position, buffer, memory, importer, outcome, class
    (works / fails / cannot express), step, findings, detail.
    """
    from dmabuf_lab.hw import load_topology
    from dmabuf_lab.litmus.runner import run_once

    labels = positions()
    rows = []
    for v in (list(variants) if variants is not None else list(labels)):
        for buf in BUFFER_KINDS:
            for imp, spec in IMPORTERS.items():
                res = run_once(load_topology(topology), buf.spec(size), spec, STEPS, f"get-pfn:{v}")
                rows.append({"variant": v, "position": labels.get(v, v), "buffer": buf.name,
                             "memory": buf.memory, "importer": imp, "outcome": res.outcome,
                             "class": verdict_class(res.outcome), "step": res.step or "",
                             "findings": ",".join(res.finding_kinds), "detail": res.detail})
    return pl.DataFrame(rows)


def rule_vs_drivers(grid: pl.DataFrame) -> pl.DataFrame:
    """The revision's rule (``philosophy_works``) beside the drivers' verdicts.

    Only the two philosophies and the importers the rule covers.  ``agree``
    is False where the drivers found something the one-line rule does not
    say (e.g. memory that may not migrate).
    """
    rows = []
    for r in grid.iter_rows(named=True):
        if r["variant"] not in (gp.EXPORTER_MAPS, gp.IMPORTER_MAPS) or r["importer"] not in gp.IMPORTER_NEEDS:
            continue
        rule = gp.philosophy_works(r["variant"], r["memory"], r["importer"])
        works = r["class"] == "works"
        rows.append({"position": r["position"], "buffer": r["buffer"], "importer": r["importer"],
                     "rule_says": "works" if rule else "no", "drivers": r["outcome"], "agree": rule == works})
    return pl.DataFrame(rows)


@contextlib.contextmanager
def _count_get_pfn():
    """Count dma_buf_get_pfn_unlocked() calls made by walk_pfns() inside the block."""
    calls = [0]
    real = gp.dma_buf_get_pfn_unlocked

    def counting(attach, pgoff):
        calls[0] += 1
        return real(attach, pgoff)

    gp.dma_buf_get_pfn_unlocked = counting
    try:
        yield calls
    finally:
        gp.dma_buf_get_pfn_unlocked = real


#: (exporter buffer kind, importer) pairs whose page walk is measured, under importer-maps.
WALK_CASES = (
    ("MMIO BAR", "kvm"),
    ("VRAM, CPU-visible", "kvm"),
    ("system RAM", "kvm"),
    ("system RAM", "rdma"),
)


def get_pfn_calls(sizes_mib: Iterable[int], cases=WALK_CASES, topology: str = TOPOLOGY) -> pl.DataFrame:
    """get_pfn calls needed to import a buffer of each size, under importer-maps.

    The API answers one page (and the largest order mapped there) per call,
    so an importer walks the buffer page by page; one that must size its
    table first (RDMA) walks it twice.  ``pages`` is the buffer size in 4 KiB
    pages; an sg_table importer would make one ``map_dma_buf`` call instead.
    """
    from dmabuf_lab.hw import load_topology
    from dmabuf_lab.litmus.runner import run_once

    kinds = {b.name: b for b in BUFFER_KINDS}
    rows = []
    for mib in sizes_mib:
        size = int(mib) * MiB
        for buf_name, imp in cases:
            with _count_get_pfn() as calls:
                res = run_once(load_topology(topology), kinds[buf_name].spec(size), IMPORTERS[imp],
                               ("attach", "map"), f"get-pfn:{gp.IMPORTER_MAPS}")
            rows.append({"case": f"{imp} <- {buf_name}", "importer": imp, "buffer": buf_name,
                         "size_mib": int(mib), "pages": size >> PAGE_SHIFT, "get_pfn_calls": calls[0],
                         "outcome": res.outcome})
    return pl.DataFrame(rows)
