"""The fault sweep as tasks gives the serial sweep's rows; inputs name the cache entries."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dmabuf_lab.cli import main as cli_main
from dmabuf_lab.tasks.executors import SerialExecutor
from dmabuf_lab.litmus.task_inputs import (TaskInputError, load_topology_ref, scenario_ref,
                                                topology_ref)
from dmabuf_lab.litmus.fault_tasks import fault_sweep
from dmabuf_lab.litmus.runner import fault_sweep_scenario, selected_targets
from dmabuf_lab.litmus.scenario import default_litmus_dir, find_scenarios, load_scenario

LITMUS = default_litmus_dir()
#: A spread of scenarios: leaks (rfc-v1), variants, a capture-path topology, revoke steps.
SOME = ["bug-xe-match-len-empty-list", "p2p-unreachable-host-bridge", "get-pfn-config-move-notify-off",
        "bug-pal-map-after-revoke"]


def _scenarios(names=SOME):
    return [load_scenario(LITMUS / f"{n}.toml") for n in names]


def _serial(scenarios):
    return [r for sc in scenarios for r in fault_sweep_scenario(sc)]


def test_tasks_on_processes_and_in_process_give_the_serial_rows_in_order(tmp_path):
    scs = _scenarios()
    want = _serial(scs)
    assert len(want) > 20
    pairs = [(sc, t) for sc in scs for t in selected_targets(sc)]
    assert fault_sweep(pairs, executor=SerialExecutor(), cache=False) == want
    assert fault_sweep(pairs, workers=2, cache=False) == want


def test_rows_that_did_not_end_clean_survive_the_split():
    # every scenario, so the sweep holds leaks as well as clean runs
    scs = [load_scenario(p) for p in find_scenarios()]
    pairs = [(sc, t) for sc in scs for t in selected_targets(sc, "rfc-v1")]
    want = [r for sc in scs for r in fault_sweep_scenario(sc, "rfc-v1")]
    got = fault_sweep(pairs, workers=2, cache=False)
    assert got == want
    assert {r.result for r in got} >= {"clean", "leak"}


def test_second_run_comes_from_the_cache_and_an_edited_scenario_is_recomputed(tmp_path):
    src = LITMUS / "bug-xe-match-len-empty-list.toml"
    path = tmp_path / src.name
    shutil.copy(src, path)
    sc = load_scenario(path)
    pairs = [(sc, t) for t in selected_targets(sc)]
    first, second = [], []
    rows = fault_sweep(pairs, executor=SerialExecutor(), cache=tmp_path / "cache", stats=first)
    again = fault_sweep(pairs, executor=SerialExecutor(), cache=tmp_path / "cache", stats=second)
    assert again == rows
    assert [s.computed for s in first] == [len(pairs), len(rows)] and [s.computed for s in second] == [0, 0]

    path.write_text(path.read_text() + "\n# a comment changes the text, so the inputs\n")
    edited = load_scenario(path)
    third = []
    fault_sweep([(edited, t) for t in selected_targets(edited)], executor=SerialExecutor(),
                cache=tmp_path / "cache", stats=third)
    assert [s.cached for s in third] == [0, 0]


def test_a_capture_topology_travels_as_path_and_digest(tmp_path):
    sc = load_scenario(LITMUS / "p2p-unreachable-host-bridge.toml")
    ref = scenario_ref(sc)
    assert ref["topology_digest"] and ref["text"] == (LITMUS / "p2p-unreachable-host-bridge.toml").read_text()
    json.dumps(ref)  # plain data
    preset = scenario_ref(LITMUS / "bug-xe-match-len-empty-list.toml")
    assert preset["topology_digest"] is None


def test_a_capture_that_changed_under_the_worker_is_refused(tmp_path):
    capture = next(Path(__file__).resolve().parents[2].joinpath("data", "captures").glob("lspci-*.txt"))
    copy = tmp_path / capture.name
    shutil.copy(capture, copy)
    ref = topology_ref(str(copy))
    assert load_topology_ref(ref).devices
    copy.write_text(copy.read_text() + "\n")
    with pytest.raises(TaskInputError, match="differs on this worker"):
        load_topology_ref(ref)     # checked before, but the file changed since
    stale = dict(ref, topology=str(copy) + "-renamed")
    with pytest.raises(TaskInputError, match="does not exist on this worker"):
        load_topology_ref(stale)


def test_litmus_faults_output_does_not_depend_on_workers_or_cache(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DMABUF_LAB_TASK_CACHE", str(tmp_path))
    files = [str(LITMUS / f"{n}.toml") for n in SOME]
    outs = []
    for extra in (["-j", "0", "--no-cache"], ["-j", "2"], ["-j", "1"]):
        assert cli_main(["litmus", "--faults", "--json", *files, *extra]) == 0
        outs.append(capsys.readouterr().out)
    assert outs[0] == outs[1] == outs[2]
    assert json.loads(outs[0])["rows"]


def test_litmus_faults_reports_progress_and_cache_use(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DMABUF_LAB_TASK_CACHE", str(tmp_path))
    files = [str(LITMUS / f"{n}.toml") for n in SOME[:1]]
    assert cli_main(["litmus", "--faults", "-j", "0", *files]) == 0
    err = capsys.readouterr().err
    assert "on this process" in err and "faulted runs:" in err
    total = int(err.split("faulted runs: ")[-1].split("/")[1].split()[0])
    assert f"faulted runs: {total}/{total} tasks" in err
    assert cli_main(["litmus", "--faults", "-j", "0", *files]) == 0
    assert ", 0 computed," in capsys.readouterr().err


def test_litmus_faults_with_an_unreachable_scheduler_is_a_clear_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DMABUF_LAB_TASK_CACHE", str(tmp_path))
    files = [str(LITMUS / f"{SOME[0]}.toml")]
    assert cli_main(["litmus", "--faults", "--scheduler", "tcp://127.0.0.1:1", *files]) == 2
    err = capsys.readouterr().err
    assert "cannot reach the Dask scheduler at 'tcp://127.0.0.1:1'" in err and "--scheduler" in err
    assert cli_main(["litmus", "--faults", "--scheduler", "nonsense://x", *files]) == 2
    assert "unknown address scheme 'nonsense'" in capsys.readouterr().err
    assert cli_main(["litmus", "--faults", "-j", "-3", *files]) == 2
    assert "field '--workers'" in capsys.readouterr().err


def test_sweep_pairs_follow_the_serial_sweep_and_skip_concurrent_scenarios():
    from dmabuf_lab.litmus.fault_tasks import sweep_pairs

    sc = _scenarios(SOME[:1])[0]
    assert sweep_pairs(sc) == [(sc, t) for t in selected_targets(sc)]
    assert sweep_pairs(sc, "mainline") == [(sc, t) for t in selected_targets(sc, "mainline")]

    class Concurrent:                 # a scenario with threads: explored, not swept
        concurrent = True

    assert sweep_pairs(Concurrent()) == []
