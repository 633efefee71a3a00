"""``dmabuf-lab litmus [PATH...] [--faults] [--revision R] [--json]``.

Checks every scenario (default: the repository's ``litmus/`` directory) under
every revision it names and prints a table scenario x revision -> expected
vs observed.  Exits 1 when any verdict or finding differs, after printing a
diff for each difference; 2 for a malformed scenario (the error names the
file and key).  ``--faults`` instead runs each scenario once per allocation
index, failing that allocation, and reports per revision how many injected
failures were tolerated (ok), ended clean, leaked, used freed memory (or
freed it twice / wrongly) or crashed.
"""
from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict

from dmabuf_lab.litmus.runner import FAULT_CLASSES, check_scenario, fault_sweep_scenario
from dmabuf_lab.litmus.scenario import find_scenarios, load_scenario
from dmabuf_lab.revisions import REVISIONS, split_target


def add_arguments(parser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="scenario files or directories (default: the repository's litmus/)")
    parser.add_argument("--faults", action="store_true",
                        help="fault-injection sweep: fail each allocation in turn")
    parser.add_argument("--revision", metavar="R",
                        help="check only this revision (or 'revision:variant')")
    parser.add_argument("--json", action="store_true", help="print machine-readable results")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each run's trace")
    parser.add_argument("--list", action="store_true",
                        help="list the revisions (variants, bugs) and which drivers each can express")


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    fmt = "  ".join("{:<%d}" % w for w in widths)
    out = [fmt.format(*header), fmt.format(*["-" * w for w in widths])]
    out += [fmt.format(*map(str, r)) for r in rows]
    return "\n".join(out)


def _fmt_findings(kinds) -> str:
    return "[" + ", ".join(kinds) + "]" if kinds else "[]"


def _check_revision_arg(rev: str | None) -> None:
    from dmabuf_lab.errors import LabInputError

    if rev is not None and split_target(rev)[0] not in REVISIONS:
        raise LabInputError(f"unknown revision {rev!r}; known: {list(REVISIONS)}", field="--revision")


def run_checks(paths, revision=None):
    """Load every scenario and check it; returns the list of Checks."""
    checks = []
    for path in find_scenarios(paths):
        checks.extend(check_scenario(load_scenario(path), revision))
    return checks


def _main_list() -> int:
    from dmabuf_lab.drivers.registry import table
    from dmabuf_lab.revisions import RevisionNotAvailable, get_revision

    for name in REVISIONS:
        try:
            rev = get_revision(name)
        except RevisionNotAvailable:
            print(f"{name}: (not in this tree)")
            continue
        print(f"{name}: {rev.title} ({rev.date}); seed {rev.seed or '-'}")
        print(f"    {rev.patch}")
        print(f"    variants: {', '.join(rev.variants)}")
        for bug, what in rev.bugs.items():
            print(f"    bug {bug}: {what}")
    print()
    rows = [[d, role] + ["x" if r in revs else "." for r in REVISIONS] for (d, role), revs in table().items()]
    print(_table(rows, ["driver", "role"] + list(REVISIONS)))
    return 0


def main(args) -> int:
    _check_revision_arg(args.revision)
    if getattr(args, "list", False):
        return _main_list()
    if args.faults:
        return _main_faults(args)
    checks = run_checks(args.paths, args.revision)
    bad = [c for c in checks if not c.ok]
    if args.json:
        json.dump({"checks": [c.as_dict() for c in checks], "mismatches": len(bad)}, sys.stdout, indent=1)
        print()
        return 1 if bad else 0

    rows = []
    for c in checks:
        exp = c.expected if c.expected is not None else "(any)"
        rows.append([c.scenario.name, c.target, exp, c.verdict.outcome,
                     _fmt_findings(c.verdict.finding_kinds), "ok" if c.ok else "MISMATCH"])
    if rows:
        print(_table(rows, ["scenario", "revision", "expected", "observed", "findings", "status"]))
    if args.verbose:
        for c in checks:
            print(f"\n# {c.scenario.name} [{c.target}]")
            for line in c.verdict.trace:
                print("  " + line)
    nscen = len({c.scenario.path for c in checks})
    if bad:
        print()
        for c in bad:
            print("\n".join(c.diff()))
        print(f"\n{len(bad)} mismatch(es) in {len(checks)} checks over {nscen} scenario(s)")
        return 1
    print(f"\nall {len(checks)} checks over {nscen} scenario(s) agree")
    return 0


def _main_faults(args) -> int:
    rows = []
    for path in find_scenarios(args.paths):
        rows.extend(fault_sweep_scenario(load_scenario(path), args.revision))
    per_rev: dict[str, Counter] = defaultdict(Counter)
    for r in rows:
        per_rev[r.target][r.result] += 1
    if args.json:
        json.dump({"rows": [r.__dict__ for r in rows],
                   "summary": {t: dict(c) for t, c in per_rev.items()}}, sys.stdout, indent=1)
        print()
        return 0
    order = list(REVISIONS)
    targets = sorted(per_rev, key=lambda t: (order.index(split_target(t)[0]), t))
    table = [[t, sum(per_rev[t].values())] + [per_rev[t].get(k, 0) for k in FAULT_CLASSES] for t in targets]
    print(_table(table, ["revision", "injected"] + list(FAULT_CLASSES)))
    bad = [r for r in rows if r.result not in ("ok", "clean")]
    if bad:
        print("\ninjected failures that did not end clean:")
        for r in bad:
            print(f"  {r.scenario} [{r.target}] alloc #{r.index} at {r.site}: {r.result} "
                  f"(outcome {r.outcome})")
            for f in r.findings:
                print(f"      {f}")
    return 0
