"""Every distinct interleaving of a concurrent scenario, like herd7 for dma-buf lifetimes.

Stateless search: each interleaving is a fresh run
(:func:`~dmabuf_lab.litmus.races.run_interleaving`) that replays a schedule
prefix and then extends it.  Dynamic partial-order reduction (Flanagan and
Godefroid) decides where another order must be tried: after each run, for
every pair of dependent actions of different threads that are not already
ordered by happens-before and could both be runnable at once (a lock's
release and another thread's take of it cannot), the later thread is added to the backtrack set
of the point before the earlier action (every runnable thread, if it was
not runnable there).  *Sleep sets* (Godefroid) then skip what only reorders
independent actions: once the subtree of thread ``t`` is explored at a
point, ``t`` sleeps in its siblings' subtrees until some thread does an
action that depends on ``t``'s.  The search explores at least one
interleaving of every class of equivalent ones (Mazurkiewicz traces);
runs whose every runnable thread sleeps are cut short and counted as
``pruned``.  ``prune=False`` treats all actions as dependent and tries
every runnable thread at every point, i.e. every interleaving.

The search is splittable by schedule prefix: :func:`explore` walks the
subtree under ``prefix`` (entered with the sleep set ``sleep``),
:func:`split` gives a point's children with their sleep sets, and
:meth:`ExploreResult.merge` combines subtree results in the fixed order of
the children, so the merged result of a split equals the unsplit one (only
the count of ``pruned`` runs may grow).  :func:`frontier` cuts the tree
into enough subtrees (:class:`Subtree`) to share out; ``bound`` then caps
each subtree, not their sum.
"""
from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Optional

from dmabuf_lab.kmodel.sched import Op, independent
from dmabuf_lab.litmus.races import BLOCKED, Execution, run_interleaving

#: Interleavings explored per target when a scenario does not set ``max_interleavings``:
#: about a minute on a 2-core machine for a large scenario (3 threads, 18 steps: ~11 ms a run).
DEFAULT_BOUND = 5000

#: Seconds one search may run before it stops, bounded (``seconds=`` overrides; None: no limit).
DEFAULT_SECONDS = 50.0

#: A search running longer than this reports progress (``progress=``) every PROGRESS_EVERY seconds.
PROGRESS_AFTER, PROGRESS_EVERY = 3.0, 5.0

#: The verdict of a property that a search cut by its bound did not see fail: not ``never``.
NOT_SEEN = "not seen"


@dataclass
class _Node:
    enabled: list
    ops: dict
    sleep: dict
    done: list
    chosen: int
    backtrack: set = field(default_factory=set)


def _races(trace: list, stack: list, floor: int, indep) -> None:
    """Add backtrack points for every race of ``trace`` (see the module docstring)."""
    clocks: list = []
    last_of: dict = {}
    for j, (p, op) in enumerate(trace):
        mine = last_of.get(p, {})
        for i in range(j - 1, -1, -1):
            q, opi = trace[i]
            if q == p or indep(opi, op):
                continue
            if mine.get(q, -1) >= i:      # already ordered before p's action
                break
            if {opi.kind, op.kind} == {"lock", "unlock"}:
                continue                  # never both runnable: not a race
            if i >= floor:
                node = stack[i]
                if p in node.enabled:
                    node.backtrack.add(p)
                else:
                    node.backtrack.update(node.enabled)
            break
        c = dict(mine)
        for i in range(j):
            q, opi = trace[i]
            if q != p and not indep(opi, op):
                for t, v in clocks[i].items():
                    if c.get(t, -1) < v:
                        c[t] = v
        c[p] = j
        clocks.append(c)
        last_of[p] = c


def _shorter(ex, best) -> bool:
    """Whether ``ex`` replaces ``best`` as a property's shortest run: fewer transitions,
    then the smaller schedule, so serial and split searches report the same run."""
    return best is None or (len(ex.trace), ex.schedule) < (len(best.trace), best.schedule)


@dataclass
class ExploreResult:
    """What the explored interleavings showed."""

    target: str
    executions: int = 0                 # complete interleavings explored
    pruned: int = 0                     # runs cut short by sleep sets
    bound_hit: bool = False
    failing: Counter = field(default_factory=Counter)   # property -> interleavings where it failed
    shortest: dict = field(default_factory=dict)        # property -> Execution (fewest transitions)
    outcomes: dict = field(default_factory=dict)        # Execution.signature -> first Execution
    threads: list = field(default_factory=list)

    def add(self, ex: Execution) -> None:
        if ex.blocked:
            self.pruned += 1
            return
        self.executions += 1
        self.threads = ex.thread_names
        self.outcomes.setdefault(ex.signature, ex)
        for prop in ex.properties:
            self.failing[prop] += 1
            if _shorter(ex, self.shortest.get(prop)):
                self.shortest[prop] = ex

    def merge(self, other: "ExploreResult") -> "ExploreResult":
        """Fold in the result of a sibling subtree (the shortest run per property does not
        depend on the order subtrees are folded in: ties go to the smaller schedule)."""
        self.executions += other.executions
        self.pruned += other.pruned
        self.bound_hit = self.bound_hit or other.bound_hit
        self.failing.update(other.failing)
        self.threads = self.threads or other.threads
        for sig, ex in other.outcomes.items():
            self.outcomes.setdefault(sig, ex)
        for prop, ex in other.shortest.items():
            if _shorter(ex, self.shortest.get(prop)):
                self.shortest[prop] = ex
        return self

    def to_dict(self) -> dict:
        """Plain JSON data: ``outcomes`` as the list of its executions, in insertion order."""
        return {"target": self.target, "executions": self.executions, "pruned": self.pruned,
                "bound_hit": self.bound_hit, "failing": dict(self.failing),
                "shortest": {p: ex.to_dict() for p, ex in self.shortest.items()},
                "outcomes": [ex.to_dict() for ex in self.outcomes.values()], "threads": list(self.threads)}

    @classmethod
    def from_dict(cls, data) -> "ExploreResult":
        try:
            outcomes = [Execution.from_dict(ex) for ex in data["outcomes"]]
            return cls(str(data["target"]), int(data["executions"]), int(data["pruned"]),
                       bool(data["bound_hit"]), Counter({p: int(n) for p, n in data["failing"].items()}),
                       {p: Execution.from_dict(ex) for p, ex in data["shortest"].items()},
                       {ex.signature: ex for ex in outcomes}, list(data["threads"]))
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"ExploreResult: expected a dict of target, executions, pruned, bound_hit, "
                             f"failing, shortest, outcomes and threads; {type(exc).__name__}: {exc}") from None

    def verdict(self, prop: str) -> str:
        """``always`` / ``sometimes`` / ``never`` over the explored interleavings.

        A search cut by its bound proves neither ``always`` nor ``never``: a
        property it saw fail is ``sometimes``, one it did not is
        :data:`NOT_SEEN` (the interleavings left may still fail it).
        """
        n = self.failing.get(prop, 0)
        if n == 0:
            return NOT_SEEN if self.bound_hit else "never"
        return "always" if n == self.executions and not self.bound_hit else "sometimes"

    def verdict_text(self, prop: str) -> str:
        """:meth:`verdict` for people: a bounded ``not seen`` says in how many runs."""
        v = self.verdict(prop)
        return f"{v} in {self.executions}+" if v == NOT_SEEN else v

    def verdicts(self) -> dict:
        return {p: self.verdict(p) for p in sorted(self.failing)}


def _pick(cands: list, last: Optional[int]) -> int:
    """Keep running the thread that ran last when it may, else the lowest id."""
    return last if last in cands else min(cands)


def time_limit() -> Optional[float]:
    """The time bound of a search: :data:`DEFAULT_SECONDS`, or ``DMABUF_LAB_RACE_SECONDS`` from the
    environment (a number, or ``none`` for no limit, as the test suite asks so its answers do not
    depend on the machine's load)."""
    raw = os.environ.get("DMABUF_LAB_RACE_SECONDS", "").strip().lower()
    if not raw:
        return DEFAULT_SECONDS
    if raw == "none":
        return None
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"DMABUF_LAB_RACE_SECONDS: expected a number of seconds or 'none', got {raw!r}") from None


def bound_of(scenario, bound: Optional[int] = None) -> int:
    """``bound`` if given, else the scenario's ``max_interleavings``, else :data:`DEFAULT_BOUND`."""
    return bound if bound is not None else (getattr(scenario, "max_interleavings", None) or DEFAULT_BOUND)


def explore(scenario, target: str, *, prefix=(), sleep: Optional[dict] = None,
            bound: Optional[int] = None, prune: bool = True, seconds: Optional[float] = -1.0,
            progress: Optional[Callable[[ExploreResult, float], None]] = None) -> ExploreResult:
    """Explore every interleaving under ``prefix`` (thread ids chosen at the first points).

    ``sleep`` is the sleep set (tid -> Op) the subtree is entered with (from
    :func:`split`); ``bound`` caps the complete interleavings explored and
    ``seconds`` the time spent (None: no limit; by default
    :func:`time_limit`); the result says when
    either stopped the search.  ``progress(result, elapsed)`` is called
    every few seconds once the search has run for a few.
    """
    bound = bound_of(scenario, bound)
    if seconds is not None and seconds < 0:
        seconds = time_limit()
    start = last = time.monotonic()
    indep = independent if prune else (lambda a, b: False)
    prefix = list(prefix)
    res = ExploreResult(target)
    stack: list[_Node] = []

    def choose(depth, enabled, ops):
        if depth < len(stack):
            node = stack[depth]
            if node.enabled != enabled:
                raise RuntimeError(f"replay diverged at point {depth}: runnable {enabled}, "
                                   f"expected {node.enabled} (the model is not deterministic)")
            node.ops = ops
            return node.chosen
        if depth == len(prefix):
            slp = dict(sleep or {})
        elif depth < len(prefix):
            slp = {}
        else:
            p = stack[depth - 1]
            c = p.chosen
            cop = p.ops[c]
            carried = dict(p.sleep)
            for d in p.done[:-1]:
                carried[d] = p.ops[d]
            slp = {t: o for t, o in carried.items() if t != c and indep(o, cop)}
        if depth < len(prefix):
            choice = prefix[depth]
            if choice not in enabled:
                raise ValueError(f"prefix chooses thread {choice} at point {depth}; runnable: {enabled}")
            stack.append(_Node(enabled, ops, slp, [choice], choice, {choice}))
            return choice
        else:
            cands = [t for t in enabled if t not in slp]
            if not cands:
                stack.append(_Node(enabled, ops, slp, list(enabled), BLOCKED))
                return BLOCKED
            last = stack[depth - 1].chosen if depth else None
            choice = _pick(cands, last)
        node = _Node(enabled, ops, slp, [choice], choice, {choice})
        if not prune or depth < len(prefix):
            node.backtrack = set(enabled)
        stack.append(node)
        return choice

    while True:
        ex = run_interleaving(scenario, target, choose)
        res.add(ex)
        if prune:
            _races(ex.trace, stack, len(prefix), indep)
        now = time.monotonic()
        if res.executions >= bound or (seconds is not None and now - start >= seconds):
            res.bound_hit = _has_more(stack, len(prefix))
            break
        if progress is not None and now - start >= PROGRESS_AFTER and now - last >= PROGRESS_EVERY:
            last = now
            progress(res, now - start)
        # backtrack to the deepest point with an untried, awake thread
        while len(stack) > len(prefix):
            node = stack[-1]
            rest = [t for t in node.enabled if t in node.backtrack and t not in node.done
                    and t not in node.sleep]
            if rest:
                node.chosen = min(rest)
                node.done.append(node.chosen)
                break
            stack.pop()
        if len(stack) <= len(prefix):
            break
    return res


def _has_more(stack, floor: int) -> bool:
    return any(t in n.backtrack and t not in n.done and t not in n.sleep
               for n in stack[floor:] for t in n.enabled)


def split(scenario, target: str, prefix=(), sleep: Optional[dict] = None, *, prune: bool = True) -> list:
    """The children of the point reached by ``prefix``: ``[(prefix + [t], child_sleep)]``
    in the order :func:`explore` visits them.  Exploring each (with the same ``prune``)
    and merging the results in this order gives what exploring ``prefix`` itself gives:
    the same interleavings, verdicts, outcomes and shortest runs (outcomes may be met in
    another order); only ``pruned`` may grow, as every awake child is entered where the
    unsplit search may skip some."""
    indep = independent if prune else (lambda a, b: False)
    seen: dict = {}

    def choose(depth, enabled, ops):
        if depth < len(prefix):
            return prefix[depth]
        seen["enabled"], seen["ops"] = enabled, ops
        return BLOCKED

    run_interleaving(scenario, target, choose)
    if "enabled" not in seen:
        return []
    enabled, ops = seen["enabled"], seen["ops"]
    slp = dict(sleep or {})
    out, done = [], []
    cands = [t for t in enabled if t not in slp]
    order = []
    if cands:
        last = prefix[-1] if prefix else None
        first = _pick(cands, last)
        order = [first] + sorted(t for t in cands if t != first)
    for t in order:
        carried = dict(slp)
        for d in done:
            carried[d] = ops[d]
        child = {u: o for u, o in carried.items() if u != t and indep(o, ops[t])}
        out.append((list(prefix) + [t], child))
        done.append(t)
    return out


@dataclass(frozen=True)
class Subtree:
    """One subtree of the search: ``path`` is the child position taken at each split point
    (so sorting paths gives the order :func:`explore` visits them), ``prefix`` the thread
    ids chosen, ``sleep`` the sleep set it is entered with; ``leaf`` when it cannot split."""

    path: tuple
    prefix: tuple
    sleep: dict
    leaf: bool = False


def _deeper(scenario, target: str, nodes: list, prune: bool) -> list:
    """``nodes`` one split point deeper (leaves stay as they are)."""
    out = []
    for n in nodes:
        kids = [] if n.leaf else split(scenario, target, n.prefix, n.sleep, prune=prune)
        if not kids:
            out.append(Subtree(n.path, n.prefix, n.sleep, True))
        out.extend(Subtree(n.path + (i,), tuple(pre), slp) for i, (pre, slp) in enumerate(kids))
    return out


def frontier(scenario, target: str, *, at_least: int = 1, depth: Optional[int] = None,
             prune: bool = True) -> list:
    """The subtrees covering the search, in visiting order: split level by level, ``depth``
    levels deep, or until there are ``at_least`` subtrees or nothing left to split."""
    nodes = [Subtree((), (), {})]
    level = 0
    while (len(nodes) < at_least if depth is None else level < depth) and not all(n.leaf for n in nodes):
        nodes = _deeper(scenario, target, nodes, prune)
        level += 1
    return nodes


def explore_split(scenario, target: str, depth: int = 1, **kw) -> ExploreResult:
    """Explore by splitting the tree ``depth`` points deep and merging the subtrees in order."""
    total = ExploreResult(target)
    for n in frontier(scenario, target, depth=depth, prune=kw.get("prune", True)):
        total.merge(explore(scenario, target, prefix=n.prefix, sleep=n.sleep, **kw))
    return total


__all__ = ["DEFAULT_BOUND", "DEFAULT_SECONDS", "NOT_SEEN", "ExploreResult", "Op", "Subtree", "bound_of", "explore", "split", "frontier",
           "explore_split"]
