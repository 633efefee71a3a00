"""The fault-injection sweep split into independent tasks.

The protocol is :func:`dmabuf_lab.litmus.runner.fault_sweep_target`'s: an
unfaulted run counts a target's allocations, then run ``i`` fails
allocation ``i``.  Here that becomes two rounds of tasks, each one run of
:func:`~dmabuf_lab.litmus.runner.run_once`:

1. :func:`baseline_run` -- one per (scenario, target);
2. :func:`faulted_run` -- one per (scenario, target, allocation index).

Tasks carry the scenario's path and text and the target's name, never
loaded objects, and return plain data.  :func:`fault_sweep` runs both
rounds through :func:`~dmabuf_lab.tasks.engine.run_tasks` and
classifies each faulted run against its baseline on the client, with the
serial sweep's own :func:`~dmabuf_lab.litmus.runner.classify_fault_run`,
so the rows are those of the serial sweep, in the same order, whatever ran
them.
"""
from __future__ import annotations

from concurrent.futures import Executor
from typing import Callable, Iterable, Optional

from dmabuf_lab.tasks.executors import lab_executor
from dmabuf_lab.litmus.task_inputs import load_scenario_ref, scenario_ref
from dmabuf_lab.tasks.engine import RunStats, Task, run_tasks
from dmabuf_lab.kmodel.runtime import Finding
from dmabuf_lab.litmus.runner import FaultRow, classify_fault_run, run_once, selected_targets
from dmabuf_lab.revisions import split_target
from dmabuf_lab.revisions.base import CANNOT_EXPRESS, NOT_AVAILABLE, Verdict

#: Cache folders (under build/cache/tasks/) of the two rounds.
BASELINE_CACHE = "fault-baseline"
FAULTED_CACHE = "fault-injected"


def _findings(v: Verdict) -> list:
    return [{"kind": f.kind, "message": f.message, "site": f.site} for f in v.findings]


def baseline_run(scenario: dict, target: str) -> dict:
    """The unfaulted run of one scenario under one target: its outcome, allocations and findings."""
    sc = load_scenario_ref(scenario)
    v = run_once(sc.fresh_topology(), sc.exporter, sc.importer, sc.steps, target)
    return {"outcome": v.outcome, "nr_allocs": v.nr_allocs, "alloc_sites": list(v.alloc_sites),
            "findings": _findings(v)}


def faulted_run(scenario: dict, target: str, index: int) -> dict:
    """The run that fails allocation ``index`` (1-based): its outcome and findings."""
    sc = load_scenario_ref(scenario)
    v = run_once(sc.fresh_topology(), sc.exporter, sc.importer, sc.steps, target, fail_nth=index)
    return {"outcome": v.outcome, "findings": _findings(v)}


def _verdict(target: str, data: dict) -> Verdict:
    rev, variant = split_target(target)
    return Verdict(rev, variant, data["outcome"], findings=[Finding(**f) for f in data["findings"]])


def sweep_runs(base: dict) -> int:
    """How many faulted runs a baseline calls for (none when the target cannot run the scenario)."""
    return 0 if base["outcome"] in (NOT_AVAILABLE, CANNOT_EXPRESS) else int(base["nr_allocs"])


def sweep_pairs(scenario, revision: Optional[str] = None) -> list[tuple]:
    """The ``(scenario, target)`` pairs :func:`~dmabuf_lab.litmus.runner.fault_sweep_scenario`
    sweeps: every selected target, none for a concurrent scenario (whose runs are explored, not
    swept)."""
    if getattr(scenario, "concurrent", False):
        return []
    return [(scenario, t) for t in selected_targets(scenario, revision)]


def fault_sweep(pairs: Iterable[tuple], *, executor: Optional[Executor] = None,
                scheduler: Optional[str] = None, workers: Optional[int] = None,
                cache=True, progress: Optional[Callable[[str], Callable[[int, int], None]]] = None,
                stats: Optional[list] = None) -> list[FaultRow]:
    """The fault sweep of each ``(scenario, target)`` pair, in the order given.

    ``scenario`` is a loaded Scenario or a path.  Where the tasks run:
    ``executor``, else :func:`~dmabuf_lab.tasks.executors.lab_executor`
    (``scheduler`` / ``$DMABUF_LAB_SCHEDULER`` / ``workers``).
    ``progress(round)`` returns the ``(done, total)`` callback of a round
    (``"baseline runs"``, ``"faulted runs"``).  ``stats``, when a list, gets
    one :class:`~dmabuf_lab.tasks.engine.RunStats` per round.
    """
    pairs = list(pairs)
    refs: dict = {}
    plan = []
    for sc, target in pairs:
        ref = refs.get(id(sc))
        if ref is None:
            ref = refs[id(sc)] = scenario_ref(sc)
        plan.append((_name(sc), ref, target))
    if executor is None:
        with lab_executor(scheduler, workers) as ex:
            return _sweep(plan, ex, cache, progress, stats)
    return _sweep(plan, executor, cache, progress, stats)


def _name(sc) -> str:
    from pathlib import Path

    return getattr(sc, "name", None) or Path(sc).stem


def _round(label, progress, stats, tasks, name, executor, cache) -> dict:
    st = RunStats()
    out = run_tasks(tasks, name=name, executor=executor, cache=cache,
                    progress=progress(label) if progress else None, stats=st)
    if stats is not None:
        stats.append(st)
    return out


def _sweep(plan, executor, cache, progress, stats) -> list[FaultRow]:
    bases = _round("baseline runs", progress, stats,
                   [Task((n,), baseline_run, {"scenario": ref, "target": t}) for n, (_, ref, t) in enumerate(plan)],
                   BASELINE_CACHE, executor, cache)
    faulted = _round("faulted runs", progress, stats,
                     [Task((n, i), faulted_run, {"scenario": ref, "target": t, "index": i})
                      for n, (_, ref, t) in enumerate(plan) for i in range(1, sweep_runs(bases[(n,)]) + 1)],
                     FAULTED_CACHE, executor, cache)
    rows = []
    for n, (name, _, target) in enumerate(plan):
        base = bases[(n,)]
        base_v = _verdict(target, base)
        sites = base["alloc_sites"]
        for i in range(1, sweep_runs(base) + 1):
            run = faulted[(n, i)]
            v = _verdict(target, run)
            site = sites[i - 1] if i - 1 < len(sites) else "?"
            rows.append(FaultRow(name, target, i, site, v.outcome, classify_fault_run(base_v, v),
                                 [str(f) for f in v.findings]))
    return rows
