"""``dmabuf-lab twins [NAME] [--revision REV] [--json]``: which Python twin
mirrors which kernel C function, and where the C was read.

Without NAME, every C function the lab models; with NAME (a C function, e.g.
``dma_buf_phys_vec_to_sgt``), that function alone.  For each, one line per
revision that runs a twin of it: the twin (``module:qualname``, ``file:line``)
and the tree commit (``owner/repo@commit``) or the posting (its key in
docs/sources.md and the patch) it was read in, with a ``gap:`` line where
that is not exactly the tree the revision claims.
"""
from __future__ import annotations

import json
import sys

from dmabuf_lab.errors import LabInputError

from .table import by_function, twin_rows


def add_arguments(parser) -> None:
    parser.add_argument("name", nargs="?", metavar="NAME", help="a C function (default: all)")
    parser.add_argument("--revision", metavar="REV", help="only the twins REV runs")
    parser.add_argument("--json", action="store_true", help="machine-readable rows")


def format_text(rows) -> str:
    lines = []
    for function, items in by_function(rows).items():
        paths = ", ".join(dict.fromkeys(r.path for r in items))
        lines.append(f"{function}()  {paths}")
        for r in items:
            lines.append(f"  {r.revision:<24} {r.twin}  ({r.where})")
            lines.append(f"  {'':<24} read at {r.source}")
            if r.gap:
                lines.append(f"  {'':<24} gap: {r.gap}")
    return "\n".join(lines)


def main(args) -> int:
    from dmabuf_lab.revisions import canonical, is_known

    revision = None
    if args.revision is not None:
        if not is_known(args.revision):
            from dmabuf_lab.revisions import unknown_revision
            raise LabInputError(unknown_revision(args.revision), field="--revision")
        revision = canonical(args.revision)
    rows = twin_rows(args.name, revision)
    if args.json:
        json.dump([r.as_dict() for r in rows], sys.stdout, indent=1)
        print()
        return 0
    print(format_text(rows))
    functions = len({r.function for r in rows})
    print(f"\n{functions} C function(s), {len(rows)} twin row(s)")
    return 0
