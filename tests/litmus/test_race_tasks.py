"""The race explorer as subtree tasks gives the serial search's result; results survive JSON."""
from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from dmabuf_lab.tasks.executors import SCHEDULER_ENV, SchedulerError, SerialExecutor
from dmabuf_lab.experiments.race_frames import concurrent_scenarios
from dmabuf_lab.tasks.engine import RunStats
from dmabuf_lab.kmodel.sched import Op
from dmabuf_lab.litmus import race_check
from dmabuf_lab.litmus.explorer import ExploreResult, explore, frontier
from dmabuf_lab.litmus.race_check import check_races
from dmabuf_lab.litmus.race_tasks import explore_distributed, explore_tasks, sleep_from_dict, sleep_to_dict
from dmabuf_lab.litmus.races import Execution
from dmabuf_lab.litmus.runner import selected_targets
from dmabuf_lab.litmus.scenario import default_litmus_dir, load_scenario

LITMUS = default_litmus_dir()


@pytest.fixture(scope="module")
def pairs():
    scs = concurrent_scenarios()
    assert len(scs) >= 10 and all(sc.concurrent for sc in scs)
    return [(sc, t) for sc in scs for t in selected_targets(sc)]


@pytest.fixture(scope="module")
def serial(pairs):
    # no time bound: on a loaded machine the serial search of the largest scenario can reach the default
    # one, while each subtree task stays far below it, and the two would then explore different amounts
    return [explore(sc, t, seconds=None) for sc, t in pairs]


def assert_same_search(got: ExploreResult, want: ExploreResult, where) -> None:
    """Everything the serial search found; ``pruned`` may only grow (see race_tasks)."""
    assert got.target == want.target, where
    assert got.executions == want.executions, where
    assert got.failing == want.failing and got.verdicts() == want.verdicts(), where
    # the same outcomes; the order they are first met in, and the run kept for each, may differ when a
    # split point's children are entered in another order than the serial search's backtracking took
    assert set(got.outcomes) == set(want.outcomes), where
    # the shortest run per property has the same length; which of several equivalent interleavings
    # (independent steps swapped) represents it depends on the order the sleep sets were built in
    assert {p: len(ex.trace) for p, ex in got.shortest.items()} == \
        {p: len(ex.trace) for p, ex in want.shortest.items()}, where
    assert all(p in ex.properties for p, ex in got.shortest.items()), where
    assert got.bound_hit == want.bound_hit and got.threads == want.threads, where
    assert got.pruned >= want.pruned, where


def test_results_round_trip_through_json(serial):
    assert any(r.shortest for r in serial) and any(r.pruned for r in serial)
    for res in serial:
        data = json.loads(json.dumps(res.to_dict()))
        back = ExploreResult.from_dict(data)
        assert back == res
        assert list(back.outcomes) == list(res.outcomes)
        assert list(back.failing) == list(res.failing)
        for ex in back.outcomes.values():
            assert isinstance(ex.end_state, tuple) and all(isinstance(p, tuple) for p in ex.end_state)
            assert all(isinstance(step, tuple) and isinstance(step[1].obj, tuple) for step in ex.trace)
            hash(ex.signature)


def test_execution_op_and_sleep_sets_round_trip(serial):
    ex = next(e for r in serial for e in r.shortest.values())
    assert Execution.from_dict(json.loads(json.dumps(ex.to_dict()))) == ex
    op = ex.trace[0][1]
    assert Op.from_dict(json.loads(json.dumps(op.to_dict()))) == op
    sleep = {0: op, 2: ex.trace[-1][1]}
    assert sleep_from_dict(json.loads(json.dumps(sleep_to_dict(sleep)))) == sleep


def test_malformed_result_data_names_what_was_expected():
    with pytest.raises(ValueError, match="ExploreResult: expected .*outcomes"):
        ExploreResult.from_dict({"target": "x"})
    with pytest.raises(ValueError, match="Op: expected .*obj"):
        Op.from_dict({"kind": "read"})


@pytest.mark.parametrize("how", ["threads", "processes"])
def test_every_concurrent_scenario_split_into_tasks_matches_the_serial_search(pairs, serial, how):
    if how == "threads":
        with ThreadPoolExecutor(3) as ex:
            got = explore_tasks(pairs, executor=ex, cache=False)
    else:
        got = explore_tasks(pairs, workers=2, cache=False)
    assert len(got) == len(serial)
    for (sc, t), g, w in zip(pairs, got, serial):
        assert_same_search(g, w, (sc.name, t))


def test_the_result_does_not_depend_on_the_executor_or_its_workers(pairs):
    """pruned included: the cut is fixed, not sized to the worker count."""
    runs = [explore_tasks(pairs, executor=SerialExecutor(), cache=False)]
    for n in (1, 4):
        with ThreadPoolExecutor(n) as ex:
            runs.append(explore_tasks(pairs, executor=ex, cache=False))
    first = [r.to_dict() for r in runs[0]]
    for other in runs[1:]:
        assert [r.to_dict() for r in other] == first


def test_merged_tasks_equal_merging_the_same_subtrees_here(pairs):
    for sc, t in pairs[:6]:
        nodes = frontier(sc, t, at_least=8)
        want = ExploreResult(t)
        for n in nodes:
            want.merge(explore(sc, t, prefix=n.prefix, sleep=n.sleep))
        got = explore_distributed(sc, t, executor=SerialExecutor(), cache=False, subtrees=8)
        assert got == want and got.pruned == want.pruned
        assert list(got.outcomes) == list(want.outcomes)


def test_unpruned_search_splits_too(tmp_path):
    # race-vfio-revoke-vs-attach with a plain sg_table importer in the xe PF's slot: with xe's own
    # import (two lock sections) the unpruned search of that file no longer fits its bound
    text = (LITMUS / "race-vfio-revoke-vs-attach.toml").read_text()
    p = tmp_path / "plain.toml"
    p.write_text('construction = "a plain sg_table importer in the GPU slot"\n'
                 + text.replace('[importer]\ndriver = "xe"', '[importer]\ndriver = "rdma"'))
    sc = load_scenario(p)
    want = explore(sc, "mainline-6.19", prune=False)
    got = explore_distributed(sc, "mainline-6.19", executor=SerialExecutor(), cache=False, subtrees=6,
                              prune=False)
    assert want.executions > explore(sc, "mainline-6.19").executions
    assert_same_search(got, want, "prune=False")


def test_the_bound_caps_each_subtree_not_the_sum():
    sc = load_scenario(LITMUS / "race-vfio-revoke-vs-reenable-threads.toml")
    target = "mainline-6.19"
    whole = explore(sc, target)
    nodes = frontier(sc, target, at_least=8)
    sizes = [explore(sc, target, prefix=n.prefix, sleep=n.sleep).executions for n in nodes]
    bound = max(sizes) + 1
    assert bound < whole.executions           # the whole search is over the cap, no subtree is
    serial = explore(sc, target, bound=bound)
    assert serial.bound_hit and serial.executions == bound
    split = explore_distributed(sc, target, executor=SerialExecutor(), cache=False, subtrees=8, bound=bound)
    assert not split.bound_hit and split.executions == whole.executions

    small = explore_distributed(sc, target, executor=SerialExecutor(), cache=False, subtrees=8, bound=1)
    assert small.bound_hit
    assert small.executions == sum(min(1, n) for n in sizes) > 1
    assert "always" not in small.verdicts().values()


def test_progress_counts_subtrees_done_of_total(pairs):
    seen = []
    stats = RunStats()
    explore_tasks(pairs[:3], executor=SerialExecutor(), cache=False, subtrees=5,
                  progress=lambda done, total: seen.append((done, total)), stats=stats)
    total = sum(len(frontier(sc, t, at_least=5)) for sc, t in pairs[:3])
    assert stats.total == total and seen[-1] == (total, total)
    assert seen[0][0] < total and all(t == total for _, t in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_second_run_comes_from_the_cache_and_an_edited_scenario_is_recomputed(tmp_path):
    path = tmp_path / "race-vfio-revoke-vs-dma.toml"
    shutil.copy(LITMUS / path.name, path)
    sc = load_scenario(path)
    first, second, third = RunStats(), RunStats(), RunStats()
    a = explore_distributed(sc, "mainline-7.3-rc6", executor=SerialExecutor(), cache=tmp_path / "c", stats=first)
    b = explore_distributed(sc, "mainline-7.3-rc6", executor=SerialExecutor(), cache=tmp_path / "c", stats=second)
    assert a == b and first.computed == first.total > 1 and second.computed == 0
    path.write_text(path.read_text() + "\n# edited\n")
    explore_distributed(load_scenario(path), "mainline-7.3-rc6", executor=SerialExecutor(),
                        cache=tmp_path / "c", stats=third)
    assert third.cached == 0


def test_check_races_stays_in_process_unless_asked(monkeypatch):
    sc = load_scenario(LITMUS / "race-vfio-revoke-vs-unmap.toml")

    def refuse(*a, **kw):
        raise AssertionError("the default check must not make tasks")

    monkeypatch.delenv(SCHEDULER_ENV, raising=False)
    monkeypatch.setattr(race_check, "explore_tasks", refuse)
    default = check_races(sc)
    assert default and all(c.ok for c in default)
    monkeypatch.undo()
    asked = check_races(sc, workers=0, cache=False)
    same = {"seconds": 0, "pruned": 0}         # pruned may grow when split (see race_tasks)
    assert [c.as_dict() | same for c in asked] == [c.as_dict() | same for c in default]


def test_the_scheduler_variable_sends_race_checks_to_the_cluster(monkeypatch):
    sc = load_scenario(LITMUS / "race-vfio-revoke-vs-unmap.toml")
    monkeypatch.setenv(SCHEDULER_ENV, "tcp://127.0.0.1:1")
    with pytest.raises(SchedulerError, match="cannot reach the Dask scheduler"):
        check_races(sc, cache=False)


def test_litmus_command_with_workers_agrees_with_the_default(capsys):
    from dmabuf_lab.cli import main

    path = str(LITMUS / "race-vfio-revoke-vs-detach.toml")
    assert main(["litmus", path, "--json"]) == 0
    default = json.loads(capsys.readouterr().out)
    assert main(["litmus", path, "--json", "-j", "0", "--no-cache"]) == 0
    split = json.loads(capsys.readouterr().out)
    strip = [{k: v for k, v in r.items() if k not in ("seconds", "pruned")} for r in default["races"]]
    assert strip and strip == [{k: v for k, v in r.items() if k not in ("seconds", "pruned")}
                               for r in split["races"]]
    assert main(["litmus", path, "-j", "0", "--no-cache"]) == 0
    assert "race exploration, subtrees: " in capsys.readouterr().err


def test_a_target_that_cannot_run_is_an_error_of_its_check_only(monkeypatch):
    from dmabuf_lab.litmus import race_tasks
    from dmabuf_lab.litmus.races import RaceSetupError

    sc = load_scenario(LITMUS / "race-vfio-revoke-vs-dma.toml")
    targets = selected_targets(sc)
    assert len(targets) >= 3
    real_frontier, real_explore = race_tasks.frontier, race_tasks.explore

    def frontier_fails_first(scenario, target, **kw):
        if target == targets[0]:
            raise RaceSetupError("cannot-express: at the root")
        return real_frontier(scenario, target, **kw)

    def explore_fails_second(scenario, target, **kw):
        if target == targets[1] and kw["prefix"][:1] == [1]:
            raise RaceSetupError("model error in a subtree")
        return real_explore(scenario, target, **kw)

    monkeypatch.setattr(race_tasks, "frontier", frontier_fails_first)
    monkeypatch.setattr(race_tasks, "explore", explore_fails_second)
    checks = check_races(sc, executor=SerialExecutor(), cache=False)
    assert [c.target for c in checks] == targets
    assert checks[0].error == "cannot-express: at the root" and checks[0].result is None
    assert checks[1].error == "model error in a subtree" and checks[1].result is None
    assert not checks[0].ok and not checks[1].ok
    assert all(c.ok and not c.error for c in checks[2:])
