"""Run litmus scenarios under each revision and compare with the expectations.

:func:`run_once` is the single entry point every caller uses (the litmus
command, the negotiation matrix, the fault sweep, tests): it builds a fresh
kmodel ``Kernel``, the session, the exporter and importer drivers of the
revision, runs the steps and returns a
:class:`~dmabuf_lab.revisions.base.Verdict`.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Optional

from dmabuf_lab.revisions import RevisionNotAvailable, get_revision, split_target
from dmabuf_lab.revisions.base import (
    CANNOT_EXPRESS, CRASH, DEFAULT_STEPS, MODEL_ERROR, NOT_AVAILABLE, CannotExpress,
    ExporterSpec, ImporterSpec, Oops, Session, Verdict, format_exception_brief, session_scope,
)


def _dispatch(step: str, exp, imp, s: Session) -> None:
    if step == "attach":
        imp.attach(s.dmabuf)
    elif step == "map":
        imp.map()
    elif step == "unmap":
        imp.unmap()
    elif step == "detach":
        imp.detach()
    elif step == "revoke":
        exp.revoke()
    elif step == "move":
        exp.move()
    else:  # the loader rejects unknown steps; this is a caller bug
        raise ValueError(f"unknown step {step!r}")


def run_once(topology, exporter: ExporterSpec, importer: ImporterSpec, steps: Iterable[str] = DEFAULT_STEPS,
             revision: str = "mainline-6.19", variant: Optional[str] = None,
             fail_nth: Optional[int] = None) -> Verdict:
    """Run ``steps`` between ``exporter`` and ``importer`` under ``revision``.

    ``topology`` is a Topology object (devices carry per-run state such as
    P2P providers and VRAM allocations, so pass a freshly loaded one) or a
    preset name / snapshot path, loaded here.

    ``revision`` may be ``"name:variant"``.  ``fail_nth`` fails that
    allocation (1-based) of the run.  Never raises for kernel outcomes: an
    errno, a crash, cannot-express and lab bugs all come back in the
    Verdict (the last as ``model-error`` with the exception in ``detail``).
    """
    from dmabuf_lab.kmodel.runtime import Kernel

    rev_name, v = split_target(revision)
    variant = variant or v
    try:
        rev = get_revision(rev_name)
    except RevisionNotAvailable as exc:
        return Verdict(rev_name, variant, NOT_AVAILABLE, detail=str(exc))

    if isinstance(topology, str):
        from dmabuf_lab.hw import load_topology
        topology = load_topology(topology)
    k = Kernel(fail_nth=fail_nth, name=f"{rev_name}:{variant}")
    s = Session(topology, exporter, importer, rev, variant)
    with session_scope(s):
        _run_steps(k, s, steps)
    return Verdict(rev_name, variant, s.outcome, step=s.failed_step, findings=list(k.findings),
                   trace=list(s.trace), detail=s.detail, nr_allocs=k.nr_allocs,
                   alloc_sites=list(k.alloc_sites),
                   unknowns=list(getattr(topology, "unknowns_consulted", ())))


def _run_steps(k, s: Session, steps) -> None:
    """The body of run_once(): export, the steps, the verdict, teardown; never raises."""
    from dmabuf_lab.drivers import registry
    from dmabuf_lab.kmodel.errno import KernelError

    rev = s.revision
    outcome: Optional[str] = None
    step: Optional[str] = None
    detail = ""
    with k:
        exp = imp = None
        try:
            step = "setup"
            if rev.run_hook is not None:
                rev.run_hook(s)
            exp = registry.make_exporter(s)
            imp = registry.make_importer(s)
            step = "export"
            s.dmabuf = exp.export()
            for step in steps:
                s.log(f"step {step}")
                _dispatch(step, exp, imp, s)
            step = None
            outcome = imp.kind
            if outcome is None:
                outcome, detail = MODEL_ERROR, "the importer finished without setting its mapping kind"
        except CannotExpress as exc:
            outcome, detail = CANNOT_EXPRESS, str(exc)
        except KernelError as exc:
            outcome, detail = exc.name, str(exc)
        except Oops as exc:
            outcome, detail = CRASH, str(exc)
        except Exception as exc:  # a bug in the lab, reported, never hidden as a verdict
            outcome, detail = MODEL_ERROR, format_exception_brief(exc)
        s.log(f"outcome {outcome}" + (f" at {step}" if step else "") + (f": {detail}" if detail else ""))

        if outcome in (CRASH, MODEL_ERROR):
            # The modelled machine died (or the model did): nothing is torn down and
            # no leak scan runs, so the report shows the cause, not its fallout.
            k.ended = True
        else:
            try:
                if imp is not None:
                    imp.teardown()
                if exp is not None:
                    exp.release()
            except KernelError as exc:
                detail += f" [teardown: {exc}]"
            except Oops as exc:
                outcome, detail = CRASH, f"in teardown: {exc}"
                k.ended = True
            except Exception as exc:
                outcome, detail = MODEL_ERROR, "in teardown: " + format_exception_brief(exc)
                k.ended = True
    s.outcome, s.failed_step, s.detail = outcome, step, detail


# --------------------------------------------------------------------------
# Scenario checking.
# --------------------------------------------------------------------------

@dataclass
class Check:
    """One scenario x target comparison."""

    scenario: object
    target: str
    verdict: Verdict
    expected: Optional[str]
    expected_findings: Optional[tuple]
    #: the same run with every unknown fact of a captured topology taken for P2P;
    #: only made when ``verdict`` needed such a fact
    if_allowed: Optional[Verdict] = None

    @property
    def depends_on(self) -> tuple:
        """The unknown facts the verdict turns on: empty when taking them for P2P changes nothing."""
        if self.if_allowed is None or self.if_allowed.outcome == self.verdict.outcome:
            return ()
        return tuple(dict.fromkeys(list(self.verdict.unknowns) + list(self.if_allowed.unknowns)))

    def depends_text(self) -> str:
        """One sentence for the report; empty when the verdict does not depend on an unknown."""
        if not self.depends_on:
            return ""
        facts = "; ".join(f"({i}) {d}" for i, d in enumerate(self.depends_on, 1))
        return (f"{self.scenario.name} [{self.target}]: the verdict depends on facts the topology's "
                f"capture does not show: {self.verdict.outcome} with each taken against P2P, "
                f"{self.if_allowed.outcome} with each taken for it. {facts}")

    @property
    def outcome_ok(self) -> bool:
        return self.expected is None or self.verdict.outcome == self.expected

    @property
    def findings_ok(self) -> bool:
        want = self.expected_findings if self.expected_findings is not None else ()
        return tuple(self.verdict.finding_kinds) == tuple(sorted(want))

    @property
    def ok(self) -> bool:
        return self.outcome_ok and self.findings_ok

    def diff(self) -> list[str]:
        """Readable lines saying what differs (empty when ok)."""
        if self.ok:
            return []
        v = self.verdict
        lines = [f"--- {self.scenario.path} [{self.target}]",
                 f"    question: {self.scenario.question}"]
        if not self.outcome_ok:
            lines.append(f"-   expected: {self.expected}")
            lines.append(f"+   observed: {v.outcome}" + (f" (at {v.step})" if v.step else ""))
        if v.detail:
            lines.append(f"    detail:   {v.detail}")
        if not self.findings_ok:
            want = list(self.expected_findings or ())
            lines.append(f"-   findings expected: {want}")
            lines.append(f"+   findings observed: {v.finding_kinds}")
            for f in v.findings:
                lines.append(f"      [{f.kind}] {f.message} at {f.site}")
        return lines

    def as_dict(self) -> dict:
        return {"scenario": str(self.scenario.path), "name": self.scenario.name,
                "question": self.scenario.question, "target": self.target,
                "expected": self.expected,
                "expected_findings": list(self.expected_findings) if self.expected_findings is not None else [],
                "observed": self.verdict.outcome, "findings": self.verdict.finding_kinds,
                "ok": self.ok, "verdict": self.verdict.as_dict(),
                "depends_on": list(self.depends_on),
                "observed_if_unknowns_allow_p2p": self.if_allowed.outcome if self.if_allowed else None}


def selected_targets(scenario, revision: Optional[str] = None) -> list[str]:
    """The scenario's targets, optionally restricted to one revision (or ``rev:variant``)."""
    ts = scenario.targets()
    if revision is None:
        return ts
    if ":" in revision:
        return [t for t in ts if split_target(t) == split_target(revision)]
    return [t for t in ts if split_target(t)[0] == split_target(revision)[0]]


def check_scenario(scenario, revision: Optional[str] = None) -> list[Check]:
    """Run and compare every (selected) target of one scenario.

    A concurrent scenario (``[threads]``) has no single run to compare: it is
    explored by :func:`dmabuf_lab.litmus.race_check.check_races`; here it gives
    no checks."""
    if getattr(scenario, "concurrent", False):
        return []
    return [check_target(scenario, t) for t in selected_targets(scenario, revision)]


def check_target(scenario, target: str) -> Check:
    """Run one target of a single-thread scenario and compare it with what the file states."""
    v = run_once(scenario.fresh_topology(), scenario.exporter, scenario.importer, scenario.steps, target)
    alt = None
    if v.unknowns:
        topo = scenario.fresh_topology()
        topo.unknowns_taken_for_p2p = True
        alt = run_once(topo, scenario.exporter, scenario.importer, scenario.steps, target)
    return Check(scenario, target, v, scenario.expect.get(target), scenario.findings.get(target), alt)


# --------------------------------------------------------------------------
# Fault-injection sweep.
# --------------------------------------------------------------------------

#: kmodel.fault_sweep's outcome names (dmabuf_lab.kmodel.fault.OUTCOMES), best first.
FAULT_CLASSES = ("ok", "clean", "leak", "use-after-free", "double-free", "bad-free", "crash")


def classify_fault_run(baseline: Verdict, v: Verdict) -> str:
    """Sort one fault-injected run into FAULT_CLASSES, as kmodel.fault_sweep does.

    The one difference: findings the unfaulted run already had (same kind
    and site, e.g. a posted revision's lock bug) are not blamed on the
    injected failure.  ``ok``: the failure was tolerated and the run ended
    as the unfaulted one did; ``clean``: it ended in an error with nothing
    new found; else the worst new finding; ``crash``: an oops the unfaulted
    run did not have, or a model error.
    """
    if v.outcome == MODEL_ERROR or (v.outcome == CRASH and baseline.outcome != CRASH):
        return "crash"
    base = Counter((f.kind, f.site) for f in baseline.findings)
    new = Counter((f.kind, f.site) for f in v.findings) - base
    kinds = {k for (k, _), n in new.items() if n > 0}
    for worst in ("use-after-free", "double-free", "bad-free", "leak"):
        if worst in kinds:
            return worst
    return "ok" if v.outcome == baseline.outcome else "clean"


@dataclass
class FaultRow:
    scenario: str
    target: str
    index: int
    site: str
    outcome: str
    result: str
    findings: list = field(default_factory=list)


def fault_sweep_scenario(scenario, revision: Optional[str] = None) -> list[FaultRow]:
    """Run each selected target once per allocation index, failing that allocation.

    The protocol of ``kmodel.fault_sweep``: one unfaulted run counts the
    allocations (``Verdict.nr_allocs``), then run ``i`` fails allocation
    ``i`` (``Kernel(fail_nth=i)``); each run gets a fresh topology.
    Concurrent scenarios are not swept (none of their runs is the run).
    """
    if getattr(scenario, "concurrent", False):
        return []
    return [r for t in selected_targets(scenario, revision) for r in fault_sweep_target(scenario, t)]


def fault_sweep_target(scenario, target: str) -> list[FaultRow]:
    """The sweep of one target, whether or not the scenario names it (see
    :func:`fault_sweep_scenario`); none when the target cannot express or run it."""
    base = run_once(scenario.fresh_topology(), scenario.exporter, scenario.importer, scenario.steps, target)
    if base.outcome in (NOT_AVAILABLE, CANNOT_EXPRESS):
        return []
    rows = []
    for i in range(1, base.nr_allocs + 1):
        v = run_once(scenario.fresh_topology(), scenario.exporter, scenario.importer, scenario.steps,
                     target, fail_nth=i)
        site = base.alloc_sites[i - 1] if i - 1 < len(base.alloc_sites) else "?"
        rows.append(FaultRow(scenario.name, target, i, site, v.outcome, classify_fault_run(base, v),
                             [str(f) for f in v.findings]))
    return rows
