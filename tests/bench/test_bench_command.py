"""`dmabuf-lab bench` end to end on tiny sizes."""
import argparse
import json

import pytest

from dmabuf_lab.bench import command
from dmabuf_lab.errors import LabInputError
from dmabuf_lab.kernels import streaming


def parse(argv):
    p = argparse.ArgumentParser()
    command.add_arguments(p)
    return p.parse_args(argv)


def test_quick_bench_writes_json(tmp_path, capsys):
    args = parse(["--quick", "--sizes", "1000", "2000", "--kernels", "translate_sriov", "page_table_emit",
                  "--backend", "reference", "numba", "cuda", "--out", str(tmp_path), "--machine", "ci box",
                  "--port-subset", "200", "--no-containers"])
    assert command.main(args) == 0
    out = capsys.readouterr().out
    files = list(tmp_path.glob("ci-box-*-quick.json"))
    assert len(files) == 1, files
    doc = json.loads(files[0].read_text())
    assert doc["machine"] == "ci-box" and doc["device"]
    assert doc["roofline"]["cpu"]["copy_bytes"] == 32 << 20
    assert any("32 MiB" in n for n in doc["notes"]) and "32 MiB" in out
    kinds = {(r["kernel"], r["backend"], r["ranges"]) for r in doc["results"]}
    assert ("translate_sriov", "numba", 2000) in kinds and ("page_table_emit", "reference", 1000) in kinds
    for r in doc["results"]:
        assert r["seconds"] > 0 and r["bytes_moved"] > 0 and r["roofline_ratio"] > 0
        assert r["python_port_subset"] == 200 and r["python_port_scaled"]
        assert r["vs_reference"] > 0
    # no GPU here: the cuda rows are skipped with a reason, never silently dropped
    if not any(r["backend"] == "cuda" for r in doc["results"]):
        assert any(s["backend"] == "cuda" and "GPU" in s["reason"] for s in doc["skipped"])
    assert {t["target"] for t in doc["targets"]}  # targets listed even when not measured
    assert not list(tmp_path.glob(".bench-*"))  # the temporary file was renamed away


def test_linearity_slope_of_linear_data():
    rows = [{"kernel": "k", "backend": "b", "ranges": n, "seconds": 2e-9 * n, "ns_per_range": 2.0}
            for n in (10 ** 4, 10 ** 5, 10 ** 6)]
    (lin,) = command.linearity(rows)
    assert abs(lin["loglog_slope"] - 1.0) < 1e-9


def test_targets_report_misses_by_how_much():
    rows = [{"kernel": "translate_sriov", "backend": "numba", "ranges": 10 ** 7, "roofline_ratio": 0.4}]
    t = next(x for x in command.check_targets(rows, [10 ** 7]) if x["kernel"] == "translate_sriov"
             and x["goal"] == 0.8)
    assert t["met"] is False and "missed by 50%" in t["note"]


def test_rows_carry_both_numpy_ratios_and_speed_of_light(tmp_path, capsys):
    args = parse(["--quick", "--sizes", "3000", "--kernels", "translate_sriov", "iommu_map_split",
                  "--backend", "reference", "numba", "--out", str(tmp_path), "--port-subset", "100",
                  "--no-containers"])
    assert command.main(args) == 0
    out = capsys.readouterr().out
    assert "np-same" in out and "np-generic" in out and "sol" in out
    doc = json.loads(next(tmp_path.glob("*-quick.json")).read_text())
    rows = {(r["kernel"], r["backend"]): r for r in doc["results"]}
    fast = rows[("translate_sriov", "numba")]
    # the fast path's same-algorithm baseline is its own numpy, timed apart from the generic reference
    assert fast["numpy_same_seconds"] != rows[("translate_sriov", "reference")]["seconds"]
    assert fast["vs_numpy_same"] > 0 and fast["vs_reference"] > 0
    assert "SR-IOV arithmetic" in fast["numpy_same_is"]
    # the split's numpy reference already runs its algorithm: both ratios are the same figure
    split = rows[("iommu_map_split", "numba")]
    assert split["vs_numpy_same"] == split["vs_reference"]
    for r in (fast, split):
        assert r["speed_of_light_ratio"] > 0 and r["speed_of_light_roofline_ratio"] > 0


def test_bench_says_which_stores_and_that_outputs_are_warm(tmp_path, capsys, monkeypatch):
    for value, word in (("0", "plain"), ("1", "non-temporal")):
        monkeypatch.setenv(streaming.STREAM_ENV, value)
        out_dir = tmp_path / value
        args = parse(["--quick", "--sizes", "1000", "--kernels", "translate_rfc", "--backend", "numba",
                      "--out", str(out_dir), "--port-subset", "100", "--no-containers"])
        assert command.main(args) == 0
        out = capsys.readouterr().out
        doc = json.loads(next(out_dir.glob("*-quick.json")).read_text())
        assert doc["host"]["stream_stores"].startswith(word), doc["host"]["stream_stores"]
        assert f"CPU output stores: {word}" in out and "warm workspace" in out


def test_bad_stream_stores_value_is_refused_before_running(monkeypatch):
    monkeypatch.setenv(streaming.STREAM_ENV, "maybe")
    with pytest.raises(LabInputError, match=streaming.STREAM_ENV):
        command.check_options(parse(["--quick"]))
