"""Closing the dma-buf as a thread step, several importers, -j capping and search progress."""
from __future__ import annotations

import pytest

from dmabuf_lab.tasks.executors import LabExecutor, default_workers
from dmabuf_lab.litmus.explorer import explore
from dmabuf_lab.litmus.race_check import check_races
from dmabuf_lab.litmus.scenario import ScenarioError, load_scenario

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


def scenario(tmp_path, body: str):
    p = tmp_path / "s.toml"
    p.write_text(HEAD + body)
    return load_scenario(p)


def results(res) -> set:
    return {tuple(sorted(ex.results.items())) for ex in res.outcomes.values()}


def test_close_before_the_importer_gets_the_fd_is_ebadf(tmp_path):
    """The importer takes its reference from the owner's fd (dma_buf_get); once the owner
    closed it, there is nothing to get: -EBADF.  Otherwise the importer's reference keeps the
    buffer alive and its detach drops the last one."""
    sc = scenario(tmp_path, '[threads]\nimporter = ["attach", "detach"]\nuser = ["close"]\n'
                            '[races."mainline-7.3-rc6"]\n')
    res = explore(sc, "mainline-7.3-rc6")
    assert not res.bound_hit
    assert results(res) == {(("importer", "-EBADF at attach"), ("user", "ok")),
                            (("importer", "ok"), ("user", "ok"))}
    assert res.verdicts() == {}                  # no leak, no use-after-free, no double free


def test_release_runs_once_whoever_drops_the_last_reference(tmp_path):
    """A close racing vfio's cleanup: the buffer leaves the device's list exactly once and its
    memory is freed once (a second unlink or free would be a finding)."""
    sc = scenario(tmp_path, '[threads]\nuser = ["close"]\nvfio = ["release"]\n[races."mainline-6.19"]\n'
                            '[races."mainline-7.3-rc6"]\n')
    for c in check_races(sc):
        assert c.ok, c.differences()
        assert c.result.executions > 1


def test_two_importers_each_act_on_their_own(tmp_path):
    sc = scenario(tmp_path, '[importers.guest]\ndriver = "iommufd"\n\n[threads]\n'
                            'gpu = ["attach", "map"]\nvmm = { importer = "guest", steps = ["attach", "map"] }\n'
                            '[races."mainline-7.3-rc6"]\n')
    assert [n for n, _ in sc.importers] == ["guest"] and sc.thread_importers == {"vmm": "guest"}
    res = explore(sc, "mainline-7.3-rc6")
    ends = {dict(ex.end_state)["guest-mapped"] for ex in res.outcomes.values()}
    assert ends == {True}
    assert all(dict(ex.end_state)["importer-mapped"] for ex in res.outcomes.values())


def test_old_scenarios_name_no_importers(tmp_path):
    sc = scenario(tmp_path, '[threads]\nimporter = ["attach"]\nvfio = ["revoke"]\n[races."mainline-6.19"]\n')
    assert sc.importers == () and sc.thread_importers == {}


@pytest.mark.parametrize("body,where", [
    ('[importers.x]\ndriver = "iommufd"\n[threads]\na = { importer = "y", steps = ["attach"] }\n'
     '[races."mainline-7.3-rc6"]\n', "threads.a"),
    ('[importers.importer]\ndriver = "iommufd"\n[threads]\na = ["attach"]\n[races."mainline-7.3-rc6"]\n',
     "importers.importer"),
    ('[importers.x]\ndriver = "nosuch"\n[threads]\na = ["attach"]\n[races."mainline-7.3-rc6"]\n',
     "importers.x.driver"),
    ('[threads]\na = { steps = ["attach"], cpu = 3 }\n[races."mainline-7.3-rc6"]\n', "threads.a.cpu"),
    ('[threads]\na = { importer = "importer" }\n[races."mainline-7.3-rc6"]\n', "threads.a"),
    ('[importers.x]\ndriver = "iommufd"\n[expect]\nmainline = "pal"\n', "importers"),
])
def test_malformed_importers_and_thread_tables_name_the_key(tmp_path, body, where):
    with pytest.raises(ScenarioError) as e:
        scenario(tmp_path, body)
    assert where in str(e.value)


def test_workers_are_capped_at_cpus_and_tasks(capsys):
    ex = LabExecutor(None, 64)
    ex.limit(3)
    n = ex.local_workers()
    assert n == min(3, default_workers())
    err = capsys.readouterr().err
    assert err.startswith("-j 64: capped at") and len(err.strip().splitlines()) == 1
    quiet = LabExecutor(None, None)
    quiet.limit(1000)
    assert quiet.local_workers() == default_workers() and capsys.readouterr().err == ""


def test_a_long_search_reports_progress(tmp_path, monkeypatch):
    from dmabuf_lab.litmus import explorer

    monkeypatch.setattr(explorer, "PROGRESS_AFTER", 0.0)
    monkeypatch.setattr(explorer, "PROGRESS_EVERY", 0.0)
    sc = scenario(tmp_path, '[threads]\nimporter = ["attach", "map"]\nvfio = ["revoke"]\n[races."mainline-6.19"]\n')
    seen = []
    res = explore(sc, "mainline-6.19", progress=lambda r, t: seen.append(r.executions))
    assert seen and seen == sorted(seen) and seen[-1] <= res.executions


def test_a_search_out_of_time_is_bounded(tmp_path):
    sc = scenario(tmp_path, '[threads]\nimporter = ["attach", "map"]\nvfio = ["revoke"]\n[races."mainline-6.19"]\n')
    res = explore(sc, "mainline-6.19", seconds=0.0, prune=False)
    assert res.executions == 1 and res.bound_hit
