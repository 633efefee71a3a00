"""Views of the negotiation matrix for the notebooks: outcome classes, list order, revision diffs.

:func:`~dmabuf_lab.experiments.negotiation.negotiation_matrix` gives one
row per (revision, exporter, importer, topology).  These helpers sort its
outcomes into a few classes a heat map can colour, compare two revisions
cell by cell, and run the one experiment the matrix's default specs cannot
show: whose preference order wins when both sides could use two kinds
(the first of the five matching checks in docs/sources.md).
"""
from __future__ import annotations

from typing import Iterable, Optional

import polars as pl

from dmabuf_lab.revisions import REVISIONS, available_revisions, canonical
from dmabuf_lab.revisions.base import CANNOT_EXPRESS, CRASH, MAPPING_KINDS, MODEL_ERROR, NOT_AVAILABLE

#: Outcome classes, in legend order, and what falls in each.
CLASSES = {
    "sg_table": ("sgt", "sgt-p2p"),
    "addresses (typed)": ("iov", "pal", "dma-addr", "phys", "pfn", "iommu-domain"),
    "private": ("private",),
    "errno": (),
    "cannot-express": (CANNOT_EXPRESS,),
    "crash": (CRASH,),
    "lab error": (MODEL_ERROR, NOT_AVAILABLE),
}
CLASS_COLOURS = {"sg_table": "#72b7b2", "addresses (typed)": "#4c78a8", "private": "#b279a2",
                 "errno": "#f2cf5b", "cannot-express": "#d8d8d8", "crash": "#e45756", "lab error": "#000000"}


def outcome_class(outcome: Optional[str]) -> str:
    """The class of one verdict: an sg_table, typed addresses, private, an errno, cannot-express, crash."""
    if outcome is None:
        return "lab error"
    for cls, members in CLASSES.items():
        if outcome in members:
            return cls
    if outcome.startswith("-E"):
        return "errno"
    if outcome in MAPPING_KINDS:
        return "addresses (typed)"
    return "lab error"


def revision_order(revs: Iterable[str]) -> list[str]:
    """Revisions in posting order (unknown names last, as given)."""
    order = list(REVISIONS)
    return sorted(set(revs), key=lambda r: (order.index(r) if r in order else len(order), r))


def with_classes(matrix: pl.DataFrame) -> pl.DataFrame:
    """The matrix plus ``pair`` ("exporter -> importer"), ``class`` and a ``cell`` label with findings."""
    return matrix.with_columns(
        (pl.col("exporter") + " -> " + pl.col("importer")).alias("pair"),
        pl.col("outcome").map_elements(outcome_class, return_dtype=pl.Utf8).alias("class"),
        pl.when(pl.col("findings").list.len() > 0)
        .then(pl.col("outcome") + " +" + pl.col("findings").list.join(","))
        .otherwise(pl.col("outcome")).alias("cell"),
    )


def class_counts(matrix: pl.DataFrame) -> pl.DataFrame:
    """Per revision and class: how many cells of the matrix (all topologies)."""
    df = with_classes(matrix) if "class" not in matrix.columns else matrix
    out = df.group_by("revision", "class").len().rename({"len": "cells"})
    revs = revision_order(out["revision"].to_list())
    return (out.with_columns(pl.col("revision").replace_strict({r: i for i, r in enumerate(revs)},
                                                               return_dtype=pl.Int64).alias("_r"))
            .sort("_r", "class").drop("_r"))


#: A cell the matrix has no row for: the revision has no driver for one side.
NO_DRIVER = "no driver"


#: Column heads for tables that must fit 72 columns; a legend always spells them out.
SHORT_NAMES = {"get-pfn": "pfn", "offer-list": "offer", "rfc-v1": "v1", "rfc-v2": "v2",
               "mapping-types-2025-10": "mt25", "mapping-types-2026-02": "mt26",
               "mapping-types-2026-03": "mt2603", "mapping-types-2026-05": "mt2605"}


def short_names(revs: Iterable[str]) -> dict:
    """A short column head per revision, for tables that must fit 72 columns.

    Mainline releases become ``ml-<version>`` (``ml-6.19``, ``ml-7.3-rc6``; the
    alias ``mainline`` names the newest); the designs get the names of
    :data:`SHORT_NAMES`; a variant keeps its suffix (``v1:fixed``); any other
    name is kept.  A table's legend spells them out.
    """
    out = {}
    for r in revs:
        name, sep, variant = r.partition(":")
        c = canonical(name)
        if c.startswith("mainline-"):
            short = "ml-" + c.split("-", 1)[1]
        else:
            short = SHORT_NAMES.get(c, c)
        out[r] = short + (sep + variant if sep else "")
    return out


def _letters(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        out = chr(ord("a") + rem) + out
    return out


def annotate(frame: pl.DataFrame) -> tuple[pl.DataFrame, list[tuple[str, str]]]:
    """Name what is behind each verdict: a ``label`` column and its notes.

    ``label`` is the outcome (``-`` for cannot-express) followed by note
    letters; each note names the findings of a cell (``mainline: leak``) or
    the Kconfig option that changes it (``CONFIG_DMABUF_MOVE_NOTIFY=y gives
    pfn``).  Returns the frame and ``[(letter, note), ...]`` in order of first
    use, for a legend.
    """
    notes: dict[str, str] = {}
    labels = []
    for row in frame.iter_rows(named=True):
        texts = []
        if row["findings"]:
            texts.append(f"{row['revision']}: {', '.join(row['findings'])} recorded")
        for c in row.get("config") or []:
            option, _, verdict = c.partition(": ")
            texts.append(f"{row['revision']}: {option} gives {verdict}")
        marks = ""
        for text in texts:
            if text not in notes:
                notes[text] = _letters(len(notes))
            marks += notes[text]
        outcome = "-" if row["outcome"] == CANNOT_EXPRESS else row["outcome"]
        labels.append(f"{outcome} {marks}" if marks else outcome)
    return frame.with_columns(pl.Series("label", labels, dtype=pl.Utf8)), \
        [(letter, text) for text, letter in notes.items()]


def notes_legend(notes: list[tuple[str, str]], width: int = 72) -> list[str]:
    """The notes as wrapped legend lines (``a = mainline: leak recorded``)."""
    import textwrap

    lines = []
    for letter, text in notes:
        lines += textwrap.wrap(f"{letter} = {text}", width=width, subsequent_indent="    ",
                               break_on_hyphens=False, break_long_words=False)
    return lines


def compare_revisions(matrix: pl.DataFrame, a: str, b: str) -> pl.DataFrame:
    """Cells (exporter, importer, topology) where revisions ``a`` and ``b`` give different verdicts."""
    keys = ["exporter", "importer", "topology"]
    left = matrix.filter(pl.col("revision") == a).select(*keys, pl.col("outcome").alias(a))
    right = matrix.filter(pl.col("revision") == b).select(*keys, pl.col("outcome").alias(b))
    both = (left.join(right, on=keys, how="full", coalesce=True)
            .with_columns(pl.col(a).fill_null(NO_DRIVER), pl.col(b).fill_null(NO_DRIVER)))
    return both.filter(pl.col(a) != pl.col(b)).sort(keys)


#: The set-up of the first matching check (docs/sources.md): vfio-pci exports a GPU BAR slice; an RDMA NIC behind the same switch
#: can use DMA addresses or physical addresses and states an order of preference.
ORDER_TOPOLOGY = "gpu-nic-same-switch"
ORDER_EXPORTER = ("vfio-pci", "0000:03:00.0", 2, ((0, 0x200000),))
ORDER_IMPORTER = ("rdma", "0000:04:00.0")
PREFERENCES = (("dma-addr", "phys"), ("phys", "dma-addr"))


def who_orders(revisions: Optional[Iterable[str]] = None, topology=ORDER_TOPOLOGY,
               preferences=PREFERENCES) -> pl.DataFrame:
    """Attach the RDMA importer with each order of preference; what each revision hands it.

    ``importer_order`` says whether the verdict follows the importer's
    order (the offer list: the importer's preference wins) or is the same
    either way (the 2026-02 matcher, whose vfio exporter lists PAL before
    SGT_P2P, so the exporter's order wins; and revisions with no importer
    list at all).
    """
    from dmabuf_lab.litmus.runner import run_once
    from dmabuf_lab.revisions.base import ExporterSpec, ImporterSpec

    revs = list(revisions) if revisions is not None else available_revisions()
    rows = []
    for rev in revs:
        for pref in preferences:
            exp = ExporterSpec(*ORDER_EXPORTER)
            imp = ImporterSpec(*ORDER_IMPORTER, True, {"wants": list(pref)})
            v = run_once(topology, exp, imp, ("attach", "detach"), rev)
            rows.append({"revision": rev, "importer_prefers": " > ".join(pref), "first_choice": pref[0],
                         "outcome": v.outcome, "findings": v.finding_kinds})
    df = pl.DataFrame(rows, schema_overrides={"findings": pl.List(pl.Utf8)})
    same = df.group_by("revision").agg(pl.col("outcome").n_unique().alias("n"))
    return df.join(same, on="revision").with_columns(
        pl.when(pl.col("n") > 1).then(pl.lit("follows the importer"))
        .otherwise(pl.lit("same either way")).alias("importer_order")).drop("n")
