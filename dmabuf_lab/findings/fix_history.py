"""The fixes between mainline releases, replayed as evidence.

Every change in ``data/mainline_releases.toml`` is sorted into one of four
classes by :func:`fix_history`, the one function that makes the table:

``found``
    a scenario of the change shows, on the release that carries the defect,
    a finding of one of the general checkers the data names (or, for the
    ``errno`` checker, an errno the fixed code does not return) and does not
    show it on the release that first has the fix;
``not expressible``
    the data says no checker of the lab can see it, and why;
``missing``
    no scenario replays it yet;
``disagrees``
    its scenarios exist but none shows the defect going away.

A change's scenarios are the files its ``litmus`` field names plus every
``litmus/fix-<id>-*.toml``.  They are scored by the litmus suite's own path
(:func:`dmabuf_lab.litmus.scoring.score_suite`), one target at a time, so a
verdict here is the verdict ``dmabuf-lab litmus`` prints.  A scenario that
does not name the release before or after the fix shows nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

FOUND = "found"
NOT_EXPRESSIBLE = "not expressible"
MISSING = "missing"
DISAGREES = "disagrees"
#: The classes, in the order the table and the counts give them.
CLASSES = (FOUND, NOT_EXPRESSIBLE, MISSING, DISAGREES)

#: Which observed finding kinds (kmodel kinds and race properties) each checker
#: name of the release data stands for; ``errno`` is judged on the verdict.
CHECKER_SEES = {
    "refcount": ("warn",),
    "hang": ("lock", "deadlock"),
    "lock": ("lock", "lock-assert"),
    "use-after-revoke": ("use-after-revoke", "map-after-revoke"),
}


def seen_kinds(checker: str) -> tuple[str, ...]:
    """The finding kinds and race properties that count as ``checker`` seeing its defect."""
    return CHECKER_SEES.get(checker, (checker,))


@dataclass(frozen=True)
class Observation:
    """One scenario under one target, as the scoring path saw it.

    ``outcome`` is the verdict (a mapping kind, an errno, ``crash``...) of a
    single-thread scenario, or ``explored`` for a concurrent one; ``kinds``
    are the finding kinds (single thread) or the race properties that
    failed in some interleaving (concurrent); ``named`` is False when the
    scenario does not check that target (then nothing was run).
    """
    target: str
    outcome: str = ""
    kinds: tuple[str, ...] = ()
    named: bool = True
    agrees: bool = True

    def text(self) -> str:
        if not self.named:
            return f"{self.target}: not checked by the scenario"
        body = ", ".join(self.kinds) if self.kinds else "no finding"
        if self.outcome and self.outcome != "explored":
            body = f"{self.outcome}; {body}"
        return f"{self.target}: {body}"


@dataclass(frozen=True)
class Replay:
    """One scenario of one change: before and after, and what it shows."""
    scenario: str
    before: Observation
    after: Observation
    shown: tuple[str, ...]      # the checkers that see the defect before and not after

    @property
    def shows(self) -> bool:
        return bool(self.shown)


@dataclass(frozen=True)
class FixRow:
    """One change of the release data and its class."""
    change: object              # dmabuf_lab.revisions.releases.Change
    status: str
    before: str = ""            # the target carrying the defect
    after: str = ""             # the first release with the change
    replays: tuple[Replay, ...] = ()
    reason: str = ""

    @property
    def id(self) -> str:
        return self.change.id

    @property
    def scenarios(self) -> tuple[str, ...]:
        return tuple(r.scenario for r in self.replays)

    @property
    def showing(self) -> tuple[Replay, ...]:
        return tuple(r for r in self.replays if r.shows)

    def checkers(self) -> str:
        c = self.change
        return ", ".join(c.checkers) if c.expressible else "-"

    def as_dict(self) -> dict:
        c = self.change
        return {"commit": c.id, "subject": c.subject, "first_release": c.first_release,
                "status": self.status, "before": self.before, "after": self.after,
                "checkers": list(c.checkers), "cve": c.cve, "reason": self.reason,
                "scenarios": [{"scenario": r.scenario, "shown": list(r.shown),
                               "before": r.before.text(), "after": r.after.text()} for r in self.replays]}


def _repo_root() -> Path:
    from dmabuf_lab.litmus.scenario import default_litmus_dir
    return default_litmus_dir().parent


def scenarios_of(change, litmus_dir: Optional[Path] = None) -> list[Path]:
    """The change's scenario files: its ``litmus`` list, then ``fix-<id>-*.toml`` found in
    ``litmus_dir`` (default: the repository's ``litmus/``), each once."""
    from dmabuf_lab.litmus.scenario import default_litmus_dir

    root = _repo_root()
    litmus_dir = Path(litmus_dir) if litmus_dir else default_litmus_dir()
    out = [root / p for p in change.litmus]
    out += sorted(litmus_dir.glob(f"fix-{change.id[:12]}-*.toml"))
    seen, unique = set(), []
    for p in out:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique


def targets_of(change, order: Iterable[str]) -> tuple[str, str]:
    """``(before, after)``: the target that carries the defect (the change's
    ``defect_target``, else the release just before its first) and its first release."""
    order = list(order)
    after = change.first_release
    if change.defect_target:
        return change.defect_target, after
    i = order.index(after)
    return (order[i - 1] if i else ""), after


def _exact(target: str) -> str:
    """The target as the scoring path's filter takes it: a bare name means the posted variant."""
    from dmabuf_lab.revisions import POSTED

    return target if ":" in target else f"{target}:{POSTED}"


def observe(scenario, target: str, **where) -> Observation:
    """``scenario`` under ``target`` through :func:`score_suite` (one target, exact variant)."""
    from dmabuf_lab.litmus.scoring import score_suite

    result = score_suite(scenarios=[scenario], revision=_exact(target), **where)
    if result.checks:
        c = result.checks[0]
        return Observation(target, c.verdict.outcome, tuple(c.verdict.finding_kinds), True, c.ok)
    if result.races:
        r = result.races[0]
        if r.error:
            return Observation(target, f"cannot explore: {r.error}", (), True, r.ok)
        failed = tuple(sorted(p for p, v in r.observed.items() if v in ("always", "sometimes")))
        return Observation(target, "explored", failed, True, r.ok)
    return Observation(target, named=False)


def _is_errno(outcome: str) -> bool:
    return outcome.startswith("-E")


def shown_by(checkers: Iterable[str], before: Observation, after: Observation) -> tuple[str, ...]:
    """The checkers that see a defect in ``before`` and not in ``after``.

    ``errno``: the release before returns an errno the fixed code does not
    (the verdicts differ).  Any other checker: one of its kinds is in
    ``before`` and none of its kinds is in ``after``.
    """
    if not (before.named and after.named):
        return ()
    out = []
    for checker in checkers:
        if checker == "errno":
            if _is_errno(before.outcome) and before.outcome != after.outcome:
                out.append(checker)
            continue
        kinds = set(seen_kinds(checker))
        if kinds & set(before.kinds) and not kinds & set(after.kinds):
            out.append(checker)
    return tuple(out)


def replay(change, path: Path, before: str, after: str, **where) -> Replay:
    """Run one scenario file of ``change`` on ``before`` and ``after``."""
    from dmabuf_lab.litmus.scenario import load_scenario

    sc = load_scenario(path)
    b, a = observe(sc, before, **where), observe(sc, after, **where)
    try:
        name = str(Path(path).resolve().relative_to(_repo_root()))
    except ValueError:
        name = str(path)
    return Replay(name, b, a, shown_by(change.checkers, b, a))


def classify(change, scenarios: list[Path], before: str, after: str, **where) -> FixRow:
    """The row of one change, given its scenario files and the two targets."""
    if not change.expressible:
        reason = change.reason + (f" (needs: {change.needed})" if change.needed else "")
        if scenarios:
            reason += ("; scenarios exist (" + ", ".join(p.name for p in scenarios)
                       + ") but the release data names no checker to judge them by")
        return FixRow(change, NOT_EXPRESSIBLE, before, after, (), reason)
    if not scenarios:
        return FixRow(change, MISSING, before, after, (),
                      f"no scenario yet (litmus/fix-{change.id[:12]}-*.toml)")
    if not before:
        return FixRow(change, DISAGREES, before, after, (),
                      f"no target before {after} carries the defect; set defect_target in the data")
    replays = tuple(replay(change, p, before, after, **where) for p in scenarios)
    if any(r.shows for r in replays):
        shown = sorted({c for r in replays for c in r.shown})
        reason = "seen by " + ", ".join(shown)
        off = [r.scenario for r in replays if r.shows and not (r.before.agrees and r.after.agrees)]
        if off:
            reason += "; but these disagree with their own expectations (dmabuf-lab litmus): " + ", ".join(off)
        return FixRow(change, FOUND, before, after, replays, reason)
    why = "; ".join(f"{r.scenario}: {r.before.text()} / {r.after.text()}" for r in replays)
    return FixRow(change, DISAGREES, before, after, replays,
                  f"no scenario shows {', '.join(change.checkers)} on {before} and not on {after}: {why}")


def fix_history(table=None, litmus_dir: Optional[Path] = None, **where) -> list[FixRow]:
    """Every change of the release data (default ``data/mainline_releases.toml``), in data
    order, classified as :data:`FOUND`, :data:`NOT_EXPRESSIBLE`, :data:`MISSING` or
    :data:`DISAGREES`.  ``where`` goes to the scoring path (where race searches run)."""
    from dmabuf_lab.revisions.releases import RELEASE_ORDER, load_releases

    table = table if table is not None else load_releases()
    order = [r.name for r in table.releases] or list(RELEASE_ORDER)
    rows = []
    for change in table.changes:
        before, after = targets_of(change, order)
        rows.append(classify(change, scenarios_of(change, litmus_dir), before, after, **where))
    return rows


def counts(rows: list[FixRow]) -> dict[str, int]:
    """How many changes fall in each class, every class named (0 included)."""
    out = {c: 0 for c in CLASSES}
    for r in rows:
        out[r.status] += 1
    return out


def counts_sentence(rows: list[FixRow]) -> str:
    """The one sentence the README gives for the fix history."""
    n = counts(rows)
    parts = [f"{n[FOUND]} are found (a general checker sees the defect on the release before and "
             "not after)", f"{n[NOT_EXPRESSIBLE]} are not expressible", f"{n[MISSING]} have no scenario yet"]
    if n[DISAGREES]:
        parts.append(f"{n[DISAGREES]} have a scenario that does not show them")
    return (f"Of the {len(rows)} commits between 6.19 and v7.3-rc6 that changed a modelled function, "
            + ", ".join(parts[:-1]) + " and " + parts[-1] + ".")


def table_text(rows: list[FixRow], width: int = 72) -> str:
    """The table as plain text of at most ``width`` columns: one line per change,
    the reason (for the classes other than found) or the scenarios on the next."""
    import textwrap

    lines = [f"{'commit':<12}  {'first in':<16}  {'status':<15}  checkers", "-" * min(width, 72)]
    for r in rows:
        c = r.change
        head = f"{c.id[:12]:<12}  {c.first_release:<16}  {r.status:<15}  "
        lines += textwrap.wrap(r.checkers(), width, initial_indent=head, subsequent_indent=" " * len(head),
                               break_on_hyphens=False, break_long_words=True)
        detail = r.reason if r.status != FOUND or "disagree" in r.reason else ", ".join(
            s.scenario for s in r.showing)
        lines += textwrap.wrap(detail, width, initial_indent="    ", subsequent_indent="    ",
                               break_on_hyphens=False, break_long_words=True)
    return "\n".join(lines)


__all__ = ["CLASSES", "FOUND", "NOT_EXPRESSIBLE", "MISSING", "DISAGREES", "FixRow", "Replay", "Observation",
           "fix_history", "classify", "counts", "counts_sentence", "table_text", "scenarios_of",
           "targets_of", "shown_by", "seen_kinds"]
