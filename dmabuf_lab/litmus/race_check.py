"""Check a concurrent scenario's ``[races.<target>]`` verdicts against the explorer.

For each target the explorer runs every distinct interleaving; each property
gets ``always`` / ``sometimes`` / ``never``.  A target agrees when every
listed property has the listed verdict and every property not listed is
``never`` (as for findings in single-thread scenarios: the list is exact).
A search cut by its bound shows only ``sometimes``: a property it did not
see fail is ``not seen``, which never agrees with ``never`` (nor does its
``sometimes`` with ``always``), so a bounded check fails and says so.
The searches run here, or as subtree tasks on local processes or a Dask
cluster (:mod:`dmabuf_lab.litmus.race_tasks`).
"""
from __future__ import annotations

import sys
import textwrap
import time
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Callable, Optional

from dmabuf_lab.tasks.executors import scheduler_address
from dmabuf_lab.tasks.engine import RunStats
from dmabuf_lab.litmus.explorer import DEFAULT_SECONDS, NOT_SEEN, ExploreResult, bound_of, explore
from dmabuf_lab.litmus.race_tasks import explore_tasks
from dmabuf_lab.litmus.races import RACE_PROPERTIES, RaceSetupError


@dataclass
class RaceCheck:
    scenario: object
    target: str
    result: Optional[ExploreResult]
    expected: dict
    seconds: float = 0.0
    error: str = ""
    observed: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.result is not None:
            self.observed = self.result.verdicts()

    @property
    def bounded(self) -> bool:
        """The search stopped at its bound: it proves no ``never`` and no ``always``."""
        return bool(self.result is not None and self.result.bound_hit)

    def properties(self) -> list[str]:
        """The properties this check speaks of: the listed and the observed ones, and,
        when the search was bounded, every race property (none of them is proven never)."""
        props = set(self.expected) | set(self.observed)
        if self.bounded:
            props |= set(RACE_PROPERTIES)
        return sorted(props)

    def verdict(self, prop: str) -> str:
        """The observed verdict of ``prop`` (``not seen`` where a bounded search missed it)."""
        if self.result is None:
            return "error"
        return self.result.verdict(prop)

    def verdict_text(self, prop: str) -> str:
        return self.result.verdict_text(prop) if self.result is not None else "error"

    def differences(self) -> list[tuple[str, str, str]]:
        """``(property, expected, observed)`` for each disagreement."""
        if self.error:
            return [("(run)", "explored", self.error)]
        out = []
        for prop in self.properties():
            want = self.expected.get(prop, "never")
            got = self.verdict(prop)
            if want != got:
                out.append((prop, want, self.verdict_text(prop)))
        return out

    def bound_note(self) -> str:
        """One line saying why a bounded search cannot agree, or "" when it was complete."""
        if not self.bounded:
            return ""
        r = self.result
        unproven = [p for p in self.properties()
                    if (self.expected.get(p, "never"), self.verdict(p)) in (("never", NOT_SEEN),
                                                                            ("always", "sometimes"))]
        if not unproven:
            return ""
        return (f"{self.scenario.path}: [races.\"{self.target}\"]: the search stopped at its bound after "
                f"{r.executions} interleavings, so it cannot show {', '.join(unproven)} as expected "
                f"(never/always need every interleaving); raise max_interleavings or cut the threads' steps")

    @property
    def ok(self) -> bool:
        return not self.differences()

    def as_dict(self) -> dict:
        r = self.result
        observed = dict(self.observed)
        if self.bounded:
            observed.update({p: NOT_SEEN for p in self.properties() if p not in observed})
        return {"scenario": str(self.scenario.path), "name": self.scenario.name, "target": self.target,
                "expected": self.expected, "observed": observed, "ok": self.ok, "error": self.error,
                "interleavings": r.executions if r else 0, "pruned": r.pruned if r else 0,
                "bound_hit": r.bound_hit if r else False, "seconds": round(self.seconds, 3)}


def check_races(scenario, revision: Optional[str] = None, **where) -> list[RaceCheck]:
    """Explore and compare every (selected) target of one concurrent scenario
    (``where`` as for :func:`check_all_races`)."""
    return check_all_races([scenario], revision, **where)


def check_all_races(scenarios, revision: Optional[str] = None, *, executor: Optional[Executor] = None,
                    scheduler: Optional[str] = None, workers: Optional[int] = None, cache=True,
                    progress: Optional[Callable[[int, int], None]] = None,
                    stats: Optional[RunStats] = None, search_progress: bool = False) -> list[RaceCheck]:
    """The checks of every selected target of each scenario, in order.

    By default each search runs here, whole.  Given an ``executor``, a
    ``workers`` count or a scheduler (``scheduler`` or
    ``$DMABUF_LAB_SCHEDULER``), every search is cut into subtree tasks run
    there (:func:`~dmabuf_lab.litmus.race_tasks.explore_tasks`: same
    verdicts and interleavings; the cap on interleavings applies per
    subtree); each check's ``seconds`` is then its share of the whole
    round's time.  ``search_progress``: a search here that runs more than
    a few seconds says how far it got, one line on stderr every few seconds.
    """
    from dmabuf_lab.litmus.runner import selected_targets

    pairs = [(sc, t) for sc in scenarios for t in selected_targets(sc, revision)]
    if executor is None and workers is None and scheduler_address(scheduler) is None:
        out = []
        for sc, t in pairs:
            t0 = time.perf_counter()
            try:
                res, err = explore(sc, t, progress=_progress_line(sc, t) if search_progress else None), ""
            except RaceSetupError as exc:
                res, err = None, str(exc)
            out.append(RaceCheck(sc, t, res, sc.races.get(t, {}), time.perf_counter() - t0, err))
        return out
    t0 = time.perf_counter()
    results = explore_tasks(pairs, executor=executor, scheduler=scheduler, workers=workers, cache=cache,
                            progress=progress, stats=stats)
    share = (time.perf_counter() - t0) / max(1, len(pairs))
    return [RaceCheck(sc, t, None if isinstance(r, RaceSetupError) else r, sc.races.get(t, {}), share,
                      str(r) if isinstance(r, RaceSetupError) else "")
            for (sc, t), r in zip(pairs, results)]


def _progress_line(sc, target: str):
    def show(res: ExploreResult, elapsed: float) -> None:
        print(f"race search {sc.name} [{target}]: {res.executions} interleavings, {res.pruned} pruned, "
              f"{elapsed:.0f} s (stops at {bound_of(sc)} interleavings or {DEFAULT_SECONDS:.0f} s)",
              file=sys.stderr, flush=True)
    return show


def race_table(checks: list[RaceCheck], width: int = 100) -> str:
    """One heading per scenario, one row per target: interleavings and each property's verdict."""
    lines = []
    last = None
    for c in checks:
        if c.scenario.path != last:
            last = c.scenario.path
            head = f"{c.scenario.name} - {c.scenario.question}"
            lines.append(head if len(head) <= width else head[:width - 1] + "~")
        r = c.result
        n = f"{r.executions}" + ("+" if r and r.bound_hit else "") if r else "-"
        props = c.properties() if r else sorted(c.expected)
        cells = []
        for p in props:
            got = c.verdict(p)
            want = c.expected.get(p, "never")
            cells.append(f"{p}={c.verdict_text(p)}" + ("" if got == want else f" (expected {want})"))
        status = "ok" if c.ok else "MISMATCH"
        lead = f"  {c.target:<28} {n:>6} interleavings  {status:<8} "
        lines.extend(_wrapped(lead, cells or ["-"], width))
        if c.error:
            lines.append(f"      {c.error}")
        note = c.bound_note()
        if note:
            lines.extend(textwrap.wrap(note, width, initial_indent="      ", subsequent_indent="      ",
                                       break_on_hyphens=False))
    return "\n".join(lines)


def _wrapped(lead: str, cells: list[str], width: int) -> list[str]:
    """``lead`` then the cells joined by "; ", continued under the first cell within ``width``."""
    out, line = [], lead
    for i, cell in enumerate(cells):
        piece = cell if i == 0 else "; " + cell
        if i and len(line) + len(piece) > width:
            out.append(line + ";")
            line, piece = " " * len(lead), cell
        line += piece
    out.append(line)
    return out


__all__ = ["RaceCheck", "check_races", "check_all_races", "race_table"]
