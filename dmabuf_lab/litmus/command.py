"""``dmabuf-lab litmus [PATH...] [--faults] [--revision R] [--json]``.

Checks every scenario (default: the repository's ``litmus/`` directory) under
every revision it names and prints a table scenario x revision -> expected
vs observed.  Exits 1 when any verdict or finding differs, after printing a
diff for each difference; 2 for a malformed scenario (the error names the
file and key).  ``--faults`` instead runs each scenario once per allocation
index, failing that allocation, and reports per revision how many injected
failures were tolerated (ok), ended clean, leaked, used freed memory (or
freed it twice / wrongly) or crashed.  Those runs are independent tasks:
they spread over local processes (``--workers``) or a Dask cluster
(``--scheduler``), and unchanged ones are read from ``build/cache/tasks``.
Concurrent scenarios are explored in this process unless ``--workers``,
``--scheduler`` or ``$DMABUF_LAB_SCHEDULER`` is given; then each search is
cut into subtree tasks that run there the same way.
"""
from __future__ import annotations

import json
import sys
import textwrap
from collections import Counter, defaultdict

from dmabuf_lab.tasks.executors import SCHEDULER_ENV
from dmabuf_lab.litmus.runner import FAULT_CLASSES, check_scenario
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
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="print the full-width table (no abbreviations) and each run's kernel path; "
                             "-vv also the calls that build the topology")
    parser.add_argument("--list", action="store_true",
                        help="list the revisions (variants, bugs) and which drivers each can express")
    where = parser.add_argument_group("where --faults and the race explorer run "
                                      "(see README: Running on a Dask cluster)")
    where.add_argument("--scheduler", metavar="ADDRESS", default=None,
                       help="Dask scheduler to run the fault sweep's and the race explorer's tasks on, "
                            f"e.g. tcp://127.0.0.1:8786 (default: ${SCHEDULER_ENV}, else local processes "
                            "for --faults and this process, unsplit, for the race explorer)")
    where.add_argument("-j", "--workers", type=int, default=None, metavar="N",
                       help="local worker processes (default: one per CPU for --faults; "
                            "0: in this process); given, the race explorer splits its searches into tasks")
    where.add_argument("--no-cache", action="store_true",
                       help="recompute every task instead of reading build/cache/tasks")
    where.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    fmt = "  ".join("{:<%d}" % w for w in widths)
    out = [fmt.format(*header), fmt.format(*["-" * w for w in widths])]
    out += [fmt.format(*map(str, r)) for r in rows]
    return "\n".join(out)


def _fmt_findings(kinds) -> str:
    return "[" + ", ".join(kinds) + "]" if kinds else "[]"


#: The default table fits this many columns; -v prints the full-width one.
TABLE_WIDTH = 100

#: Short forms used only by the default (narrow) table; a legend names them.
SHORT_REVISIONS = {"mapping-types-2025-10": "mt-2025-10", "mapping-types-2026-02": "mt-2026-02", "mapping-types-2026-03": "mt-2026-03", "mapping-types-2026-05": "mt-2026-05",
                   "mainline-6.19": "ml-6.19", "mainline-7.1": "ml-7.1", "mainline-7.2": "ml-7.2",
                   "mainline-7.3-rc6": "ml-7.3-rc6"}
SHORT_FINDINGS = {"use-after-free": "uaf", "use-after-revoke": "after-revoke", "double-free": "dbl-free",
                  "mistranslation": "mistrans", "overstated-segment": "overstated",
                  "uninitialised": "uninit", "no-mapping": "no-map",
                  "unowned-resource": "unowned-res"}


def _cut(text: str, width: int) -> str:
    """``text`` cut to ``width`` columns, marking the cut with '~'."""
    return text if len(text) <= width else text[:width - 1] + "~"


def short_target(target: str) -> str:
    """``mapping-types-2026-02:fixed`` -> ``mt-2026-02:fixed`` (other names unchanged)."""
    rev, sep, variant = target.partition(":")
    return SHORT_REVISIONS.get(rev, rev) + sep + variant


def _short_findings(kinds) -> str:
    return ",".join(SHORT_FINDINGS.get(k, k) for k in kinds) if kinds else "-"


def _findings_cell(c) -> str:
    """Observed findings, short; '!' in front when they are not the expected ones."""
    kinds = c.verdict.finding_kinds
    if c.findings_ok:
        return _short_findings(kinds)
    return "!" + (_short_findings(kinds) if kinds else "(none)")


def narrow_table(checks, width: int = TABLE_WIDTH) -> str:
    """The default ``litmus`` table: one heading line per scenario, one row per target.

    The heading is the scenario name and as much of its question as fits;
    rows show the target (long revision names shortened, see the legend),
    the expected verdict, the observed one (``=`` when they agree), the
    findings observed and ok/MISMATCH.  Cells that would push a line past
    ``width`` columns are cut with ``~``; ``-v`` and ``--json`` keep
    everything.
    """
    def col(title, cells, cap):
        return min(max([len(title)] + [len(x) for x in cells]), cap)

    ew = col("expected", [c.expected or "(any)" for c in checks], 14)
    ow = col("observed", [c.verdict.outcome for c in checks if not c.outcome_ok], 14)
    fw = col("findings", [_findings_cell(c) for c in checks], 24)
    sw = col("status", ["ok" if c.ok else "MISMATCH" for c in checks], 8)
    tw = col("scenario / revision", [short_target(c.target) for c in checks],
             max(20, width - (2 + 2 + ew + 2 + ow + 2 + fw + 2 + sw)))
    fmt = "  {:<%d}  {:<%d}  {:<%d}  {:<%d}  {:<%d}" % (tw, ew, ow, fw, sw)
    out = [fmt.format("scenario / revision", "expected", "observed", "findings", "status").rstrip(),
           "  " + "-" * (tw + ew + ow + fw + sw + 8)]
    used_rev, used_find = set(), set()
    last = None
    for c in checks:
        if c.scenario.path != last:
            last = c.scenario.path
            head = c.scenario.name
            rest = width - len(head) - 3
            if rest > 10:
                head += " - " + _cut(c.scenario.question, rest)
            out.append(_cut(head, width))
        rev = split_target(c.target)[0]
        if rev in SHORT_REVISIONS:
            used_rev.add(rev)
        used_find.update(k for k in c.verdict.finding_kinds if k in SHORT_FINDINGS)
        exp = c.expected if c.expected is not None else "(any)"
        obs = "=" if c.expected is not None and c.outcome_ok else c.verdict.outcome
        finds = _findings_cell(c)
        out.append(fmt.format(_cut(short_target(c.target), tw), _cut(exp, ew), _cut(obs, ow),
                              _cut(finds, fw), "ok" if c.ok else "MISMATCH").rstrip())
    legend = [f"{SHORT_REVISIONS[r]} = {r}" for r in SHORT_REVISIONS if r in used_rev]
    legend += [f"{SHORT_FINDINGS[k]} = {k}" for k in SHORT_FINDINGS if k in used_find]
    if legend:
        out.append("")
        out.extend(_wrap("legend: ", legend, width))
    out.extend(_wrap("", ["observed '=': as expected", "findings '!': not the expected ones (see the diff)",
                          "-v: the full table and the traces"], width))
    return "\n".join(out)


def _wrap(prefix: str, items: list, width: int) -> list:
    lines, cur = [], prefix
    for i, item in enumerate(items):
        piece = item + (";" if i < len(items) - 1 else "")
        if len(cur) + len(piece) + 1 > width and cur.strip():
            lines.append(cur.rstrip())
            cur = " " * len(prefix)
        cur += piece + " "
    lines.append(cur.rstrip())
    return lines


def _config_of(c) -> dict:
    from dmabuf_lab.revisions.kconfig import spec_config

    return spec_config(c.scenario.exporter, c.scenario.importer)


def _default_config() -> dict:
    from dmabuf_lab.revisions.kconfig import KCONFIG_DEFAULTS

    return dict(KCONFIG_DEFAULTS)


def print_explanation(c, construction: bool = False) -> None:
    """The -v block of one check: assumptions, the trace, the kernel path, the
    addresses handed over and each finding's kernel call chain."""
    from dmabuf_lab.revisions.kconfig import kconfig_text, kernel_of
    from dmabuf_lab.litmus.explain import explain_run, render, wrap_lines
    from dmabuf_lab.litmus.runner import run_once

    sc = c.scenario
    print(f"\n# {sc.name} [{c.target}]")
    print("\n".join(wrap_lines([f"  kernel: {kernel_of(c.target)}; topology: {sc.topology_ref}"])))
    print(textwrap.fill(f"config: {kconfig_text(_config_of(c))}", TABLE_WIDTH, initial_indent="  ",
                        subsequent_indent="    ", break_on_hyphens=False))
    for line in c.verdict.trace:
        print("  " + line)
    verdict, ex = explain_run(lambda: run_once(sc.fresh_topology(), sc.exporter, sc.importer, sc.steps,
                                               c.target), construction=construction)
    print("\n".join(render(verdict, ex)))


def _check_revision_arg(rev: str | None) -> None:
    from dmabuf_lab.errors import LabInputError

    if rev is None:
        return
    name, variant = split_target(rev)
    if name not in REVISIONS:
        from dmabuf_lab.revisions import unknown_revision
        raise LabInputError(unknown_revision(name), field="--revision")
    if ":" in rev:
        from dmabuf_lab.revisions import RevisionNotAvailable, get_revision

        try:
            known = get_revision(name).variants
        except RevisionNotAvailable:
            return
        if variant not in known:
            raise LabInputError(f"revision {name!r} has no variant {variant!r}; known: {list(known)}",
                                field="--revision")


def raise_nothing_checked(args) -> None:
    """No scenario names the selected revision: say so instead of "all 0 checks agree"."""
    from dmabuf_lab.errors import LabInputError

    count = len(find_scenarios(args.paths))
    raise LabInputError(f"nothing checked: none of the {count} scenario(s) names revision {args.revision!r} "
                        "under [expect] or [findings]", field="--revision" if args.revision else "PATH")


def run_checks(paths, revision=None, races=None, **where):
    """Load every scenario and check it; returns the list of Checks.

    Concurrent scenarios are explored instead and their
    :class:`~dmabuf_lab.litmus.race_check.RaceCheck` results appended to
    ``races`` when a list is given (skipped otherwise); ``where`` says where
    those searches run.  The scoring is :func:`~dmabuf_lab.litmus.scoring.score_suite`'s."""
    from dmabuf_lab.litmus.scoring import score_suite

    result = score_suite(paths, revision, races=races is not None, **where)
    if races is not None:
        races.extend(result.races)
    return result.checks


def _print_races(races, verbose: bool) -> None:
    from dmabuf_lab.litmus.race_check import race_table
    from dmabuf_lab.litmus.race_trace import format_trace

    print("\nconcurrent scenarios: every interleaving (always / sometimes / never per property)")
    print(race_table(races))
    for c in races:
        if c.result is None:
            continue
        show = [p for p, v in c.observed.items() if v != "never"]
        if not (verbose or not c.ok):
            continue
        for p in show:
            ex = c.result.shortest[p]
            print(f"\n# {c.scenario.name} [{c.target}] {p}: shortest interleaving "
                  f"({len(ex.trace)} transitions)")
            print("  " + ex.properties[p])
            print(format_trace(ex))
    n = sum(c.result.executions for c in races if c.result)
    secs = sum(c.seconds for c in races)
    print(f"\n{n} interleavings explored over {len({c.scenario.path for c in races})} concurrent "
          f"scenario(s), {len(races)} target(s), in {secs:.1f} s")


def _main_list() -> int:
    from dmabuf_lab.drivers.registry import table
    from dmabuf_lab.revisions import RevisionNotAvailable, get_revision
    from dmabuf_lab.revisions.releases import files_read_at, load_releases

    table_of_releases = load_releases()
    release_names = {r.name for r in table_of_releases.releases}
    for name in REVISIONS:
        try:
            rev = get_revision(name)
        except RevisionNotAvailable:
            print(f"{name}: (not in this tree)")
            continue
        print(f"{name}: {rev.title} ({rev.date}); docs/sources.md [{rev.source or '-'}]")
        print(f"    {rev.patch}")
        print(f"    variants: {', '.join(rev.variants)}")
        for bug, what in rev.bugs.items():
            print(f"    bug {bug}: {what}")
        if name in release_names:
            for path, read in files_read_at(name, table_of_releases):
                print(f"    file {path}: {read}")
    print()
    rows = [[d, role] + ["x" if r in revs else "." for r in REVISIONS] for (d, role), revs in table().items()]
    print(_table(rows, ["driver", "role"] + list(REVISIONS)))
    return 0


def _check_workers(args):
    """``--workers``, refused when negative."""
    from dmabuf_lab.errors import LabInputError

    workers = getattr(args, "workers", None)
    if workers is not None and workers < 0:
        raise LabInputError(f"expected 0 (this process) or a positive number of workers, got {workers}",
                            field="--workers")
    return workers


def _race_where(args) -> dict:
    """Where the concurrent scenarios' searches run: here unless ``--scheduler``,
    ``$DMABUF_LAB_SCHEDULER`` or ``--workers`` says otherwise."""
    from dmabuf_lab.tasks.executors import scheduler_address
    from dmabuf_lab.tasks.engine import TextProgress

    workers = _check_workers(args)
    scheduler = getattr(args, "scheduler", None)
    quiet = getattr(args, "quiet", False) or getattr(args, "json", False)
    if workers is None and scheduler_address(scheduler) is None:
        return {"search_progress": not quiet}
    return {"scheduler": scheduler, "workers": workers, "cache": not getattr(args, "no_cache", False),
            "progress": None if quiet else TextProgress("race exploration, subtrees")}


def main(args) -> int:
    _check_revision_arg(args.revision)
    if getattr(args, "list", False):
        return _main_list()
    if args.faults:
        return _main_faults(args)
    races: list = []
    checks = run_checks(args.paths, args.revision, races, **_race_where(args))
    if not checks and not races:
        raise_nothing_checked(args)
    bad = [c for c in checks if not c.ok]
    bad_races = [c for c in races if not c.ok]
    if args.json:
        json.dump({"checks": [c.as_dict() for c in checks], "races": [c.as_dict() for c in races],
                   "mismatches": len(bad) + len(bad_races)}, sys.stdout, indent=1)
        print()
        return 1 if bad or bad_races else 0

    if checks and args.verbose:
        rows = []
        for c in checks:
            exp = c.expected if c.expected is not None else "(any)"
            want = "" if c.findings_ok else " (expected " + _fmt_findings(c.expected_findings or ()) + ")"
            rows.append([c.scenario.name, c.target, exp, c.verdict.outcome,
                         _fmt_findings(c.verdict.finding_kinds) + want, "ok" if c.ok else "MISMATCH"])
        print(_table(rows, ["scenario", "revision", "expected", "observed", "findings", "status"]))
    elif checks:
        print(narrow_table(checks))
    if args.verbose:
        for c in checks:
            print_explanation(c, construction=args.verbose >= 2)
    if checks:
        from dmabuf_lab.revisions.kconfig import assumptions_lines

        print()
        print("\n".join(assumptions_lines(
            [c.target for c in checks], sorted({c.scenario.topology_ref for c in checks}),
            variant_note="as named per row (posted = as published)")))
        configured = sorted({c.scenario.name for c in checks if _config_of(c) != _default_config()})
        if configured:
            print("\n".join(_wrap("  config set by the scenario in: ", configured, TABLE_WIDTH)))
    nscen = len({c.scenario.path for c in checks})
    for c in checks:
        if c.depends_on:
            print("\n" + textwrap.fill(c.depends_text(), TABLE_WIDTH, subsequent_indent="  "))
    if races:
        _print_races(races, args.verbose)
    from dmabuf_lab.litmus.scoring import SuiteResult

    result = SuiteResult(checks, races)
    if bad or bad_races:
        for c in bad:
            print()
            print("\n".join(c.diff()))
        print("\n" + result.summary_line())
        return 1
    print("\n" + result.summary_line())
    return 0


def _main_faults(args) -> int:
    from dmabuf_lab.tasks.executors import describe
    from dmabuf_lab.tasks.engine import TextProgress
    from dmabuf_lab.litmus.fault_tasks import fault_sweep, sweep_pairs

    _check_workers(args)
    pairs = []
    for path in find_scenarios(args.paths):
        pairs += sweep_pairs(load_scenario(path), args.revision)
    if not pairs:
        raise_nothing_checked(args)
    quiet = args.quiet or args.json
    if not quiet:
        print(f"fault sweep: {len(pairs)} scenario x revision pairs on "
              f"{describe(args.scheduler, args.workers)}", file=sys.stderr, flush=True)
    stats = []
    rows = fault_sweep(pairs, scheduler=args.scheduler, workers=args.workers, cache=not args.no_cache,
                       progress=None if quiet else (lambda what: TextProgress(f"fault sweep, {what}")),
                       stats=stats)
    if not quiet:
        runs, cached = sum(s.total for s in stats), sum(s.cached for s in stats)
        print(f"fault sweep: {runs} runs, {runs - cached} computed, {cached} from the cache, "
              f"{sum(s.seconds for s in stats):.1f} s", file=sys.stderr, flush=True)
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
