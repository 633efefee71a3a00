"""The mailing-list thread as data: who proposed what, when, and where the lab models it.

``data/thread.csv`` holds one row per message summarised from the public
archives (date, author, the revision under discussion by the lab's name as
``REVISION_NAMES`` lists them, source: a Message-ID, a commit id or the key
of its entry in ``docs/sources.md``, subject where the message shows one,
and what it proposes, in our words).
``revision_modules`` maps each revision to the lab module that runs it and
the notebook that walks through it.
"""
from __future__ import annotations

import csv
from pathlib import Path

import polars as pl

from dmabuf_lab.errors import LabInputError
from dmabuf_lab.paths import data_dir, lab_root

COLUMNS = ("date", "author", "revision", "source", "subject", "proposes")
REVISION_NAMES = {
    "mainline-6.19": "mainline dma-buf (Linux 6.19)",
    "get-pfn": "get_pfn (2025-01)",
    "offer-list": "offer list (2025-09)",
    "rfc-v1": "RFC v1 interconnects (2025-10-14)",
    "rfc-v2": "RFC v2 (2025-10-26)",
    "mapping-types-2025-10": "mapping types design (2025-10-30)",
    "mapping-types-2026-02": "mapping types RFC (2026-02-17)",
    "mainline-7.1": "mainline Linux 7.1: revoke series, vfio fixes, iommufd pin",
    "mainline-7.2": "mainline Linux 7.2: iommufd release-path lock",
    "mainline-7.3-rc6": "mainline v7.3-rc6: the two mapping-helper fixes",
    "mapping-types-2026-03": "mapping types, rebased branch (2026-03)",
    "mapping-types-2026-05": "mapping-type review plan and alternatives (2026-04/05)",
}
# revision -> (lab module, notebook)
MODULES = {
    "mainline-6.19": ("dmabuf_lab/core", "01_mainline_sgt_and_p2p"),
    "get-pfn": ("dmabuf_lab/revisions/get_pfn.py", "02_get_pfn_debate"),
    "offer-list": ("dmabuf_lab/revisions/offer_list.py", "03_offer_list"),
    "rfc-v1": ("dmabuf_lab/revisions/rfc_v1.py", "04_rfc_v1_interconnects"),
    "rfc-v2": ("dmabuf_lab/revisions/rfc_v2.py", "06_rfc_v2"),
    "mapping-types-2025-10": ("dmabuf_lab/revisions/mapping_types_2025_10.py", "07_mapping_types"),
    "mapping-types-2026-02": ("dmabuf_lab/revisions/mapping_types_2026_02.py", "07_mapping_types"),
    "mainline-7.1": ("dmabuf_lab/revisions/mainline_7_1.py", "01_mainline_sgt_and_p2p"),
    "mainline-7.2": ("dmabuf_lab/revisions/mainline_7_2.py", "01_mainline_sgt_and_p2p"),
    "mainline-7.3-rc6": ("dmabuf_lab/revisions/mainline_7_3_rc6.py", "01_mainline_sgt_and_p2p"),
    "mapping-types-2026-03": ("dmabuf_lab/revisions/mapping_types_2026_03.py", "07_mapping_types"),
    "mapping-types-2026-05": ("dmabuf_lab/revisions/mapping_types_2026_05.py", "07_mapping_types"),
}


class ThreadDataError(LabInputError):
    """A malformed row in the thread table."""


def load_thread(path: str | Path | None = None) -> pl.DataFrame:
    """Read the thread table; dates become ``pl.Date`` (null where unknown)."""
    path = Path(path) if path else data_dir() / "thread.csv"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ThreadDataError(f"cannot read: {exc.strerror}", file=str(path)) from None
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ThreadDataError(f"missing column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}",
                              file=str(path), line=1)
    rows = []
    for line, row in enumerate(reader, 2):
        if row["revision"] not in REVISION_NAMES:
            raise ThreadDataError(f"unknown revision {row['revision']!r}; expected one of "
                                  f"{', '.join(REVISION_NAMES)}", file=str(path), line=line,
                                  field="revision")
        if row["date"] and not _is_iso_date(row["date"]):
            raise ThreadDataError(f"expected a date as YYYY-MM-DD, got {row['date']!r}",
                                  file=str(path), line=line, field="date")
        if not row["proposes"].strip():
            raise ThreadDataError("empty summary", file=str(path), line=line, field="proposes")
        rows.append({c: (row[c] or None) for c in COLUMNS})
    frame = pl.DataFrame(rows, schema={c: pl.Utf8 for c in COLUMNS})
    return frame.with_columns(pl.col("date").str.to_date("%Y-%m-%d", strict=True))


def _is_iso_date(text: str) -> bool:
    import datetime
    try:
        datetime.date.fromisoformat(text)
        return len(text) == 10
    except ValueError:
        return False


def revision_modules(root: Path | None = None) -> pl.DataFrame:
    """One row per revision: name, lab module, notebook, and whether each exists yet."""
    root = root or lab_root()
    rows = []
    for rev, (module, notebook) in MODULES.items():
        rows.append({
            "revision": rev, "design": REVISION_NAMES[rev], "module": module,
            "module_present": (root / module).exists(),
            "notebook": notebook,
            "notebook_present": (root / "notebooks" / f"{notebook}.py").exists(),
        })
    return pl.DataFrame(rows)
