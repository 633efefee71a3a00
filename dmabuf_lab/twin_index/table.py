"""The rows of the twin index, shared by ``dmabuf-lab twins`` and the site page.

One row per (C function, revision, twin): the C function and its file, the
revision that runs the twin, where the twin lives (``module:qualname`` and
``file:line``), the tree commit or posting it was read in, and the gap note.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from dmabuf_lab.errors import LabInputError
from dmabuf_lab.twins import REGISTRY, TwinDecl

from .packages import load_all, module_revisions


@dataclass(frozen=True)
class TwinRow:
    function: str
    path: str
    revision: str
    twin: str
    where: str
    source: str
    pin: str
    gap: str

    def as_dict(self) -> dict:
        return asdict(self)


def decl_revisions(decl: TwinDecl) -> tuple[str, ...]:
    """The revisions a declaration serves: as declared, else as its module's name says."""
    return tuple(decl.revisions) or module_revisions(decl.module)


def _revision_order(name: str) -> int:
    from dmabuf_lab.revisions import REVISION_NAMES

    return REVISION_NAMES.index(name) if name in REVISION_NAMES else len(REVISION_NAMES)


def all_decls() -> list[TwinDecl]:
    """Every declaration of the lab, with every twin module imported."""
    load_all()
    return list(REGISTRY)


def twin_rows(name: str | None = None, revision: str | None = None) -> list[TwinRow]:
    """The index, or the rows of one C function; an unknown name is a LabInputError."""
    decls = all_decls()
    if name is not None:
        known = sorted({d.pin.function for d in decls})
        if name not in known:
            close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(close)}?" if close else \
                "; `dmabuf-lab twins` lists every modelled function"
            raise LabInputError(f"no twin mirrors C function {name!r}{hint}", field="NAME")
        decls = [d for d in decls if d.pin.function == name]
    rows = []
    for d in decls:
        for rev in decl_revisions(d) or ("(unnamed)",):
            if revision is not None and rev != revision:
                continue
            rows.append(TwinRow(d.pin.function, d.pin.path, rev, f"{d.module}:{d.qualname}",
                                f"{d.file}:{d.line}", d.pin.source, str(d.pin), d.gap or ""))
    rows.sort(key=lambda r: (r.function, _revision_order(r.revision), r.twin))
    return rows


def by_function(rows: list[TwinRow]) -> dict[str, list[TwinRow]]:
    out: dict[str, list[TwinRow]] = {}
    for r in rows:
        out.setdefault(r.function, []).append(r)
    return out


_HEX = re.compile(r"\b[0-9a-f]{12,40}\b")
_KEY = re.compile(r"\[([a-z0-9][a-z0-9.-]*)\]")


def unlisted_pins(decls, sources_text: str) -> list[str]:
    """``module:qualname: pin`` for each pin whose commit or posting docs/sources.md does not list."""
    commits = set(_HEX.findall(sources_text))
    keys = set(_KEY.findall(sources_text))
    bad = []
    for d in decls:
        p = d.pin
        if p.is_posting:
            ok = p.posting in keys
        else:
            ok = any(c.startswith(p.commit) or p.commit.startswith(c) for c in commits)
        if not ok:
            bad.append(f"{d.module}:{d.qualname}: {p}")
    return bad


def sources_path() -> Path:
    from dmabuf_lab.paths import lab_root

    return lab_root(Path(__file__).resolve().parent) / "docs" / "sources.md"
