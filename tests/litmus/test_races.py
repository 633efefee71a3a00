"""The race explorer: interleaving counts, pruning, verdicts, traces and the scenario format."""
from __future__ import annotations

from pathlib import Path

import pytest

from dmabuf_lab.litmus.explorer import explore, explore_split
from dmabuf_lab.litmus.race_check import check_races
from dmabuf_lab.litmus.race_trace import format_trace, trace_rows
from dmabuf_lab.litmus.races import _lock_cycle
from dmabuf_lab.litmus.runner import check_scenario
from dmabuf_lab.litmus.scenario import ScenarioError, load_scenario


LITMUS = Path(__file__).resolve().parents[2] / "litmus"

HEAD = '''question = "q"
topology = "xe-sriov-8vf"

[exporter]
driver = "vfio-pci"
device = "0000:03:00.2"
bar = 2
ranges = [[0x0, 0x200000]]
dmabuf_move_notify = true

[importer]
driver = "xe"
device = "0000:03:00.0"
dynamic = true
'''


#: HEAD with the lab's plain sg_table importer (rdma's) in the xe PF's slot.
PLAIN_HEAD = ('construction = "a plain sg_table importer in the GPU slot, to keep the unpruned search small"\n'
              + HEAD.replace('driver = "xe"', 'driver = "rdma"'))


def scenario(tmp_path, body: str, name: str = "s.toml", plain_importer: bool = False):
    p = tmp_path / name
    p.write_text((PLAIN_HEAD if plain_importer else HEAD) + body)
    return load_scenario(p)


def test_attach_against_revoke_has_four_interleavings(tmp_path):
    """Counted by hand.  The importer's attach is xe's 6.19 import: it reads
    ``revoked`` without a lock (R), takes and drops the resv lock to add
    itself to the list (L1, U1), then takes and drops it again to
    initialise its BO (L2, U2).  The revoke takes memory_lock, takes the
    resv lock, writes ``revoked`` (W) and notifies every listed importer,
    drops the resv lock, writes PCI_COMMAND and drops memory_lock; only its
    resv section and W touch what the attach touches.  Classes of
    interleavings, by the order of the dependent actions:
    1. both of the import's sections before the revoke's (so R before W);
    2. the revoke's section between L1..U1 and L2..U2: it notifies an
       importer whose BO is raw storage (uninitialised, and XE_WARN_ON);
    3. the revoke's section first, R before W: attach passes the check and
       then waits for the lock;
    4. the revoke's section first, R after W: attach fails with -ENODEV and
       never takes the lock.
    Everything else (memory_lock, PCI_COMMAND) only reorders independent
    actions.  So 4."""
    sc = scenario(tmp_path, '[threads]\nimporter = ["attach"]\nvfio = ["revoke"]\n[races.\"mainline-6.19\"]\n')
    res = explore(sc, "mainline-6.19")
    assert res.executions == 4
    results = {tuple(sorted(ex.results.items())) for ex in res.outcomes.values()}
    assert results == {(("importer", "ok"), ("vfio", "ok")),
                       (("importer", "-ENODEV at attach"), ("vfio", "ok"))}
    assert res.failing["uninitialised"] == 1


# small enough for the unpruned search to finish (every announced access is a point, so the
# unpruned tree grows fast); tests/litmus/test_reduction_soundness.py samples the larger ones
@pytest.mark.parametrize("steps,target", [
    ('importer = ["attach"]\nvfio = ["revoke"]', "mainline-6.19"),
    ('importer = ["attach", "map"]\nvfio = ["revoke"]', "mainline-6.19"),
    ('importer = ["attach"]\nvfio = ["revoke", "re-enable"]', "mainline-7.3-rc6"),
])
def test_pruning_keeps_every_distinct_outcome(tmp_path, steps, target):
    # a plain sg_table importer: xe's own import adds two lock sections, which the unpruned
    # search cannot finish within its bound for these steps
    sc = scenario(tmp_path, f"[threads]\n{steps}\n[races.\"mainline-6.19\"]\n", plain_importer=True)
    pruned = explore(sc, target)
    full = explore(sc, target, prune=False)
    assert not full.bound_hit and not pruned.bound_hit
    assert full.executions > pruned.executions
    assert set(full.outcomes) == set(pruned.outcomes)
    assert full.verdicts() == pruned.verdicts()


def test_the_619_revoke_race_and_its_fix():
    sc = load_scenario(LITMUS / "race-vfio-revoke-vs-dma.toml")
    before = explore(sc, "mainline-6.19")
    after = explore(sc, "mainline-7.3-rc6")
    assert before.verdict("use-after-revoke") == "sometimes"
    assert after.verdict("use-after-revoke") == "never"
    ex = before.shortest["use-after-revoke"]
    # the DMA comes after the revoke wrote PCI_COMMAND, and the job's fence was added before the revoke
    labels = [(ex.thread_names[t], op.label) for t, op in ex.trace]
    dma = next(i for i, (th, lab) in enumerate(labels) if "DMA to" in lab)
    off = next(i for i, (th, lab) in enumerate(labels) if "PCI_COMMAND_MEMORY" in lab)
    fence = next(i for i, (th, lab) in enumerate(labels) if "dma_resv_add_fence" in lab)
    assert fence < off < dma


def test_close_after_revoke_never_hangs_in_7_3():
    sc = load_scenario(LITMUS / "race-vfio-close-after-revoke.toml")
    res = explore(sc, "mainline-7.3-rc6")
    assert res.verdict("deadlock") == "never" and res.executions > 1


def test_split_exploration_gives_the_same_verdicts_and_outcomes(tmp_path):
    sc = scenario(tmp_path, '[threads]\nimporter = ["attach", "map", "use"]\nvfio = ["revoke"]\n'
                            '[races.\"mainline-6.19\"]\n')
    whole = explore(sc, "mainline-6.19")
    for depth in (1, 3):
        parts = explore_split(sc, "mainline-6.19", depth=depth)
        assert parts.verdicts() == whole.verdicts()
        assert set(parts.outcomes) == set(whole.outcomes)
        assert parts.executions >= whole.executions


def test_bound_is_reported_and_never_claims_always(tmp_path):
    sc = scenario(tmp_path, '[threads]\nimporter = ["attach", "map", "use", "unmap"]\nvfio = ["revoke"]\n'
                            '[races.\"mainline-6.19\"]\n')
    res = explore(sc, "mainline-6.19", bound=2)
    assert res.executions == 2 and res.bound_hit
    assert "always" not in res.verdicts().values()


def test_trace_columns_name_kernel_functions():
    sc = load_scenario(LITMUS / "race-vfio-revoke-vs-dma.toml")
    ex = explore(sc, "mainline-6.19").shortest["use-after-revoke"]
    text = format_trace(ex)
    assert "vfio_pci_dma_buf_move" in text and "dma_resv_lock" in text
    rows = trace_rows(ex)
    assert len(rows) == len(ex.trace) and {r["thread"] for r in rows} == {"importer", "vfio"}
    # every kernel name whole (wrapped, never cut), each line within the width
    words = set(text.split())
    for r in rows:
        for name in f"{r['function']}: {r['action']}".split():
            assert name in words, name
    assert "~" not in text and max(len(line) for line in text.splitlines()) <= 100
    narrow = format_trace(ex, width=72)
    assert max(len(line) for line in narrow.splitlines()) <= 72
    assert {w for w in narrow.split() if set(w) != {"-"}} == {w for w in words if set(w) != {"-"}}


def test_lock_order_inversion_is_a_cycle():
    assert _lock_cycle({("a", "b"): "f", ("b", "a"): "g"}).startswith("lock-order inversion: a -> b")
    assert _lock_cycle({("memory_lock", "dma_resv"): "f"}) is None


def test_race_check_compares_exactly(tmp_path):
    sc = scenario(tmp_path, '[threads]\nimporter = ["attach", "map", "use", "unmap", "detach"]\n'
                            'vfio = ["revoke"]\n[races.\"mainline-6.19:fixed\"]\nuse-after-revoke = "never"\n')
    (c,) = check_races(sc)
    assert not c.ok and ("use-after-revoke", "never", "sometimes") in c.differences()
    assert check_scenario(sc) == []


@pytest.mark.parametrize("body,where", [
    ('steps = ["attach"]\n[threads]\na = ["attach"]\n[races.\"mainline-6.19\"]\n', "steps"),
    ('[threads]\na = ["attach", "fly"]\n[races.\"mainline-6.19\"]\n', "threads.a"),
    ('[threads]\na = []\n[races.\"mainline-6.19\"]\n', "threads.a"),
    ('[threads]\na = ["attach"]\n[races.\"mainline-6.19\"]\nrace = "never"\n', "race"),
    ('[threads]\na = ["attach"]\n[races.\"mainline-6.19\"]\ndeadlock = "maybe"\n', "deadlock"),
    ('[threads]\na = ["attach"]\n[races.nosuch]\n', "races.nosuch"),
    ('[threads]\na = ["attach"]\n[expect]\nmainline = "sgt"\n', "expect"),
    ('[threads]\na = ["attach"]\nmax_interleavings = 0\n[races.\"mainline-6.19\"]\n', "max_interleavings"),
])
def test_malformed_concurrent_scenarios_name_the_key(tmp_path, body, where):
    with pytest.raises(ScenarioError) as e:
        scenario(tmp_path, body)
    assert where in str(e.value)


def test_every_shipped_race_scenario_agrees():
    files = sorted(LITMUS.glob("race-*.toml"))
    assert len(files) >= 10
    for f in files:
        sc = load_scenario(f)
        assert sc.concurrent
        for c in check_races(sc):
            assert c.ok, (f.name, c.target, c.differences())
