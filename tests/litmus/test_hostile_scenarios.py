"""Hostile scenario files: each ends in one line naming the file and field, or runs as the file says."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from dmabuf_lab.cli import main
from dmabuf_lab.fuzz.toml_text import document
from dmabuf_lab.litmus.scenario import ScenarioError, load_scenario, load_scenario_text

ROOT = Path(__file__).resolve().parents[2]
SEQ = ROOT / "litmus" / "vfio-to-iommufd.toml"
RACE = ROOT / "litmus" / "race-vfio-revoke-vs-dma.toml"


def _one_line_error(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.count("\n") == 1, err
    return err


def _data(path: Path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _write(tmp_path, text: str, name: str = "s.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# -- reading --------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["ask", "litmus"])
def test_not_utf8_is_one_line_naming_file_and_line(tmp_path, capsys, command):
    bad = tmp_path / "bad.toml"
    bad.write_bytes(SEQ.read_bytes().replace(b"single-range", b"single\xffrange", 1))
    err = _one_line_error(capsys, [command, str(bad)])
    assert f"{bad}:1" in err and "UTF-8" in err


@pytest.mark.parametrize("command", ["ask", "litmus"])
@pytest.mark.parametrize("opener", ["[", "{ a = "])
def test_deep_nesting_is_one_line(tmp_path, capsys, command, opener):
    closer = "]" if opener == "[" else " }"
    bad = _write(tmp_path, SEQ.read_text() + "\nzz = " + opener * 3000 + "1" * (opener != "[") + closer * 3000 + "\n")
    err = _one_line_error(capsys, [command, str(bad)])
    assert str(bad) in err and "nested too deeply" in err


@pytest.mark.parametrize("value", ["vfio-pci", 3, ["vfio-pci"]])
def test_ask_exporter_that_is_not_a_table(tmp_path, capsys, value):
    bad = _write(tmp_path, document({**_data(SEQ), "exporter": value}))
    err = _one_line_error(capsys, ["ask", str(bad)])
    assert "field 'exporter'" in err and "[exporter] table" in err


def test_bom_is_accepted_by_litmus_and_ask(tmp_path, capsys):
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + SEQ.read_bytes())
    assert main(["litmus", str(bom), "--revision", "rfc-v1"]) == 0
    assert "agree" in capsys.readouterr().out
    assert main(["ask", str(bom), "--revision", "rfc-v1", "--json"]) == 0
    answers = json.loads(capsys.readouterr().out)["answers"]
    assert [a["outcome"] for a in answers if a["target"] == "rfc-v1"] == [load_scenario(SEQ).expect["rfc-v1"]]


def _run_cli(argv, timeout=60):
    return subprocess.run([sys.executable, "-m", "dmabuf_lab.cli", *argv], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.mark.parametrize("command", ["ask", "litmus"])
def test_fifo_is_refused_without_blocking(tmp_path, command):
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    r = _run_cli([command, str(fifo)])      # no writer: opening it for reading would block
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert str(fifo) in r.stderr and "FIFO" in r.stderr and r.stderr.count("\n") == 1


@pytest.mark.parametrize("command", ["ask", "litmus"])
def test_character_device_is_refused(command):
    r = _run_cli([command, "/dev/zero"])
    assert r.returncode == 2 and "/dev/zero" in r.stderr and "character device" in r.stderr


def test_oversized_file_is_refused(tmp_path, capsys):
    big = _write(tmp_path, SEQ.read_text() + "\n" + "# padding\n" * 200_000)
    err = _one_line_error(capsys, ["ask", str(big)])
    assert str(big) in err and "bytes" in err


# -- types, drivers, ranges --------------------------------------------------------------------

@pytest.mark.parametrize("key, value", [
    ("question", 3), ("topology", [1]), ("steps", "attach"), ("source", 1), ("construction", True),
    ("expect", 1), ("findings", {"rfc-v1": "leak"}), ("max_interleavings", "many"), ("importer", []),
])
def test_every_top_level_value_is_typed(tmp_path, key, value):
    with pytest.raises(ScenarioError) as exc:
        load_scenario_text(tmp_path / "s.toml", document({**_data(SEQ), key: value}))
    assert f"field '{key}" in str(exc.value) and "expected" in str(exc.value)


def test_wrongly_typed_option_is_refused_before_the_ranges_read_it(tmp_path):
    text = SEQ.read_text().replace('ranges = [[0x0, 0x200000]]',
                                   'ranges = [[0x0, 0x200000]]\nunchecked_ranges = "no"')
    with pytest.raises(ScenarioError, match="exporter.unchecked_ranges.*true or false"):
        load_scenario_text(tmp_path / "s.toml", text)


@pytest.mark.parametrize("scenario, role, driver", [
    (RACE, "exporter", "vfio-pci"), (SEQ, "exporter", "vfio-pci"),
    (ROOT / "litmus" / "race-xe-move-vs-importer-map.toml", "exporter", "xe"),
    (ROOT / "litmus" / "rfc-v1-xe-pf-imports-own-vf.toml", "importer", "xe"),
])
def test_a_driver_that_reads_its_pci_function_needs_a_device(tmp_path, scenario, role, driver):
    text = scenario.read_text()
    head, sep, rest = text.partition(f"[{role}]\n")
    table, nl, tail = rest.partition("\n[")
    assert f'driver = "{driver}"' in table
    table = "\n".join(ln for ln in table.splitlines() if not ln.startswith("device"))
    with pytest.raises(ScenarioError) as exc:
        load_scenario_text(tmp_path / "s.toml", head + sep + table + nl + tail)
    assert f"field '{role}.driver'" in str(exc.value) and "needs device" in str(exc.value)


@pytest.mark.parametrize("unchecked", [False, True])
def test_overlapping_ranges_are_refused(tmp_path, unchecked):
    text = SEQ.read_text().replace("ranges = [[0x0, 0x200000]]", "ranges = [[0x0, 0x200000], [0x100000, 0x200000]]"
                                   + ("\nunchecked_ranges = true" if unchecked else ""))
    with pytest.raises(ScenarioError, match=r"exporter.ranges.*ranges\[1\].*overlaps ranges\[0\]"):
        load_scenario_text(tmp_path / "s.toml", text)


def test_adjacent_and_zero_length_ranges_still_load(tmp_path):
    text = SEQ.read_text().replace("ranges = [[0x0, 0x200000]]",
                                   "ranges = [[0x0, 0x200000], [0x200000, 0x200000], [0x200000, 0]]\n"
                                   "unchecked_ranges = true")
    sc = load_scenario_text(tmp_path / "s.toml", text)
    assert sc.exporter.ranges == ((0, 0x200000), (0x200000, 0x200000), (0x200000, 0))


# -- ask on a concurrent scenario ------------------------------------------------------------------

def test_ask_explores_threads_instead_of_dropping_them(capsys):
    sc = load_scenario(RACE)
    targets = list(sc.races)
    argv = ["ask", str(RACE), "--json"] + [a for t in targets for a in ("--revision", t)]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["threads"] == {name: list(steps) for name, steps in sc.threads}
    got = {a["target"]: a for a in out["answers"]}
    for t in targets:
        # the scenario's [races] table, taken from the cited sources, is the expectation
        assert got[t]["interleavings"] > 1
        assert got[t]["properties"] == sc.races[t], t


def test_ask_threads_text_names_the_threads(capsys):
    assert main(["ask", str(RACE), "--revision", "mainline-6.19"]) == 0
    out = capsys.readouterr().out
    assert "thread importer: attach map use unmap detach" in out and "interleavings" in out
    assert "use-after-revoke=sometimes" in out
