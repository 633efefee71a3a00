"""Fault injection: fail the n-th allocation of a run, and sweep every n.

``Kernel(fail_nth=n)`` makes the n-th allocation attempt (1-based, counted
like the kernel's ``fail-nth``) return NULL.  :func:`fault_sweep` runs a path
once to count its allocations, then once per allocation with that one
failed, and classifies what the error path did.
"""
from __future__ import annotations

import traceback
from collections import Counter
from dataclasses import dataclass, field

from .err_ptr import ErrPtr
from .errno import KernelError, errname
from .runtime import Finding, Kernel

#: Sweep outcomes, best first.
OUTCOMES = ("ok", "clean", "leak", "use-after-free", "double-free", "bad-free", "crash")


class FaultInjector:
    """Decides whether an allocation attempt fails; remembers which one did."""

    def __init__(self, fail_nth: int | None = None):
        if fail_nth is not None and (isinstance(fail_nth, bool) or int(fail_nth) < 1):
            raise ValueError(f"fail_nth must be None or >= 1, not {fail_nth!r}")
        self.fail_nth = None if fail_nth is None else int(fail_nth)
        self.injected_site: str | None = None
        self.injected_fn: str | None = None
        self.chain_filters: dict[str, int] = {}

    def fail_in(self, function: str, times: int = 1) -> None:
        """Also fail the next ``times`` allocations made while ``function`` is on
        the modelled call chain (failslab's call-chain filter, which restricts
        injection to callers between require-start and require-end)."""
        if times < 0:
            raise ValueError(f"fail_in({function!r}, times={times}): times must be >= 0")
        self.chain_filters[function] = self.chain_filters.get(function, 0) + int(times)

    def should_fail(self, nth: int, site: str, fn: str = "", chain: tuple = ()) -> bool:
        """True for the ``fail_nth``-th attempt (``nth`` counts from 1), or for an
        attempt made under a function armed with :meth:`fail_in`."""
        if self.fail_nth is not None and nth == self.fail_nth:
            self.injected_site = site
            self.injected_fn = fn
            return True
        for function, left in self.chain_filters.items():
            if left and function in chain:
                self.chain_filters[function] = left - 1
                self.injected_site = site
                self.injected_fn = fn
                return True
        return False

    @property
    def injected(self) -> bool:
        return self.injected_site is not None


def fail_nth_from_now(n: int) -> bool:
    """Arm the current run as writing ``n`` to a task's ``fail-nth`` file
    does (Documentation/fault-injection): the n-th allocation attempt from
    here on fails, 1 being the next one.  A run that is already armed (a
    fault sweep fails its own index) keeps its setting; returns whether this
    call armed it."""
    from .runtime import current_kernel

    if isinstance(n, bool) or int(n) < 1:
        raise ValueError(f"fail-nth takes a count >= 1, not {n!r}")
    k = current_kernel()
    if k.fault.fail_nth is not None:
        return False
    k.fault.fail_nth = k.nr_allocs + int(n)
    return True


@dataclass
class SweepRow:
    """One run of a sweep: ``index`` is the failed allocation (0 = unfaulted)."""

    index: int
    site: str
    outcome: str
    result: str
    findings: list[Finding] = field(default_factory=list)
    error: str = ""

    def as_dict(self) -> dict:
        return {
            "index": self.index,
            "site": self.site,
            "outcome": self.outcome,
            "result": self.result,
            "n_findings": len(self.findings),
            "finding_kinds": ",".join(sorted({f.kind for f in self.findings})),
            "findings": "; ".join(str(f) for f in self.findings),
            "error": self.error,
        }


@dataclass
class FaultSweep:
    """The table a sweep produced: ``baseline`` (unfaulted) and one row per
    allocation index 1..N in ``rows``."""

    name: str
    baseline: SweepRow
    rows: list[SweepRow]

    @property
    def n_allocs(self) -> int:
        return len(self.rows)

    def summary(self) -> dict[str, int]:
        """Count of rows per outcome (every outcome present, zeros included)."""
        c = Counter(r.outcome for r in self.rows)
        return {o: c.get(o, 0) for o in OUTCOMES}

    @property
    def all_clean(self) -> bool:
        """True when every faulted run ended "ok" or "clean"."""
        return all(r.outcome in ("ok", "clean") for r in self.rows)

    def bad_rows(self) -> list[SweepRow]:
        return [r for r in self.rows if r.outcome not in ("ok", "clean")]

    def to_rows(self, include_baseline: bool = False) -> list[dict]:
        """Plain dicts (one per run) for building a data frame elsewhere."""
        rows = ([self.baseline] if include_baseline else []) + self.rows
        return [dict(r.as_dict(), path=self.name) for r in rows]

    def render(self) -> str:
        """A plain-text table, one line per faulted allocation."""
        lines = [f"fault sweep of {self.name}: {self.n_allocs} allocations, "
                 + ", ".join(f"{o} {n}" for o, n in self.summary().items() if n)]
        for r in self.rows:
            extra = f"  {r.error}" if r.error else ""
            lines.append(f"  #{r.index:<3} {r.outcome:<15} {r.result:<12} {r.site}{extra}")
        return "\n".join(lines)

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)


def _describe_result(result) -> tuple[bool, str]:
    """(failed, text) for a path's return value."""
    if isinstance(result, ErrPtr):
        return True, repr(result)
    if isinstance(result, bool):
        return False, str(result)
    if isinstance(result, int):
        return result < 0, errname(result) if result < 0 else str(result)
    if result is None:
        return False, "None"
    return False, type(result).__name__


def run_path(path_fn, fail_nth: int | None, name: str, release=None) -> tuple[SweepRow, Kernel]:
    """Run ``path_fn(k)`` in a fresh Kernel and classify the run."""
    failed, text, error, crashed = False, "", "", False
    with Kernel(fail_nth=fail_nth, name=f"{name}#{fail_nth or 0}") as k:
        try:
            result = path_fn(k)
            failed, text = _describe_result(result)
            if not failed and release is not None:
                release(k, result)
        except KernelError as e:
            failed, text = True, e.name
            error = str(e)
        except Exception as e:  # a NULL dereference, or any other model crash
            crashed = True
            text = type(e).__name__
            tb = traceback.extract_tb(e.__traceback__)[-1]
            error = f"{type(e).__name__}: {e} ({tb.filename.rsplit('/', 1)[-1]}:{tb.lineno} {tb.name})"
    kinds = {f.kind for f in k.findings}
    if crashed:
        outcome = "crash"
    else:
        for o in ("use-after-free", "double-free", "bad-free", "leak"):
            if o in kinds:
                outcome = o
                break
        else:
            outcome = "clean" if failed else "ok"
    site = k.fault.injected_site or ("(not reached)" if fail_nth else "")
    return SweepRow(fail_nth or 0, site, outcome, text, list(k.findings), error), k


def fault_sweep(path_fn, *, name: str | None = None, release=None,
                max_faults: int | None = None) -> FaultSweep:
    """Fail each allocation of ``path_fn`` in turn and classify the outcome.

    ``path_fn(k)`` gets the run's Kernel and returns an errno int, an ERR_PTR,
    an object or None; raising KernelError is a failure too.  A negative int,
    an ERR_PTR or KernelError means the path failed; anything else that it
    succeeded.  Outcomes: "ok" (succeeded despite the fault), "clean" (failed
    with no leak / use-after-free / double or bad free), the worst of
    "use-after-free", "double-free", "bad-free", "leak", or "crash" (any other
    Python exception: AttributeError on None is a NULL dereference).
    Objects a successful path returns are leaks unless it freed them or
    ``release(k, result)`` does.  ``max_faults`` caps the indices swept.
    """
    name = name or getattr(path_fn, "__name__", "path")
    baseline, k0 = run_path(path_fn, None, name, release)
    n = k0.nr_allocs if max_faults is None else min(k0.nr_allocs, max_faults)
    rows = [run_path(path_fn, i, name, release)[0] for i in range(1, n + 1)]
    return FaultSweep(name, baseline, rows)
