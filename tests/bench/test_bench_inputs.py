"""`dmabuf-lab bench`: bad options and runs that would measure nothing are refused up front."""
from __future__ import annotations

import json
import os

import pytest

from dmabuf_lab import cli
from dmabuf_lab.bench import command

FAKE_ROOF = {"device": "cpu", "copy_bytes": 1 << 20, "copy_s": 1e-4, "copy_bandwidth_Bps": 2e10,
             "method": "test roofline"}


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if the benchmark starts measuring."""
    def boom(*a, **k):
        raise AssertionError("the benchmark ran although its options were bad")
    monkeypatch.setattr(command, "measure_roofline", boom)
    monkeypatch.setattr(command, "best_time", boom)


def _error(capsys, argv) -> str:
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert "Traceback" not in err and err.count("\n") == 1, err
    return err


def test_cuda_without_a_gpu_exits_non_zero_and_writes_nothing(tmp_path, capsys, monkeypatch, no_work):
    monkeypatch.setattr(command.backends, "gpu_usable", lambda: (False, "no CUDA driver (test)"))
    committed = tmp_path / "vm-AMD-EPYC-2cpu.json"
    committed.write_text('{"results": ["committed"]}\n')
    err = _error(capsys, ["bench", "--backend", "cuda", "--out", str(tmp_path), "--quick"])
    assert "field '--backend'" in err and "nothing measured" in err and "no CUDA driver (test)" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vm-AMD-EPYC-2cpu.json"]
    assert committed.read_text() == '{"results": ["committed"]}\n'


@pytest.mark.parametrize("argv, field", [
    (["--port-subset", "0"], "--port-subset"),
    (["--port-subset", "-5"], "--port-subset"),
    (["--seed", "-1"], "--seed"),
    (["--seed", str(2 ** 40)], "--seed"),
    (["--sizes", "0"], "--sizes"),
    (["--backend", "opencl"], "--backend"),
])
def test_bad_numbers_are_input_errors(tmp_path, capsys, no_work, argv, field):
    err = _error(capsys, ["bench", "--quick", "--out", str(tmp_path)] + argv)
    assert f"field '{field}'" in err
    assert list(tmp_path.iterdir()) == []


def test_out_is_checked_before_the_run(tmp_path, capsys, no_work):
    a_file = tmp_path / "results.json"
    a_file.write_text("keep me\n")
    for out in (str(a_file), "/dev/null", "/proc/no-such-dir/bench"):
        err = _error(capsys, ["bench", "--quick", "--out", out])
        assert "field '--out'" in err and out in err
    assert a_file.read_text() == "keep me\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_unwritable_out_directory_is_checked_before_the_run(tmp_path, capsys, no_work):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        err = _error(capsys, ["bench", "--quick", "--out", str(ro)])
        assert "field '--out'" in err
    finally:
        ro.chmod(0o700)


def test_the_file_name_says_machine_device_and_backends(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(command, "measure_roofline", lambda nbytes, backend: dict(FAKE_ROOF))
    monkeypatch.setattr(command.backends, "gpu_usable", lambda: (False, "no CUDA driver (test)"))
    argv = ["bench", "--quick", "--sizes", "1000", "--kernels", "translate_sriov", "--backend", "reference",
            "cuda", "--out", str(tmp_path), "--machine", "box", "--port-subset", "100", "--no-containers"]
    assert cli.main(argv) == 0
    capsys.readouterr()
    (written,) = tmp_path.glob("*.json")
    doc = json.loads(written.read_text())
    assert doc["backends"] == ["reference"]
    assert written.name == f"box-{doc['device']}-reference-quick.json"
    assert any(s["backend"] == "cuda" for s in doc["skipped"])
