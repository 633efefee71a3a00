"""``dmabuf-lab diff REV_A REV_B [PATH...] [--json]``: what changed between two revisions.

Runs every scenario (default: the repository's ``litmus/``) under both
revisions, whether or not the scenario names them, and prints each one
whose verdict, findings or race verdicts differ, with what explains the
difference: the finding ids gained or lost (the ids ``dmabuf-lab findings
--format email ID`` takes) and, for an errno, the kernel function that
returned it and why.  A revision is a name as ``dmabuf-lab litmus --list``
gives it, or ``revision:variant``.  A scenario one side cannot express is
diffed only where its file states ``cannot-express`` for that revision
(the release has no such interface: that is an answer, e.g. an exporter
that first appears in the newer release); otherwise the lab has merely
not written that side, and the scenario is counted and named at the end,
not diffed.

    dmabuf-lab diff mainline-6.19 mainline-7.3-rc6
    dmabuf-lab diff mapping-types-2026-02 mapping-types-2026-02:fixed --json
"""
from __future__ import annotations

import json
import sys
import textwrap
from dataclasses import dataclass, field

from dmabuf_lab.errors import LabInputError

WIDTH = 100


def add_arguments(parser) -> None:
    parser.add_argument("rev_a", metavar="REV_A", help="the first revision (or revision:variant)")
    parser.add_argument("rev_b", metavar="REV_B", help="the second revision (or revision:variant)")
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="scenario files or directories (default: the repository's litmus/)")
    parser.add_argument("--json", action="store_true", help="print the differences as JSON")


@dataclass
class Side:
    """One scenario under one revision."""

    outcome: str
    findings: list = field(default_factory=list)     # finding ids, else kinds
    why: str = ""
    races: dict = field(default_factory=dict)        # property -> always|sometimes (never left out)

    def as_dict(self) -> dict:
        return {"outcome": self.outcome, "findings": self.findings, "why": self.why, "races": self.races}


@dataclass
class Difference:
    scenario: str
    question: str
    a: Side
    b: Side

    @property
    def explanation(self) -> list[str]:
        """What explains the difference, one short item each."""
        out = []
        gone = [f for f in self.a.findings if f not in self.b.findings]
        new = [f for f in self.b.findings if f not in self.a.findings]
        if gone:
            out.append("only in A: " + ", ".join(gone))
        if new:
            out.append("only in B: " + ", ".join(new))
        for prop in sorted(set(self.a.races) | set(self.b.races)):
            va, vb = self.a.races.get(prop, "never"), self.b.races.get(prop, "never")
            if va != vb:
                out.append(f"race {prop}: {va} -> {vb}")
        if self.a.outcome != self.b.outcome:
            for tag, side in (("A", self.a), ("B", self.b)):
                if side.why:
                    out.append(f"{tag} {side.outcome}: {side.why}")
            if not (self.a.why or self.b.why) and not (self.a.races or self.b.races):
                out.append(f"verdict {self.a.outcome} -> {self.b.outcome}")
        return out

    def as_dict(self) -> dict:
        return {"scenario": self.scenario, "question": self.question, "a": self.a.as_dict(),
                "b": self.b.as_dict(), "explanation": self.explanation}


def _check_target(target: str) -> str:
    import difflib

    from dmabuf_lab.revisions import REVISIONS, RevisionNotAvailable, get_revision, split_target

    name, variant = split_target(target)
    if name not in REVISIONS:
        from dmabuf_lab.revisions import RETIRED, unknown_revision
        if name in RETIRED:
            raise LabInputError(unknown_revision(name), field="REV")
        near = difflib.get_close_matches(name, list(REVISIONS), n=1)
        hint = f"; did you mean {near[0]!r}?" if near else f"; known: {', '.join(REVISIONS)}"
        raise LabInputError(f"unknown revision {name!r}{hint}", field="REV")
    if ":" in target:
        try:
            known = get_revision(name).variants
        except RevisionNotAvailable:
            return target
        if variant not in known:
            raise LabInputError(f"revision {name!r} has no variant {variant!r}; known: {', '.join(known)}",
                                field="REV")
    return target


def _single(sc, target: str) -> Side:
    from dmabuf_lab.litmus.ask import answer
    from dmabuf_lab.revisions.base import CANNOT_EXPRESS

    a = answer(sc, target)
    why = a.verdict.detail if a.verdict.outcome == CANNOT_EXPRESS else a.why
    return Side(a.verdict.outcome, a.labels, why or "")


def _race(sc, target: str) -> Side:
    from dmabuf_lab.litmus.explorer import explore
    from dmabuf_lab.litmus.races import RaceSetupError

    try:
        result = explore(sc, target)
    except RaceSetupError as exc:
        return Side(f"cannot-explore: {exc}")
    verdicts = {p: v for p, v in result.verdicts().items() if v != "never"}
    return Side("explored", races=verdicts)


def _stated(sc, target: str) -> str | None:
    """The outcome the scenario file's ``[expect]`` states for ``target`` (an alias read as
    the revision it stands for, ``rev:posted`` as ``rev``), or None where it states none."""
    from dmabuf_lab.revisions import POSTED, split_target

    name, variant = split_target(target)
    keys = [f"{name}:{variant}"] + ([name] if variant == POSTED else [])
    return next((sc.expect[k] for k in keys if k in sc.expect), None)


def _unexpressed(sc, side: Side, target: str) -> bool:
    """True when ``target`` gives no answer to compare: it cannot run the scenario and the
    file does not state that it cannot (a stated ``cannot-express`` is an answer)."""
    from dmabuf_lab.revisions.base import CANNOT_EXPRESS, NOT_AVAILABLE

    if side.outcome == CANNOT_EXPRESS and _stated(sc, target) == CANNOT_EXPRESS:
        return False
    return side.outcome in (CANNOT_EXPRESS, NOT_AVAILABLE) or side.outcome.startswith("cannot-explore")


def diff(rev_a: str, rev_b: str, paths=None) -> tuple[list[Difference], list[str], int]:
    """``(differences, scenarios one side cannot express and the file does not say so,
    scenarios compared)``."""
    from dmabuf_lab.litmus.scenario import find_scenarios, load_scenario

    out, skipped, n = [], [], 0
    for path in find_scenarios(list(paths) if paths else None):
        sc = load_scenario(path)
        run = _race if sc.concurrent else _single
        a, b = run(sc, rev_a), run(sc, rev_b)
        n += 1
        if _unexpressed(sc, a, rev_a) or _unexpressed(sc, b, rev_b):
            if (a.outcome, a.races) != (b.outcome, b.races):
                skipped.append(sc.name)
            continue
        if (a.outcome, sorted(a.findings), a.races) != (b.outcome, sorted(b.findings), b.races):
            out.append(Difference(sc.name, sc.question, a, b))
    return out, skipped, n


def _side_text(side: Side) -> str:
    if side.races:
        return "; ".join(f"{p}={v}" for p, v in sorted(side.races.items()))
    if side.outcome == "explored":
        return "no race property"
    return side.outcome + (" +" + ", ".join(side.findings) if side.findings else "")


def main(args) -> int:
    rev_a, rev_b = _check_target(args.rev_a), _check_target(args.rev_b)
    diffs, skipped, n = diff(rev_a, rev_b, args.paths)
    if args.json:
        json.dump({"a": rev_a, "b": rev_b, "scenarios": n, "differences": [d.as_dict() for d in diffs],
                   "not_expressed_by_one": skipped}, sys.stdout, indent=1)
        print()
        return 0
    print(f"A = {rev_a}, B = {rev_b}: {len(diffs)} of {n} scenario(s) differ")
    for d in diffs:
        print(f"\n{d.scenario}")
        for tag, side in (("A", d.a), ("B", d.b)):
            print(textwrap.fill(_side_text(side), WIDTH, initial_indent=f"  {tag}: ", subsequent_indent="     ",
                                break_on_hyphens=False, break_long_words=False))
        for item in d.explanation:
            print(textwrap.fill(item, WIDTH, initial_indent="  - ", subsequent_indent="      ",
                                break_on_hyphens=False, break_long_words=False))
    if skipped:
        print()
        print(textwrap.fill(f"{len(skipped)} scenario(s) one of the two cannot express, their files stating no such verdict (not diffed): "
                            + ", ".join(skipped), WIDTH, subsequent_indent="  ", break_on_hyphens=False,
                            break_long_words=False))
    if diffs:
        print("\nA finding id's bug report: `dmabuf-lab findings --format email ID`; one scenario "
              "under every\nrevision: `dmabuf-lab ask SCENARIO`.")
    return 0
