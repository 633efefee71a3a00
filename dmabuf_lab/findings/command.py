"""``dmabuf-lab findings [ID...] [--format text|email|json]``: what the lab found.

Lists every defect in ``data/findings.toml``, grouped by where it lives
(mainline, then each revision; within it the kernel component).  ``text``
(default) is one line per finding; ``email`` prints each as a bug report of
at most 72 columns that a developer can send as is; ``json`` is
machine-readable.  ``--where`` keeps one place (a revision name, or
``mainline`` for every mainline release).  Naming IDs prints just those.

Besides the registry, every fix between mainline releases that the fix
history finds (:mod:`dmabuf_lab.findings.fix_history`) is a finding of the
release before it; ``--fixes`` prints that history, one line per commit.
"""
from __future__ import annotations

import json
import sys

from dmabuf_lab.errors import LabInputError
from dmabuf_lab.findings.email import finding_email
from dmabuf_lab.findings.fix_findings import all_findings
from dmabuf_lab.findings.registry import groups, lives_in, load_findings


def add_arguments(parser) -> None:
    parser.add_argument("ids", nargs="*", metavar="ID", help="finding ids (default: all)")
    parser.add_argument("--format", "-f", default="text", choices=("text", "email", "json"),
                        help="text (one line each; default), email (bug reports, <= 72 columns), json")
    parser.add_argument("--where", metavar="PLACE",
                        help="only findings that live in PLACE (a revision name, or mainline for every release)")
    parser.add_argument("--fixes", action="store_true",
                        help="print the fix history: every change between mainline releases, replayed and classified")


def select(findings, ids, where):
    known = {f.id for f in findings}
    missing = [i for i in ids if i not in known]
    if missing:
        import difflib

        parts = []
        for i in missing:
            near = difflib.get_close_matches(i, sorted(known), n=1, cutoff=0.5)
            parts.append(f"{i!r}" + (f" (did you mean {near[0]!r}?)" if near else ""))
        raise LabInputError(f"unknown finding id {', '.join(parts)}; `dmabuf-lab findings` lists "
                            f"all {len(known)}", field="ID")
    out = [f for f in findings if (not ids or f.id in ids) and (where is None or lives_in(f, where))]
    if where is not None and not out:
        places = sorted({f.where for f in findings})
        raise LabInputError(f"no finding lives in {where!r}; places with findings: {places}", field="--where")
    return out


def main(args) -> int:
    from dmabuf_lab.provenance import lab_commit

    if args.fixes:
        return _print_fixes(args)
    chosen = select(all_findings(), args.ids, args.where)
    if args.format == "json":
        json.dump({"commit": str(lab_commit()), "findings": [f.as_dict() for f in chosen]},
                  sys.stdout, indent=1)
        print()
        return 0
    if args.format == "email":
        commit = lab_commit().describe()
        texts = [finding_email(f, commit) for f in chosen]
        sys.stdout.write(("\n" + "-" * 72 + "\n\n").join(texts))
        return 0
    for group, items in groups(chosen).items():
        print(f"== {group}")
        for f in items:
            print(f"  {f.id}: {f.title}")
            print(f"      {f.function}() {f.file}; {f.status}")
    print(f"\n{len(chosen)} finding(s); `dmabuf-lab findings --format email ID` prints a bug report")
    return 0


def _print_fixes(args) -> int:
    from dmabuf_lab.findings.fix_findings import found_fixes
    from dmabuf_lab.findings.fix_history import counts, counts_sentence, fix_history, table_text

    if args.ids or args.where:
        raise LabInputError("--fixes prints the whole history; it takes no ID and no --where", field="--fixes")
    rows = fix_history()
    if args.format == "json":
        ids = found_fixes(rows, load_findings())
        json.dump({"counts": counts(rows), "fixes": [dict(r.as_dict(), finding=ids.get(r.id)) for r in rows]},
                  sys.stdout, indent=1)
        print()
        return 0
    print(table_text(rows))
    print()
    import textwrap
    print(textwrap.fill(counts_sentence(rows), 72, break_on_hyphens=False))
    return 0
