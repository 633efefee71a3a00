"""The race explorer split into independent tasks, one per subtree of the search.

The client cuts each (scenario, target) search into subtrees with
:func:`~dmabuf_lab.litmus.explorer.frontier` -- until there are at least
:data:`SUBTREES` of them, or nothing left to split -- and runs
:func:`explore_subtree` on each through
:func:`~dmabuf_lab.tasks.engine.run_tasks` (cache folder
``race-explore``).  A task's key is ``(n, path)``: the pair's index and the
child positions leading to the subtree, so sorting the keys gives the order
the serial search visits the subtrees in, and folding the results with
:meth:`~dmabuf_lab.litmus.explorer.ExploreResult.merge` in that order gives
the serial result whatever ran the tasks: the same interleavings, verdicts,
outcomes and shortest runs (the order outcomes are first met in, and the
run kept to show each, may differ: a split point's children are entered in
a fixed order, the serial search takes them as its backtracking adds them).  Only ``pruned`` may be
larger than the unsplit search's, since each awake child of a split point
is entered.  The cut does not depend on the executor or its number of
workers, so neither does any field of the result, ``pruned`` included.

The explorer's time limit (:data:`~dmabuf_lab.litmus.explorer.DEFAULT_SECONDS`)
applies to each subtree as well.  ``bound`` caps the interleavings of each
subtree, not of the whole search:
a split search may explore up to ``bound`` times its number of subtrees.
The merged result says ``bound_hit`` when any subtree hit the cap.
"""
from __future__ import annotations

from concurrent.futures import Executor
from typing import Callable, Iterable, Optional

from dmabuf_lab.tasks.executors import lab_executor
from dmabuf_lab.litmus.task_inputs import load_scenario_ref, scenario_ref
from dmabuf_lab.tasks.engine import RunStats, Task, run_tasks
from dmabuf_lab.kmodel.sched import Op
from dmabuf_lab.litmus.explorer import ExploreResult, bound_of, explore, frontier
from dmabuf_lab.litmus.races import RaceSetupError

#: Cache folder (under build/cache/tasks/) of the subtree explorations.
EXPLORE_CACHE = "race-explore"

#: Subtrees each search is cut into at least: enough to keep a few workers busy
#: when subtrees are uneven, and fixed, so that the result is the same on any executor.
SUBTREES = 16


def sleep_to_dict(sleep: dict) -> dict:
    """A sleep set (tid -> Op) as plain JSON."""
    return {str(tid): op.to_dict() for tid, op in sleep.items()}


def sleep_from_dict(data: dict) -> dict:
    return {int(tid): Op.from_dict(op) for tid, op in data.items()}


def explore_subtree(scenario: dict, target: str, prefix: list, sleep: dict, bound: int,
                    prune: bool) -> dict:
    """Worker side: explore the subtree under ``prefix`` entered with ``sleep``.

    Returns :meth:`ExploreResult.to_dict`, or ``{"error": ...}`` when the
    target cannot run the scenario (as the serial check reports it).
    """
    sc = load_scenario_ref(scenario)
    try:
        res = explore(sc, target, prefix=[int(t) for t in prefix], sleep=sleep_from_dict(sleep),
                      bound=int(bound), prune=bool(prune))
    except RaceSetupError as exc:
        return {"error": str(exc)}
    return res.to_dict()


def explore_tasks(pairs: Iterable[tuple], *, executor: Optional[Executor] = None,
                  scheduler: Optional[str] = None, workers: Optional[int] = None, cache=True,
                  bound: Optional[int] = None, prune: bool = True, subtrees: Optional[int] = None,
                  progress: Optional[Callable[[int, int], None]] = None,
                  stats: Optional[RunStats] = None) -> list:
    """Explore each ``(scenario, target)`` pair as subtree tasks; per pair, in the order given,
    its merged :class:`ExploreResult` or the :class:`RaceSetupError` that stopped it.

    Where the tasks run: ``executor``, else
    :func:`~dmabuf_lab.tasks.executors.lab_executor` (``scheduler`` /
    ``$DMABUF_LAB_SCHEDULER`` / ``workers``).  ``subtrees``: how many
    subtrees to cut each search into at least (default :data:`SUBTREES`,
    whatever the executor).  ``bound`` applies per subtree (see the module docstring).
    ``progress(done, total)`` counts subtrees.
    """
    pairs = list(pairs)
    if executor is None:
        with lab_executor(scheduler, workers) as ex:
            return _explore(pairs, ex, cache, bound, prune, subtrees, progress, stats)
    return _explore(pairs, executor, cache, bound, prune, subtrees, progress, stats)


def _explore(pairs, executor, cache, bound, prune, subtrees, progress, stats) -> list:
    want = subtrees or SUBTREES
    refs: dict = {}
    tasks, out = [], []
    for n, (sc, target) in enumerate(pairs):
        try:
            nodes = frontier(sc, target, at_least=want, prune=prune)
        except RaceSetupError as exc:
            out.append(exc)
            continue
        out.append(None)
        ref = refs.get(id(sc))
        if ref is None:
            ref = refs[id(sc)] = scenario_ref(sc)
        cap = bound_of(sc, bound)
        tasks += [Task((n, node.path), explore_subtree,
                       {"scenario": ref, "target": target, "prefix": list(node.prefix),
                        "sleep": sleep_to_dict(node.sleep), "bound": cap, "prune": prune})
                  for node in nodes]
    values = run_tasks(tasks, name=EXPLORE_CACHE, executor=executor, cache=cache, progress=progress,
                       stats=stats)
    for (n, _path), value in values.items():
        if isinstance(out[n], RaceSetupError):
            continue
        if "error" in value:
            out[n] = RaceSetupError(value["error"])
            continue
        part = ExploreResult.from_dict(value)
        out[n] = part if out[n] is None else out[n].merge(part)
    return out


def explore_distributed(scenario, target: str, **where) -> ExploreResult:
    """One search as subtree tasks (see :func:`explore_tasks`); raises :class:`RaceSetupError`."""
    (res,) = explore_tasks([(scenario, target)], **where)
    if isinstance(res, RaceSetupError):
        raise res
    return res


__all__ = ["EXPLORE_CACHE", "SUBTREES", "explore_subtree", "explore_tasks", "explore_distributed",
           "sleep_to_dict", "sleep_from_dict"]
