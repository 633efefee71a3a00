"""RFC v1 on the xe SR-IOV preset, as frames: the IOV match, the VF lookup, the DPA translation.

The xe PF imports, over RFC v1's IOV interconnect, a buffer vfio-pci
exports from one of its VFs' LMEM BAR.  These functions drive the same
models the litmus runner does (``revisions/rfc_v1.py``, ``drivers/xe/`` and
``drivers/vfio_pci/rfc_v1.py``) and lay out what each step computed next to
the lab's oracle (``drivers/xe/dpa_oracle.py``), for the RFC v1 notebook.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Iterable, Optional

import polars as pl

from dmabuf_lab.addr import PAGE_SIZE
from dmabuf_lab.hw import load_topology
from dmabuf_lab.pci.iov import pci_iov_resource_size, pci_iov_resource_start, vf_for_bar_address
from dmabuf_lab.revisions import get_revision, split_target

PRESET = "xe-sriov-8vf"
PF = "0000:03:00.0"
LMEM_BAR = 2
REVISION = "rfc-v1"


def _topology(topology):
    return load_topology(topology) if isinstance(topology, str) else topology


@contextmanager
def _run_context(topology, target: str, exporter=None, importer=None):
    """A kmodel Kernel and a current Session for ``target``, as the litmus runner sets them up."""
    from dmabuf_lab.kmodel.runtime import Kernel
    from dmabuf_lab.revisions.base import ExporterSpec, ImporterSpec, Session, session_scope

    rev_name, variant = split_target(target)
    s = Session(topology, exporter or ExporterSpec("vfio-pci"), importer or ImporterSpec("xe", PF, True),
                get_revision(rev_name), variant)
    with session_scope(s), Kernel(name=target) as k:
        yield k, s


# ---------------------------------------------------------------------------
# dma_buf_match_interconnects(): which pairs negotiate IOV
# ---------------------------------------------------------------------------

#: (case, exporter bdf, BAR, importer bdf): the pairs the match has to tell apart.
MATCH_CASES = (
    ("VF LMEM BAR -> its PF", "0000:03:00.2", 2, PF),
    ("VF BAR 0 -> its PF", "0000:03:00.2", 0, PF),
    ("VF LMEM BAR -> sibling VF", "0000:03:00.2", 2, "0000:03:00.1"),
    ("PF LMEM BAR -> the PF itself", PF, 2, PF),
)


def iov_match(topology=PRESET, targets: Iterable[str] = (REVISION, f"{REVISION}:fixed"),
              cases=MATCH_CASES) -> pl.DataFrame:
    """Attach the xe importer to a vfio-pci export for each case; what the attachment got.

    ``negotiated`` is ``iov`` when ``dma_buf_match_interconnects()`` matched,
    the sg_table kind when it fell back, or the errno / ``crash`` of attach.
    """
    from dmabuf_lab.litmus.runner import run_once
    from dmabuf_lab.revisions.base import ExporterSpec, ImporterSpec

    rows = []
    for case, exp_dev, bar, imp_dev in cases:
        for t in targets:
            topo = _topology(topology) if not isinstance(topology, str) else load_topology(topology)
            size = min(2 << 20, int(topo.device(exp_dev).bars[bar].size))
            v = run_once(topo, ExporterSpec("vfio-pci", exp_dev, bar, ((0, size),)),
                         ImporterSpec("xe", imp_dev, True), ("attach", "detach"), t)
            rows.append({"case": case, "exporter": exp_dev, "bar": bar, "importer": imp_dev, "target": t,
                         "negotiated": v.outcome, "findings": v.finding_kinds, "detail": v.detail})
    return pl.DataFrame(rows, schema_overrides={"findings": pl.List(pl.Utf8)})


# ---------------------------------------------------------------------------
# xe_find_vf_dev(): the last page of every VF BAR
# ---------------------------------------------------------------------------

def vf_lookup(topology=PRESET, vf_ids: Optional[Iterable[int]] = None,
              targets: Iterable[str] = (REVISION, f"{REVISION}:fixed")) -> pl.DataFrame:
    """Probe ``xe_find_vf_dev()`` at the edges of VF LMEM BARs, posted and fixed.

    For each VF: its first byte, the last byte before its last page, the
    first and the last byte of its last page.  ``expected`` is the VF by
    SR-IOV arithmetic (IOV window start + vf_id x per-VF size).
    """
    from dmabuf_lab.linux.drivers.gpu.drm.xe.xe_bo.rfc_v1 import xe_find_vf_dev

    topo = _topology(topology)
    pf = topo.device(PF)
    start0, size = pci_iov_resource_start(pf, LMEM_BAR), pci_iov_resource_size(pf, LMEM_BAR)
    ids = list(vf_ids) if vf_ids is not None else list(range(pf.sriov.num_vfs))
    bdf_of = {vf.vf_index: vf.bdf for vf in topo.vfs(pf)}
    rows = []
    for i in ids:
        base = start0 + i * size
        probes = (("first byte", base), ("before the last page", base + size - PAGE_SIZE - 1),
                  ("last page, first byte", base + size - PAGE_SIZE), ("last byte", base + size - 1))
        for where, addr in probes:
            hit = vf_for_bar_address(pf, LMEM_BAR, addr)
            row = {"vf_index": i, "where": where, "address": addr,
                   "expected": bdf_of.get(hit[0]) if hit else None}
            for t in targets:
                with _run_context(topo, t) as (k, s):
                    found = xe_find_vf_dev(pf, addr)
                row[t] = found.bdf if found is not None else "none"
            rows.append(row)
    return pl.DataFrame(rows)


# ---------------------------------------------------------------------------
# The whole import: ranges -> xarray -> drm_pagemap_addr -> bind cursor
# ---------------------------------------------------------------------------

def import_vf_buffer(ranges, *, vf: str = "0000:03:00.2", target: str = REVISION, topology=PRESET,
                     importer_options: Optional[dict] = None) -> dict:
    """Export ``ranges`` ((offset, length) in the VF's LMEM BAR) and let the PF import and bind them.

    Runs attach and map as the litmus runner does, reads what the xe model
    built before tearing down, and returns a dict: ``outcome`` (mapping kind,
    errno or ``crash``), ``entries`` (frame of the drm_pagemap_addr array:
    DPA, order, bytes claimed, BAR address and bytes of the range it stands
    for), ``bind`` (frame of the (BO offset, address, bytes) runs the
    page-table walk consumed), ``truth`` (the oracle's (BO offset, DPA,
    bytes) pieces) and ``findings`` (kmodel finding kinds of the run).
    """
    from dmabuf_lab.drivers import registry
    from dmabuf_lab.drivers.xe.dpa_oracle import true_dpa_pieces
    from dmabuf_lab.kmodel.errno import KernelError
    from dmabuf_lab.revisions.base import ExporterSpec, ImporterSpec, Oops

    topo = _topology(topology)
    ranges = tuple((int(o), int(n)) for o, n in ranges)
    exp_spec = ExporterSpec("vfio-pci", vf, LMEM_BAR, ranges)
    imp_spec = ImporterSpec("xe", PF, True, dict(importer_options or {}))
    entries, bind, shadow, outcome = [], [], [], None
    exp = imp = None
    with _run_context(topo, target, exp_spec, imp_spec) as (k, s):
        try:
            exp = registry.make_exporter(s)
            imp = registry.make_importer(s)
            s.dmabuf = exp.export()
            imp.attach(s.dmabuf)
            imp.map()
            outcome = imp.kind
            arr = imp.bo.dma_data.dma_addr if imp.bo.is_devmem_external else None
            shadow = list(imp.shadow)
            if arr is not None:
                for i in range(len(arr)):
                    e = arr[i]
                    entries.append((i, int(e.addr), int(e.order), int(e.proto)))
            bind = list(imp.bind)
            imp.teardown()
            exp.release()
        except KernelError as exc:
            outcome = exc.name
        except Oops:
            outcome = "crash"
            k.ended = True
    vf_dev = topo.device(vf)
    bar_start = int(vf_dev.bars[LMEM_BAR].base)
    ent = pl.DataFrame(
        [{"entry": i, "dpa": a, "order": o, "proto": p, "claims": PAGE_SIZE << o,
          "bar_address": shadow[i][0] if i < len(shadow) else None,
          "range_bytes": shadow[i][1] if i < len(shadow) else None} for i, a, o, p in entries],
        schema={"entry": pl.Int64, "dpa": pl.UInt64, "order": pl.Int64, "proto": pl.Int64, "claims": pl.Int64,
                "bar_address": pl.UInt64, "range_bytes": pl.Int64})
    pieces = pl.DataFrame([{"offset": o, "address": a, "bytes": n} for o, a, n in bind],
                          schema={"offset": pl.Int64, "address": pl.UInt64, "bytes": pl.Int64})
    truth = true_dpa_pieces(topo.device(PF), [(bar_start + o, n) for o, n in ranges]) or []
    truth_f = pl.DataFrame([{"offset": o, "address": a, "bytes": n} for o, a, n in truth],
                           schema={"offset": pl.Int64, "address": pl.UInt64, "bytes": pl.Int64})
    return {"target": target, "outcome": outcome, "entries": ent, "bind": pieces, "truth": truth_f,
            "findings": sorted({f.kind for f in k.findings}), "messages": [str(f) for f in k.findings]}


def _address_at(pieces: pl.DataFrame, off: int) -> Optional[int]:
    for o, a, n in pieces.iter_rows():
        if o <= off < o + n:
            return int(a) + (off - o)
    return None


def dpa_per_page(ranges, *, vf: str = "0000:03:00.2", targets: Iterable[str] = (REVISION, f"{REVISION}:fixed"),
                 topology=PRESET, step: int = PAGE_SIZE) -> pl.DataFrame:
    """Per page of the buffer: the true DPA and the DPA each target's bind wrote.

    Long form: ``offset`` (bytes into the buffer), ``series`` (``true`` or
    the target), ``dpa`` (None where the bind wrote nothing), ``wrong``.
    """
    total = sum(int(n) for _, n in ranges)
    runs = {t: import_vf_buffer(ranges, vf=vf, target=t, topology=topology) for t in targets}
    truth = next(iter(runs.values()))["truth"]
    rows = []
    for off in range(0, total, step):
        want = _address_at(truth, off)
        rows.append({"offset": off, "series": "true DPA", "dpa": want, "wrong": False})
        for t, r in runs.items():
            got = _address_at(r["bind"], off)
            rows.append({"offset": off, "series": t, "dpa": got, "wrong": got != want})
    return pl.DataFrame(rows, schema={"offset": pl.Int64, "series": pl.Utf8, "dpa": pl.UInt64,
                                      "wrong": pl.Boolean})


def get_order_table(lengths: Iterable[int]) -> pl.DataFrame:
    """``get_order(len)`` and the bytes a ``drm_pagemap_addr`` of that order claims."""
    from dmabuf_lab.kernels.getorder import get_order

    rows = []
    for n in lengths:
        order = get_order(int(n))
        claims = PAGE_SIZE << order
        rows.append({"length": int(n), "order": order, "claims": claims, "overstated_by": claims - int(n)})
    return pl.DataFrame(rows)


# ---------------------------------------------------------------------------
# The bugs and the scenarios that show them
# ---------------------------------------------------------------------------

def _found_by(line: str) -> str:
    m = re.match(r"^\((\w+)\)", line)
    if m:
        return {"facts": "docs/sources.md", "lab": "lab"}.get(m.group(1), m.group(1))
    return "inherited"


def _verdict(v) -> str:
    """``outcome [kind,kind]``: a verdict in one short string."""
    return f"{v.outcome} [{','.join(v.finding_kinds)}]"


def bug_table(scenarios: list, revision: str = REVISION) -> pl.DataFrame:
    """One row per bug the revision declares, with the scenarios in which fixing it alone shows.

    ``declared``: scenarios that state expectations for ``revision:fix-<bug>``.
    ``shows``: every scenario of the revision whose verdict or finding kinds
    change when only that bug is fixed (run here, posted vs ``fix-<bug>``).
    ``posted`` / ``fix`` give both verdicts for the first such scenario.
    """
    from dmabuf_lab.litmus.runner import run_once

    rev = get_revision(revision)
    mine = [sc for sc in scenarios if any(split_target(t)[0] == revision for t in sc.targets())]
    posted = {sc.name: run_once(sc.fresh_topology(), sc.exporter, sc.importer, sc.steps, revision)
              for sc in mine}
    rows = []
    for bug, line in rev.bugs.items():
        target = f"{revision}:fix-{bug}"
        declared = [sc.name for sc in mine if target in sc.targets()]
        shows, first, best = [], None, None
        words = set(bug.split("-"))
        for sc in mine:
            v = run_once(sc.fresh_topology(), sc.exporter, sc.importer, sc.steps, target)
            p = posted[sc.name]
            if (v.outcome, v.finding_kinds) != (p.outcome, p.finding_kinds):
                shows.append(sc.name)
                # the scenario named most like the bug, a declared one on a tie
                score = (len(words & set(sc.name.split("-"))), sc.name in declared)
                if best is None or score > best:
                    best, first = score, (sc.name, p, v)
        text = re.sub(r"^\(\w+\)\s*", "", line)
        rows.append({
            "bug": bug, "found_by": _found_by(line), "what": text,
            "declared": declared, "shows": shows,
            "scenario": first[0] if first else None,
            "posted": _verdict(first[1]) if first else None,
            "fix": _verdict(first[2]) if first else None,
        })
    return pl.DataFrame(rows, schema={"bug": pl.Utf8, "found_by": pl.Utf8, "what": pl.Utf8,
                                      "declared": pl.List(pl.Utf8), "shows": pl.List(pl.Utf8),
                                      "scenario": pl.Utf8, "posted": pl.Utf8, "fix": pl.Utf8})
