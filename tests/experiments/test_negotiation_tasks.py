"""The negotiation matrix as tasks: the serial matrix's rows, any executor, cached by inputs."""
from __future__ import annotations

from pathlib import Path

import polars as pl

from dmabuf_lab.drivers.registry import pairs
from dmabuf_lab.tasks.executors import SerialExecutor
from dmabuf_lab.experiments.negotiation import (SCHEMA, default_exporter, default_importer,
                                                negotiation_matrix, pair_rows)
from dmabuf_lab.hw import load_topology
from dmabuf_lab.revisions import available_revisions

REPO = Path(__file__).resolve().parents[2]
CAPTURE = str(REPO / "data" / "captures" / "lspci-intel-x550-1.txt")


def serial_matrix(topologies, revisions) -> pl.DataFrame:
    """The matrix as one loop in this process, without the task split."""
    rows = []
    for tname in topologies:
        for rev in revisions:
            rows += pair_rows(rev, lambda: load_topology(tname), tname, default_exporter, default_importer,
                              vary_config=True)
    return pl.DataFrame(rows, schema=SCHEMA)


def test_tasks_give_the_serial_matrix_on_processes_and_in_process():
    topologies = ["gpu-nic-same-switch", CAPTURE]
    revs = available_revisions()
    want = serial_matrix(topologies, revs)
    assert want.height > 50
    assert negotiation_matrix(topologies, revs, executor=SerialExecutor(), cache=False).equals(want)
    assert negotiation_matrix(topologies, revs, workers=2, cache=False).equals(want)


def test_the_default_covers_every_revision_and_pair_the_registries_hold():
    df = negotiation_matrix(topologies=["xe-sriov-8vf"], executor=SerialExecutor(), cache=False)
    assert df["revision"].unique(maintain_order=True).to_list() == [
        r for r in available_revisions() if any(True for _ in pairs(r))]
    for rev in available_revisions():
        got = df.filter(pl.col("revision") == rev).select("exporter", "importer").rows()
        assert set(got) <= set(pairs(rev))


def test_a_second_matrix_is_read_from_the_cache(tmp_path):
    seen = []
    first = negotiation_matrix(["vfio-passthrough"], ["mainline", "rfc-v2"], executor=SerialExecutor(),
                               cache=tmp_path, progress=lambda d, n: seen.append((d, n)))
    total = seen[-1][1]
    assert seen[0] == (0, total) and seen[-1] == (total, total)
    seen.clear()
    again = negotiation_matrix(["vfio-passthrough"], ["mainline", "rfc-v2"], executor=SerialExecutor(),
                               cache=tmp_path, progress=lambda d, n: seen.append((d, n)))
    assert seen == [(total, total)]      # nothing left to compute
    assert again.equals(first)
    assert len(list((tmp_path / "negotiation-matrix").rglob("*.json"))) == total


def test_an_edited_capture_is_a_new_task(tmp_path):
    import shutil

    copy = tmp_path / "machine.txt"
    shutil.copy(CAPTURE, copy)
    seen = []

    def run():
        seen.clear()
        return negotiation_matrix([str(copy)], ["mainline"], executor=SerialExecutor(), cache=tmp_path / "c",
                                  progress=lambda d, n: seen.append((d, n)))

    first = run()
    total = seen[-1][1]
    assert seen[0] == (0, total)         # nothing cached yet
    run()
    assert seen == [(total, total)]      # all cached
    copy.write_text(copy.read_text() + "\n")
    again = run()
    assert seen[0] == (0, total)         # the capture changed: every cell is computed again
    assert again.equals(first)
