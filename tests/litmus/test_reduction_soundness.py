"""The reduced search against every schedule: pruning may drop orders, never outcomes.

Partial-order reduction is only as sound as the accesses the twins
announce: a read or write of shared state that is not announced makes two
actions look independent, and the reordering that gives a new outcome is
pruned.  Here every shipped concurrent scenario, under every target it
checks, runs twice: the reduced search (complete), and the search with no
pruning at all, which tries every runnable thread at every point.  The
latter is too large to finish for most scenarios, so it is sampled two
ways: the tree is cut into subtrees near its root, each explored in full
up to a small bound (orders at the start), and seeded random walks choose
among all runnable threads at every point (orders anywhere).  Every
outcome (thread results, failed properties, end state) the unpruned runs
reach must be among the reduced search's; where the unpruned search
finished, the two sets must be equal.
"""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from dmabuf_lab.litmus.explorer import ExploreResult, explore, frontier
from dmabuf_lab.litmus.races import RaceSetupError, run_interleaving
from dmabuf_lab.litmus.scenario import load_scenario


LITMUS = Path(__file__).resolve().parents[2] / "litmus"

#: Subtrees of the unpruned tree and the interleavings explored in each.
SUBTREES, PER_SUBTREE = 12, 6
#: Random walks over the unpruned tree, per target.
WALKS = 60


def _targets():
    out = []
    for path in sorted(LITMUS.glob("*.toml")):
        sc = load_scenario(path)
        if sc.concurrent:
            out += [pytest.param(path, t, id=f"{path.stem}[{t}]") for t in sc.races]
    return out


def _walks(sc, target: str, n: int, seed: int) -> ExploreResult:
    rng = random.Random(seed)
    res = ExploreResult(target)
    for _ in range(n):
        res.add(run_interleaving(sc, target, lambda depth, enabled, ops: rng.choice(enabled)))
    return res


def unpruned_sample(sc, target: str) -> tuple[ExploreResult, bool]:
    """Outcomes of the unpruned search: its first subtrees explored up to a bound, plus
    random walks.  Returns the result and whether the unpruned search was complete."""
    full = ExploreResult(target)
    complete = True
    for node in frontier(sc, target, at_least=SUBTREES, prune=False):
        part = explore(sc, target, prefix=node.prefix, sleep=node.sleep, bound=PER_SUBTREE, prune=False)
        complete = complete and not part.bound_hit
        full.merge(part)
    if not complete:
        full.merge(_walks(sc, target, WALKS, seed=hash((sc.name, target)) & 0xFFFF))
    return full, complete


def _show(sig) -> str:
    results, props, end = sig
    return f"results {dict(results)}, properties {list(props)}, end {dict(end)}"


@pytest.mark.parametrize("path,target", _targets())
def test_reduced_search_keeps_every_outcome(path, target):
    sc = load_scenario(path)
    try:
        reduced = explore(sc, target, bound=100000)
    except RaceSetupError as exc:
        pytest.fail(f"{path.name} [{target}]: {exc}")
    assert not reduced.bound_hit, f"{path.name} [{target}]: the reduced search did not finish"
    full, complete = unpruned_sample(sc, target)
    missing = set(full.outcomes) - set(reduced.outcomes)
    assert not missing, (f"{path.name} [{target}]: outcomes the unpruned search reaches and the reduced one "
                         f"pruned (an unannounced shared access?):\n  "
                         + "\n  ".join(_show(s) for s in sorted(missing, key=str))
                         + "\n  first schedule: " + str(full.outcomes[sorted(missing, key=str)[0]].schedule))
    if complete:
        assert set(full.outcomes) == set(reduced.outcomes)


def test_the_comparison_sees_a_pruned_outcome(tmp_path, monkeypatch):
    """A write hidden from the scheduler (attach's read of ``revoked`` still announced, the
    revoke's write not) makes the reduced search lose an outcome, and the sampled unpruned
    search shows it: the check above can fail."""
    from dmabuf_lab.kmodel import alloc

    sc = load_scenario(LITMUS / "race-vfio-revoke-vs-attach.toml")
    honest = set(explore(sc, "mainline-6.19").outcomes)
    announce = alloc.shared_access

    def hide_revoked_writes(obj, member, write):
        if not (write and member == "revoked"):
            announce(obj, member, write)

    monkeypatch.setattr(alloc, "shared_access", hide_revoked_writes)
    with_hidden = set(explore(sc, "mainline-6.19").outcomes)
    full, _ = unpruned_sample(sc, "mainline-6.19")
    assert honest - with_hidden, "hiding the revoked accesses should prune an outcome"
    assert set(full.outcomes) - with_hidden
