"""Thomas Hellström's offer list (offer-list) against the mapping-type matchers (mapping-types-2025-10, mapping-types-2026-02), as frames.

Two questions:

* *Whose order wins?*  :func:`who_wins` runs the three matchers of the lab
  on abstract types ``A``, ``B``, ``C`` (offer-list's ``dma_buf_negotiate()``, mapping-types-2025-10's
  and mapping-types-2026-02's ``dma_buf_match_mapping()``) for one exporter list and one
  importer list; :func:`order_matrix` does it for every pair of ordered
  lists.
* *What do the drivers get?*  :func:`offer_runs` imports real buffers
  through the drivers written for the offer list and for the 2026-02 RFC
  and reports which offer entry was chosen.
"""
from __future__ import annotations

import itertools
import re
from typing import Iterable, Optional, Sequence

import polars as pl

from dmabuf_lab.kmodel import Kernel, errname
from dmabuf_lab.revisions import mapping_types_2025_10 as mt5
from dmabuf_lab.revisions import mapping_types_2026_02 as mt6
from dmabuf_lab.revisions import offer_list as ol
from dmabuf_lab.revisions.base import ExporterSpec, ImporterSpec

MiB = 1 << 20
STEPS = ("attach", "map", "unmap", "detach")

#: matcher label -> revision it belongs to
MATCHERS = {"offer-list dma_buf_negotiate": "offer-list",
            "mapping-types-2025-10 dma_buf_match_mapping": "mapping-types-2025-10",
            "mapping-types-2026-02 dma_buf_match_mapping": "mapping-types-2026-02"}


def _r2(exporter: Sequence[str], importer: Sequence[str]) -> tuple:
    """offer-list: the exporter runs down the importer's offer and takes the first entry it supports."""
    ics = {name: ol.dma_buf_interconnect(name, "private") for name in set(exporter) | set(importer)}
    supported = tuple(ics[n] for n in exporter)

    class buf:
        ops = ol.dma_buf_ops_ic(negotiate=lambda d, offer, n: ol.dma_buf_negotiate_first(
            offer, n, lambda item: item.interconnect in supported))

    offer = [ol.dma_buf_interconnect_negotiation(ics[n]) for n in importer]
    idx = ol.dma_buf_negotiate(buf, offer, len(offer)) if offer else ol.dma_buf_negotiate(buf, offer, 0)
    if idx < 0:
        return errname(idx), None, None
    name = importer[idx]
    return name, exporter.index(name), idx


def _r6(exporter: Sequence[str], importer: Sequence[str]) -> tuple:
    """mapping-types-2026-02: exporter list outside, importer list inside; finish_match records the pair."""
    seen = []
    types = {n: mt6.dma_buf_mapping_type(name=n, finish_match=lambda args, e, i: seen.append((e, i)))
             for n in set(exporter) | set(importer)}
    exp = [mt6.dma_buf_mapping_match(type=types[n]) for n in exporter]
    imp = [mt6.dma_buf_mapping_match(type=types[n]) for n in importer]
    args = mt6.dma_buf_match_args(dmabuf=None, attach=mt6.dma_buf_attachment_mt(), imp_matches=imp,
                                  imp_len=len(imp))
    ret = mt6.dma_buf_match_mapping(args, exp, len(exp))
    if ret:
        return errname(ret), None, None
    e, i = seen[0]
    return e.type.name, exp.index(e), imp.index(i)


def _r5(exporter: Sequence[str], importer: Sequence[str]) -> tuple:
    """mapping-types-2025-10: the design's matcher; the type's ``match`` callback records which pair it saw."""
    seen = []

    def record(dmabuf, e, i):
        seen.append((e, i))
        return 0

    types = {n: mt5.dma_buf_mapping_type(n, match=record) for n in set(exporter) | set(importer)}
    exp = [mt5.dma_buf_mapping_match(type=types[n]) for n in exporter]
    imp = [mt5.dma_buf_mapping_match(type=types[n]) for n in importer]
    attach = mt5.dma_buf_attachment_mt()
    ret = mt5.dma_buf_match_mapping(attach, exp, len(exp), imp, len(imp))
    if ret:
        return errname(ret), None, None
    e, i = seen[-1]
    return e.type.name, exp.index(e), imp.index(i)


_RUN = {"offer-list dma_buf_negotiate": _r2, "mapping-types-2025-10 dma_buf_match_mapping": _r5, "mapping-types-2026-02 dma_buf_match_mapping": _r6}


def who_wins(exporter: Sequence[str], importer: Sequence[str]) -> pl.DataFrame:
    """One row per matcher: the chosen type (or errno) and its index in each list."""
    rows = []
    with Kernel():
        for label, fn in _RUN.items():
            chosen, ei, ii = fn(list(exporter), list(importer))
            rows.append({"matcher": label, "revision": MATCHERS[label], "exporter": ",".join(exporter),
                         "importer": ",".join(importer), "chosen": chosen, "exporter_index": ei,
                         "importer_index": ii})
    return pl.DataFrame(rows, schema_overrides={"exporter_index": pl.Int64, "importer_index": pl.Int64})


def ordered_lists(names: Sequence[str], min_len: int = 1) -> list[tuple]:
    """Every ordered list of distinct ``names`` of length ``min_len`` .. len(names)."""
    out = []
    for k in range(min_len, len(names) + 1):
        out += list(itertools.permutations(names, k))
    return out


def order_matrix(names: Sequence[str] = ("A", "B", "C"), min_len: int = 1) -> pl.DataFrame:
    """offer-list and mapping-types-2026-02 on every (exporter list, importer list) pair of ordered lists.

    ``verdict``: ``same`` when both pick the same type, ``differ`` when both
    match but pick differently, ``no match`` when neither finds a common
    type (offer-list says -EOPNOTSUPP, mapping-types-2026-02 -EINVAL).
    """
    lists = ordered_lists(names, min_len)
    rows = []
    with Kernel():
        for e in lists:
            for i in lists:
                r2 = _r2(list(e), list(i))[0]
                r6 = _r6(list(e), list(i))[0]
                if r2.startswith("-") and r6.startswith("-"):
                    verdict = "no match"
                elif r2 == r6:
                    verdict = "same"
                else:
                    verdict = "differ"
                rows.append({"exporter": "".join(e), "importer": "".join(i), "r2": r2, "r6": r6,
                             "verdict": verdict, "cell": "=" + r2 if r2 == r6 and verdict == "same"
                             else ("-" if verdict == "no match" else f"{r2}/{r6}")})
    return pl.DataFrame(rows)


# --------------------------------------------------------------------------
# End to end through the drivers.
# --------------------------------------------------------------------------

#: label -> (topology, exporter spec, importer spec)
CASES = {
    "xe PF <- VF BAR (vfio)": (
        "xe-sriov-8vf", ExporterSpec("vfio-pci", "0000:03:00.2", 2, ((0, 2 * MiB),)),
        ImporterSpec("xe", "0000:03:00.0", True)),
    "xe PF <- VF BAR, DMA first": (
        "xe-sriov-8vf", ExporterSpec("vfio-pci", "0000:03:00.2", 2, ((0, 2 * MiB),)),
        ImporterSpec("xe", "0000:03:00.0", True, {"offer": ["dma-addr", "bar-slice"]})),
    "xe PF <- system heap": (
        "xe-sriov-8vf", ExporterSpec("system", None, None, ((0, 2 * MiB),)),
        ImporterSpec("xe", "0000:03:00.0", True)),
    "xe PF <- system heap, no DMA offer": (
        "xe-sriov-8vf", ExporterSpec("system", None, None, ((0, 2 * MiB),)),
        ImporterSpec("xe", "0000:03:00.0", True, {"offer": ["bar-slice", "vram"]})),
    "xe <- own VRAM": (
        "gpu-nic-same-switch", ExporterSpec("xe", "0000:03:00.0", None, ((0, 4 * MiB),),
                                            {"migratable": False}),
        ImporterSpec("xe", "0000:03:00.0", True, {"offer": ["vram", "dma-addr"]})),
    "rdma [dma, phys] <- vfio BAR": (
        "gpu-nic-same-switch", ExporterSpec("vfio-pci", "0000:03:00.0", 2, ((0, 2 * MiB),)),
        ImporterSpec("rdma", "0000:04:00.0", True, {"wants": ["dma-addr", "phys"]})),
    "rdma [phys, dma] <- vfio BAR": (
        "gpu-nic-same-switch", ExporterSpec("vfio-pci", "0000:03:00.0", 2, ((0, 2 * MiB),)),
        ImporterSpec("rdma", "0000:04:00.0", True, {"wants": ["phys", "dma-addr"]})),
    "iommufd <- vfio BAR": (
        "gpu-nic-same-switch", ExporterSpec("vfio-pci", "0000:03:00.0", 2, ((0, 2 * MiB),)),
        ImporterSpec("iommufd")),
    "iommufd <- system heap": (
        "gpu-nic-same-switch", ExporterSpec("system", None, None, ((0, 2 * MiB),)), ImporterSpec("iommufd")),
}

_NEGOTIATED = re.compile(r"negotiated offer\[(\d+)\] = (.+)$")


def offer_runs(targets: Iterable[str] = ("offer-list", "mapping-types-2026-02:fixed"),
               cases: Optional[dict] = None) -> pl.DataFrame:
    """Every case under every target: the outcome, and for offer-list the chosen offer index and entry."""
    from dmabuf_lab.hw import load_topology
    from dmabuf_lab.litmus.runner import run_once

    rows = []
    for label, (topo, exp, imp) in (cases or CASES).items():
        for t in targets:
            v = run_once(load_topology(topo), exp, imp, STEPS, t)
            idx, entry = None, None
            for line in v.trace:
                m = _NEGOTIATED.search(line)
                if m:
                    idx, entry = int(m.group(1)), m.group(2)
            rows.append({"case": label, "target": t, "outcome": v.outcome, "offer_index": idx,
                         "chosen": entry, "step": v.step or "", "findings": ",".join(v.finding_kinds),
                         "detail": v.detail})
    return pl.DataFrame(rows, schema_overrides={"offer_index": pl.Int64, "chosen": pl.Utf8})
