"""How the litmus suite is scored: the one function every form of the verdicts uses.

``dmabuf-lab litmus``, the 11_litmus notebook and the site all call
:func:`score_suite`, so they cannot disagree.  A single-thread scenario is
scored per target by :func:`~dmabuf_lab.litmus.runner.check_scenario`
(verdict and exact finding kinds against ``[expect]`` and ``[findings]``);
a concurrent scenario has no single run to score and is scored by the race
explorer against its ``[races.<target>]`` verdicts
(:func:`~dmabuf_lab.litmus.race_check.check_all_races`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Optional

from dmabuf_lab.litmus.runner import check_scenario


@dataclass
class SuiteResult:
    """Every check of one scoring round: single-run checks and race checks."""

    checks: list = field(default_factory=list)
    races: list = field(default_factory=list)

    @property
    def mismatches(self) -> list:
        """The checks (of either sort) that differ from their expectation."""
        return [c for c in self.checks if not c.ok] + [c for c in self.races if not c.ok]

    @property
    def total(self) -> int:
        return len(self.checks) + len(self.races)

    @property
    def scenarios(self) -> int:
        return len({c.scenario.path for c in self.checks} | {c.scenario.path for c in self.races})

    def summary_line(self) -> str:
        """The verdict of the round in one line (the last line of ``dmabuf-lab litmus``)."""
        bad = len(self.mismatches)
        if bad:
            return f"{bad} mismatch(es) in {self.total} checks over {self.scenarios} scenario(s)"
        return f"all {self.total} checks over {self.scenarios} scenario(s) agree"


def score_suite(paths: Optional[Iterable] = None, revision: Optional[str] = None, *,
                scenarios: Optional[list] = None, races: bool = True, **where) -> SuiteResult:
    """Score every scenario under ``paths`` (or the given ``scenarios``) under every
    target it names (``revision`` keeps one).  ``races=False`` leaves the concurrent
    scenarios out; ``where`` says where their searches run."""
    from dmabuf_lab.litmus.race_check import check_all_races
    from dmabuf_lab.litmus.scenario import find_scenarios, load_scenario

    if scenarios is None:
        scenarios = [load_scenario(p) for p in find_scenarios(list(paths) if paths else None)]
    result = SuiteResult()
    concurrent = []
    for sc in scenarios:
        if sc.concurrent:
            concurrent.append(sc)
        else:
            result.checks.extend(check_scenario(sc, revision))
    if races and concurrent:
        result.races.extend(check_all_races(concurrent, revision, **where))
    return result
