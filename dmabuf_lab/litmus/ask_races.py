"""``dmabuf-lab ask`` on a concurrent scenario: every interleaving, under every revision.

A scenario with ``[threads]`` asks what can happen when its threads
interleave, so ``ask`` explores it as ``dmabuf-lab litmus`` does (the same
search, :func:`~dmabuf_lab.litmus.explorer.explore`) and answers, per
revision, how many interleavings it ran and which properties fail
``always`` or ``sometimes``; nothing is compared, since ``ask`` predicts
nothing.
"""
from __future__ import annotations

import json
import sys
import textwrap
import time


def explore_targets(scenario, targets: list) -> list:
    """``(target, ExploreResult or None, error)`` for each target."""
    from dmabuf_lab.litmus.explorer import explore
    from dmabuf_lab.litmus.races import RaceSetupError

    out = []
    for t in targets:
        try:
            out.append((t, explore(scenario, t), ""))
        except RaceSetupError as exc:
            out.append((t, None, str(exc)))
    return out


def _failing(result) -> dict:
    return {p: v for p, v in sorted(result.verdicts().items()) if v != "never"} if result else {}


def answer_races(scenario, targets: list, notes: list, args, start: float) -> int:
    """Explore ``scenario`` under each target and print the answers (``--json``: as JSON)."""
    answers = explore_targets(scenario, targets)
    elapsed = time.perf_counter() - start
    threads = {name: list(steps) for name, steps in scenario.threads}
    if getattr(args, "json", False):
        json.dump({"question": scenario.question, "topology": scenario.topology_ref,
                   "construction": scenario.construction, "chosen": notes, "threads": threads,
                   "answers": [{"target": t, "interleavings": r.executions if r else 0,
                                "bound_hit": r.bound_hit if r else False,
                                "properties": _failing(r), "error": err} for t, r, err in answers]},
                  sys.stdout, indent=1)
        print()
        return 0
    e, i = scenario.exporter, scenario.importer
    print(f"question: {scenario.question}")
    print(f"topology: {scenario.topology_ref}")
    print(f"exporter: {e.driver}" + (f" on {e.device}" if e.device else ""))
    print(f"importer: {i.driver}" + (f" on {i.device}" if i.device else ""))
    for name, steps in threads.items():
        print(f"thread {name}: {' '.join(steps)}")
    print("".join(f"  (chose {n})\n" for n in notes), end="")
    print()
    tw = max([len("revision")] + [len(t) for t, _, _ in answers])
    print(f"{'revision':<{tw}}  {'interleavings':>13}  properties that fail (always / sometimes)")
    print(f"{'-' * tw}  {'-' * 13}  {'-' * 42}")
    for t, r, err in answers:
        if r is None:
            print(f"{t:<{tw}}  {'-':>13}  {err}")
            continue
        n = f"{r.executions}" + ("+" if r.bound_hit else "")
        cells = ", ".join(f"{p}={v}" for p, v in _failing(r).items()) or "none"
        indent = " " * (tw + 17)
        print(textwrap.fill(cells, width=100, initial_indent=f"{t:<{tw}}  {n:>13}  ", subsequent_indent=indent,
                            break_on_hyphens=False, break_long_words=False))
    print(f"\n{len(answers)} searches in {elapsed:.2f} s; `dmabuf-lab litmus` checks a concurrent "
          "scenario's [races] verdicts")
    return 0
