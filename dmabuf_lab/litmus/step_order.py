"""Which orders of steps a scenario may ask for.

An importer holds what its own calls gave it: it can map only an
attachment it made, unmap only a mapping it holds, detach only what it
attached.  A scenario that asks for ``map`` before ``attach`` does not ask
a question about the kernel (the importer would pass a NULL attachment it
never had); it is refused with the step's index.  Exporter steps (revoke,
move, ...) act on the exported buffer and are legal at any point, except
that ``release`` (the vfio user closes its device file) ends its thread.

:data:`RULES` holds one line per step kind: which side of the run it acts
on, the states it needs and refuses, and those it sets and clears.  In a
concurrent scenario each thread is checked on its own from the start, and
the importer's steps must all be in one thread (the order across threads
depends on the interleaving, which is what the explorer varies).
"""
from __future__ import annotations

from dataclasses import dataclass

IMPORTER = "importer"
EXPORTER = "exporter"


@dataclass(frozen=True)
class StepRule:
    """What one step kind needs of the importer's state and what it leaves."""

    side: str
    needs: tuple = ()
    refuses: tuple = ()
    sets: tuple = ()
    clears: tuple = ()
    last: bool = False      # ends its thread: no step may follow it there


#: The importer's states, in words, for the error line.
STATES = {"attached": "an attach before it (and no detach since)",
          "mapped": "a map or use before it (and no unmap or detach since)"}
#: ... and what a step refusing that state says.
REFUSED = {"attached": "is already attached (a second attach needs a detach first)"}

RULES = {
    "attach": StepRule(IMPORTER, refuses=("attached",), sets=("attached",)),
    "map": StepRule(IMPORTER, needs=("attached",), sets=("mapped",)),
    "use": StepRule(IMPORTER, needs=("attached",), sets=("mapped",)),     # maps again if it must
    "unmap": StepRule(IMPORTER, needs=("attached", "mapped"), clears=("mapped",)),
    "detach": StepRule(IMPORTER, needs=("attached",), clears=("attached", "mapped")),
    "revoke": StepRule(EXPORTER),
    "move": StepRule(EXPORTER),
    "invalidate": StepRule(EXPORTER),
    "re-enable": StepRule(EXPORTER),
    "release": StepRule(EXPORTER, last=True),    # the vfio user closed its device file
    "export-again": StepRule(EXPORTER),          # a second buffer of the same slices
    "close": StepRule(EXPORTER),                 # user space closes the dma-buf fd (not an importer step)
}


def order_problem(steps) -> str | None:
    """None when ``steps`` (one thread's) are in a legal order; else what is wrong, in words."""
    state: set = set()
    for i, step in enumerate(steps):
        rule = RULES.get(step)
        if rule is None:
            continue        # an unknown step is reported by the loader, naming the valid ones
        for need in rule.needs:
            if need not in state:
                return (f"step {i + 1} ({step!r}) needs {STATES[need]}; "
                        f"the steps: {', '.join(steps)}")
        for bad in rule.refuses:
            if bad in state:
                return (f"step {i + 1} ({step!r}): the importer {REFUSED[bad]}; "
                        f"the steps: {', '.join(steps)}")
        if rule.last and i + 1 < len(steps):
            return (f"step {i + 1} ({step!r}) ends its thread, yet {steps[i + 1]!r} follows it; "
                    f"the steps: {', '.join(steps)}")
        state.difference_update(rule.clears)
        state.update(rule.sets)
    return None


def check_steps(steps, err) -> None:
    """The ``steps`` of a one-thread scenario, in a legal order and with an attach (the
    verdict is what the importer got), else ``err``."""
    problem = order_problem(steps)
    if problem is None and "attach" not in steps:
        problem = (f"no attach: the verdict is what the importer got, so the steps need an attach; "
                   f"the steps: {', '.join(steps)}")
    if problem:
        raise err(problem, None, "steps")


def check_threads(threads, err, thread_importers=None) -> None:
    """Each thread's steps in a legal order, and each importer's steps all in one thread
    (``thread_importers`` names the importer a thread acts on; by default ``importer``)."""
    by_importer: dict = {}
    for name, steps in threads:
        if any(RULES.get(s, RULES["revoke"]).side == IMPORTER for s in steps):
            who = (thread_importers or {}).get(name, "importer")
            by_importer.setdefault(who, []).append(name)
    for who, names in by_importer.items():
        if len(names) > 1:
            raise err(f"importer steps (attach, map, use, unmap, detach) of importer {who!r} in threads "
                      f"{', '.join(map(repr, names))}; one importer's steps belong in one thread",
                      "threads", names[1])
    for name, steps in threads:
        problem = order_problem(steps)
        if problem:
            raise err(f"thread {name!r}: {problem}", "threads", name)
