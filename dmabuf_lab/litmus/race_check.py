"""Check a concurrent scenario's ``[races.<target>]`` verdicts against the explorer.

For each target the explorer runs every distinct interleaving; each property
gets ``always`` / ``sometimes`` / ``never``.  A target agrees when every
listed property has the listed verdict and every property not listed is
``never`` (as for findings in single-thread scenarios: the list is exact).
The searches run here, or as subtree tasks on local processes or a Dask
cluster (:mod:`dmabuf_lab.litmus.race_tasks`).
"""
from __future__ import annotations

import time
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Callable, Optional

from dmabuf_lab.tasks.executors import scheduler_address
from dmabuf_lab.tasks.engine import RunStats
from dmabuf_lab.litmus.explorer import ExploreResult, explore
from dmabuf_lab.litmus.race_tasks import explore_tasks
from dmabuf_lab.litmus.races import RaceSetupError


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

    def differences(self) -> list[tuple[str, str, str]]:
        """``(property, expected, observed)`` for each disagreement."""
        if self.error:
            return [("(run)", "explored", self.error)]
        out = []
        for prop in sorted(set(self.expected) | set(self.observed)):
            want = self.expected.get(prop, "never")
            got = self.observed.get(prop, "never")
            if want != got:
                out.append((prop, want, got))
        return out

    @property
    def ok(self) -> bool:
        return not self.differences()

    def as_dict(self) -> dict:
        r = self.result
        return {"scenario": str(self.scenario.path), "name": self.scenario.name, "target": self.target,
                "expected": self.expected, "observed": self.observed, "ok": self.ok, "error": self.error,
                "interleavings": r.executions if r else 0, "pruned": r.pruned if r else 0,
                "bound_hit": r.bound_hit if r else False, "seconds": round(self.seconds, 3)}


def check_races(scenario, revision: Optional[str] = None, **where) -> list[RaceCheck]:
    """Explore and compare every (selected) target of one concurrent scenario
    (``where`` as for :func:`check_all_races`)."""
    return check_all_races([scenario], revision, **where)


def check_all_races(scenarios, revision: Optional[str] = None, *, executor: Optional[Executor] = None,
                    scheduler: Optional[str] = None, workers: Optional[int] = None, cache=True,
                    progress: Optional[Callable[[int, int], None]] = None,
                    stats: Optional[RunStats] = None) -> list[RaceCheck]:
    """The checks of every selected target of each scenario, in order.

    By default each search runs here, whole.  Given an ``executor``, a
    ``workers`` count or a scheduler (``scheduler`` or
    ``$DMABUF_LAB_SCHEDULER``), every search is cut into subtree tasks run
    there (:func:`~dmabuf_lab.litmus.race_tasks.explore_tasks`: same
    verdicts and interleavings; the cap on interleavings applies per
    subtree); each check's ``seconds`` is then its share of the whole
    round's time.
    """
    from dmabuf_lab.litmus.runner import selected_targets

    pairs = [(sc, t) for sc in scenarios for t in selected_targets(sc, revision)]
    if executor is None and workers is None and scheduler_address(scheduler) is None:
        out = []
        for sc, t in pairs:
            t0 = time.perf_counter()
            try:
                res, err = explore(sc, t), ""
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
        props = sorted(set(c.expected) | set(c.observed))
        cells = []
        for p in props:
            got = c.observed.get(p, "never")
            want = c.expected.get(p, "never")
            cells.append(f"{p}={got}" + ("" if got == want else f" (expected {want})"))
        status = "ok" if c.ok else "MISMATCH"
        lead = f"  {c.target:<28} {n:>6} interleavings  {status:<8} "
        lines.extend(_wrapped(lead, cells or ["-"], width))
        if c.error:
            lines.append(f"      {c.error}")
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
