"""Mapping types (mapping-types-2025-10, the RFC v2 0/8 thread (2025-10-30/31); mapping-types-2026-02, the 2026-02 RFC) as frames.

* :func:`oracle_table` — matching check 1-5 of ``docs/sources.md``, each
  computed by the model (the matchers called directly, or the drivers run
  end to end) and set beside the fact sheet's statement.
* :func:`importer_matrix` — what every importer ends up holding, per
  exporter, under the mapping-type revisions and their modes.
* :func:`pal_only_matches` — an exporter that offers only PAL, against the
  match list each importer builds: what mapping-types-2026-02 gives each of them, and what
  mapping-types-2025-10's conversion type changes.
* :func:`mapping_attach_rule` — which importer_ops each revision's
  ``dma_buf_mapping_attach()`` takes (the "dynamic importers only" rule).
* :func:`bug_effects` — for each bug of the posted RFC, the scenarios its
  fix changes.
"""
from __future__ import annotations

from typing import Iterable, Optional

import polars as pl

from dmabuf_lab.kmodel import EINVAL, ENOMEM, Kernel, errname
from dmabuf_lab.revisions import get_revision
from dmabuf_lab.revisions import mapping_types_2025_10 as mt5
from dmabuf_lab.revisions import mapping_types_2026_02 as mt6
from dmabuf_lab.revisions.base import ExporterSpec, ImporterSpec

from .offer_negotiation import who_wins

MiB = 1 << 20
STEPS = ("attach", "map", "unmap", "detach")
MT2510, MT2602 = "mapping-types-2025-10", "mapping-types-2026-02"

#: The bugs reviewers found in the RFC (docs/sources.md); the others are the lab's.
REVIEWER_FOUND = ("xe-match-len", "vfio-match-lock", "dynamic-attach-null-ops")


def _run(topology: str, exp: ExporterSpec, imp: ImporterSpec, target: str, steps=STEPS):
    from dmabuf_lab.hw import load_topology
    from dmabuf_lab.litmus.runner import run_once

    return run_once(load_topology(topology), exp, imp, steps, target)


def _counting_types(names, match_ret=None):
    """mapping-types-2026-02 types that count their match/finish_match calls."""
    calls = {"match": 0, "finish": 0}

    def match(dmabuf, e, i):
        calls["match"] += 1
        return match_ret

    def finish(args, e, i):
        calls["finish"] += 1

    types = {n: mt6.dma_buf_mapping_type(name=n, match=match if match_ret is not None else None,
                                         finish_match=finish) for n in names}
    return types, calls


def _r6_match(types, exp_names, imp_names) -> int:
    exp = [mt6.dma_buf_mapping_match(type=types[n]) for n in exp_names]
    imp = [mt6.dma_buf_mapping_match(type=types[n]) for n in imp_names]
    args = mt6.dma_buf_match_args(dmabuf=None, attach=mt6.dma_buf_attachment_mt(), imp_matches=imp,
                                  imp_len=len(imp))
    return mt6.dma_buf_match_mapping(args, exp, len(exp))


# VF 03:00.2's BAR 2 on the SR-IOV preset, as the oracles' scenarios use it.
VF_BAR = ExporterSpec("vfio-pci", "0000:03:00.2", 2, ((0, 2 * MiB),))
SRIOV = "xe-sriov-8vf"


def oracle_table(variant: str = "fixed") -> pl.DataFrame:
    """matching check 1-5: what the fact sheet states, what the model computes, whether they agree.

    ``variant`` is the mapping-types-2026-02 variant the driver-level oracles run under
    (``fixed`` keeps the vfio lock bug out of the picture; ``posted`` shows it).
    """
    rows = []

    def add(oracle, revision, case, stated, observed, extra=""):
        rows.append({"oracle": oracle, "revision": revision, "case": case, "fact_sheet": stated,
                     "model": observed, "agree": None if stated is None else stated == observed,
                     "note": extra})

    # 1: who orders the list
    w = {r["revision"]: r for r in who_wins(["A", "B"], ["B", "A"]).iter_rows(named=True)}
    for rev, stated in ((MT2602, "A (importer index 1)"), ("offer-list", "B")):
        r = w[rev]
        obs = f"{r['chosen']} (importer index {r['importer_index']})" if rev == MT2602 else r["chosen"]
        add(1, rev, "exporter [A,B], importer [B,A]", stated, obs)
    r = w[MT2510]
    add(1, MT2510, "exporter [A,B], importer [B,A]", None,
        f"{r['chosen']} (importer index {r['importer_index']})", "not stated; the lab walks as mapping-types-2026-02")

    # 2: empty lists or no common type -> -EINVAL, no callback
    with Kernel():
        for case, e, i in (("empty exporter list", [], ["A"]), ("empty importer list", ["A"], []),
                           ("no common type", ["A", "B"], ["C"])):
            types, calls = _counting_types("ABC", match_ret=0)
            ret = _r6_match(types, e, i)
            add(2, MT2602, case, "-EINVAL, no callback",
                f"{errname(ret) if ret else ret}, {calls['match'] + calls['finish']} callback(s)"
                .replace(", 0 callback(s)", ", no callback"))

    # 3: match() -> -ENOMEM aborts, finish_match does not run
    with Kernel():
        types, calls = _counting_types("A", match_ret=-ENOMEM)
        types["B"] = mt6.dma_buf_mapping_type(name="B", finish_match=lambda a, e, i: calls.__setitem__(
            "finish", calls["finish"] + 1))
        ret = _r6_match(types, ["A", "B"], ["A", "B"])
        add(3, MT2602, "A's match returns -ENOMEM; B would match", "-ENOMEM, finish_match not run",
            f"{errname(ret)}, finish_match " + ("not run" if calls["finish"] == 0 else "ran"))

    # 4: P2P-requiring SGT exporter vs a static importer
    v = _run(SRIOV, VF_BAR, ImporterSpec("legacy", "0000:04:00.0", False), f"{MT2602}:{variant}")
    add(4, f"{MT2602}:{variant}", "vfio SGT_P2P vs dma_buf_attach() importer", "no match",
        "no match" if v.outcome == errname(-EINVAL) else v.outcome, f"attach {v.outcome}")
    from dmabuf_lab.hw import load_topology

    with Kernel():
        topo = load_topology(SRIOV)
        vf, pf = topo.device("0000:03:00.2"), topo.device("0000:03:00.0")
        exp = [mt6.DMA_BUF_EMAPPING_SGT_P2P(mt6.dma_buf_mapping_sgt_exp_ops(), vf)]
        imp = [mt6.DMA_BUF_IMAPPING_SGT(pf, mt6.DMA_SGT_NO_P2P)]
        args = mt6.dma_buf_match_args(dmabuf=None, attach=mt6.dma_buf_attachment_mt(), imp_matches=imp,
                                      imp_len=1)
        ret = mt6.dma_buf_match_mapping(args, exp, 1)
    add(4, MT2602, "same, matcher only (NO_P2P importer entry)", "no match",
        "no match" if ret == -EINVAL else errname(ret) if ret else "match")

    # 5: vfio + iommufd -> PAL; vfio + an SGT importer -> SGT_P2P
    for imp, stated in ((ImporterSpec("iommufd"), "pal"), (ImporterSpec("xe", "0000:03:00.0", True), "sgt-p2p")):
        v = _run(SRIOV, VF_BAR, imp, f"{MT2602}:{variant}")
        add(5, f"{MT2602}:{variant}", f"vfio VF BAR -> {imp.driver}", stated, v.outcome,
            ",".join(v.finding_kinds))
    return pl.DataFrame(rows, schema_overrides={"fact_sheet": pl.Utf8, "agree": pl.Boolean})


# --------------------------------------------------------------------------
# Who gets what.
# --------------------------------------------------------------------------

#: exporter label -> (topology, spec, importer label -> ImporterSpec)
def _importers(gpu: str, other: str) -> dict:
    return {
        "iommufd": ImporterSpec("iommufd"),
        "kvm": ImporterSpec("kvm"),
        "rdma": ImporterSpec("rdma", other),
        "legacy (static)": ImporterSpec("legacy", other, False),
        "xe": ImporterSpec("xe", gpu, True),
    }


EXPORTERS = {
    "vfio VF BAR": (SRIOV, VF_BAR, _importers("0000:03:00.0", "0000:04:00.0")),
    "vfio BAR": ("gpu-nic-same-switch", ExporterSpec("vfio-pci", "0000:03:00.0", 2, ((0, 2 * MiB),)),
                 _importers("0000:03:00.0", "0000:04:00.0")),
    "xe VRAM": ("gpu-nic-same-switch", ExporterSpec("xe", "0000:03:00.0", None, ((0, 4 * MiB),),
                                                    {"dmabuf_move_notify": True}),
                _importers("0000:03:00.0", "0000:04:00.0")),
    "system heap": ("gpu-nic-same-switch", ExporterSpec("system", None, None, ((0, 2 * MiB),)),
                    _importers("0000:03:00.0", "0000:04:00.0")),
}


def mapping_targets() -> list[str]:
    """Every variant of the mapping-type revisions that changes behaviour: modes and ``fixed``."""
    out = []
    for rev in (MT2510, MT2602):
        try:
            variants = get_revision(rev).variants
        except Exception:  # a revision not in this tree
            continue
        out.append(rev)
        out += [f"{rev}:{v}" for v in variants if v == "fixed" or v in get_revision(rev).modes]
    return out


def importer_matrix(targets: Optional[Iterable[str]] = None, exporters: Optional[dict] = None) -> pl.DataFrame:
    """One row per (target, exporter, importer): the outcome of a full import and the findings."""
    rows = []
    for t in (list(targets) if targets is not None else mapping_targets()):
        for label, (topo, exp, imps) in (exporters or EXPORTERS).items():
            for imp_label, imp in imps.items():
                v = _run(topo, exp, imp, t)
                rows.append({"target": t, "exporter": label, "importer": imp_label, "outcome": v.outcome,
                             "step": v.step or "", "findings": ",".join(v.finding_kinds), "detail": v.detail})
    return pl.DataFrame(rows)


def pal_only_matches(topology: str = SRIOV) -> pl.DataFrame:
    """A vfio buffer offered as ``[PAL]`` only, against each importer's match list.

    mapping-types-2026-02 rows call ``dma_buf_match_mapping()`` with the list each importer's
    driver builds (iommufd: ``[PAL]``; a dynamic P2P importer:
    ``[SGT(dev, ACCEPTS_P2P)]``; ``dma_buf_attach()``: ``[SGT(dev, NO_P2P)]``):
    the 2026-02 RFC has no converter.  mapping-types-2025-10 rows run the drivers with the
    exporter option ``pal_only``, with and without the conversion type.
    """
    from dmabuf_lab.hw import load_topology

    topo = load_topology(topology)
    pf = topo.device("0000:03:00.0")
    lists = {
        "iommufd": [mt6.DMA_BUF_IMAPPING_PAL()],
        "xe": [mt6.DMA_BUF_IMAPPING_SGT(pf, mt6.DMA_SGT_IMPORTER_ACCEPTS_P2P)],
        "legacy (static)": [mt6.DMA_BUF_IMAPPING_SGT(pf, mt6.DMA_SGT_NO_P2P)],
    }
    rows = []
    with Kernel():
        for imp_label, imp in lists.items():
            exp = [mt6.DMA_BUF_EMAPPING_PAL(mt6.dma_buf_mapping_pal_exp_ops())]
            args = mt6.dma_buf_match_args(dmabuf=None, attach=mt6.dma_buf_attachment_mt(), imp_matches=imp,
                                          imp_len=len(imp))
            ret = mt6.dma_buf_match_mapping(args, exp, len(exp))
            rows.append({"target": MT2602, "importer": imp_label,
                         "outcome": errname(ret) if ret else mt6.mapping_kind(args.attach)})
    pal_only = ExporterSpec("vfio-pci", "0000:03:00.2", 2, ((0, 2 * MiB),), {"pal_only": True})
    imps = {"iommufd": ImporterSpec("iommufd"), "xe": ImporterSpec("xe", "0000:03:00.0", True),
            "legacy (static)": ImporterSpec("legacy", "0000:03:00.0", False)}
    for t in (MT2510, f"{MT2510}:conversion"):
        for imp_label, imp in imps.items():
            v = _run(topology, pal_only, imp, t)
            rows.append({"target": t, "importer": imp_label,
                         "outcome": v.outcome + (f" +{','.join(v.finding_kinds)}" if v.finding_kinds else "")})
    return pl.DataFrame(rows)


def mapping_attach_rule(revisions=(MT2510, MT2602)) -> pl.DataFrame:
    """``dma_buf_mapping_attach()`` of each revision with three kinds of importer ops.

    The buffer is an exporter without mapping types (the core's SGT compat
    entry serves it) and the importer lists ``[SGT(dev, no P2P)]``, so only
    the importer_ops rule decides.  Findings are the checker's (a WARN).
    """
    from types import SimpleNamespace

    from dmabuf_lab.core.ops import dma_buf_attach_ops, dma_buf_ops
    from dmabuf_lab.kmodel import IS_ERR, PTR_ERR, dma_resv

    mods = {MT2510: mt5, MT2602: mt6}
    kinds = {
        "NULL (static importer)": None,
        "ops without move_notify": dma_buf_attach_ops(allow_peer2peer=True),
        "ops with move_notify (dynamic)": dma_buf_attach_ops(allow_peer2peer=True, move_notify=lambda a: None),
    }
    rows = []
    for rev in revisions:
        mod = mods[rev]
        no_p2p = mod.DMA_SGT_NO_P2P if mod is mt6 else False
        for label, ops in kinds.items():
            with Kernel() as k:
                buf = SimpleNamespace(ops=dma_buf_ops(map_dma_buf=lambda a, d: None,
                                                      unmap_dma_buf=lambda a, s, d: None),
                                      resv=dma_resv(), attachments=[], size=4096)
                imp = [mod.DMA_BUF_IMAPPING_SGT("importing device", no_p2p)]
                att = mod.dma_buf_mapping_attach(buf, imp, len(imp), ops, None)
                out = errname(PTR_ERR(att)) if IS_ERR(att) else mod.mapping_kind(att)
                if not IS_ERR(att):
                    mod.dma_buf_detach(buf, att)
            rows.append({"revision": rev, "importer_ops": label, "outcome": out,
                         "findings": ",".join(sorted({f.kind for f in k.findings}))})
    return pl.DataFrame(rows)


def bug_effects(verdicts: pl.DataFrame, revision: str = MT2602) -> pl.DataFrame:
    """Per declared bug: the scenarios whose verdict its fix changes, and one example.

    ``verdicts`` is :func:`litmus_frames.scenario_checks` for ``revision``
    with ``every_variant=True`` and a ``cell`` column (:func:`litmus_frames.with_findings`).
    The example prefers a scenario named ``bug-*``.
    """
    rev = get_revision(revision)
    cells = verdicts.filter(pl.col("revision") == revision).pivot(on="variant", index="scenario", values="cell")
    rows = []
    for bug, line in rev.bugs.items():
        fix = f"fix-{bug}"
        if fix not in cells.columns:
            continue
        changed = cells.filter(pl.col("posted") != pl.col(fix))
        names = changed["scenario"].to_list()
        key = bug.split("-")[0]
        example = next((n for n in names if n.startswith("bug-") and key in n),
                       next((n for n in names if n.startswith("bug-")), names[0] if names else None))
        ex = changed.filter(pl.col("scenario") == example).row(0, named=True) if example else {}
        found = ("reviewers" if bug in REVIEWER_FOUND
                 else "inherited (6.19)" if "6.19" in line or "inherited" in line else "lab")
        rows.append({"bug": bug, "found_by": found,
                     "what": line, "scenarios_changed": len(names), "example": example,
                     "posted": ex.get("posted"), "fix_only_this": ex.get(fix), "all_fixed": ex.get("fixed")})
    return pl.DataFrame(rows, schema_overrides={"example": pl.Utf8, "posted": pl.Utf8,
                                                "fix_only_this": pl.Utf8, "all_fixed": pl.Utf8})
