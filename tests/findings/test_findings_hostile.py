"""A broken findings registry ends in one FindingsError line naming the file, the entry and the field."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dmabuf_lab.findings.registry import FindingsError, load_findings
from dmabuf_lab.fuzz.toml_text import document

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
GOOD = ROOT / "data" / "findings.toml"


def _data() -> dict:
    return tomllib.loads(GOOD.read_text(encoding="utf-8"))


def _error(tmp_path, content) -> str:
    bad = tmp_path / "findings.toml"
    if isinstance(content, bytes):
        bad.write_bytes(content)
    else:
        bad.write_text(content if isinstance(content, str) else document(content), encoding="utf-8")
    with pytest.raises(FindingsError) as exc:
        load_findings(bad)
    msg = str(exc.value)
    assert str(bad) in msg and "\n" not in msg
    return msg


def test_binary_file(tmp_path):
    assert "UTF-8" in _error(tmp_path, b"\x00\x01\xff\xfe" * 64)


def test_deep_nesting(tmp_path):
    assert "nested too deeply" in _error(tmp_path, GOOD.read_text() + "\nzz = " + "[" * 3000 + "]" * 3000 + "\n")


def test_entry_that_is_not_a_table(tmp_path):
    data = _data()
    data["finding"][1] = 7
    assert "[[finding]] #2: expected a [[finding]] table, got an integer 7" in _error(tmp_path, data)


def test_nested_finding_lists(tmp_path):
    data = _data()
    data["finding"] = [[data["finding"][0]]]
    assert "[[finding]] #1: expected a [[finding]] table, got an array" in _error(tmp_path, data)


@pytest.mark.parametrize("field, value, words", [
    ("title", 5, "field 'title' must be a non-empty string, got an integer 5"),
    ("id", ["x"], "field 'id' must be a non-empty string, got an array"),
    ("scenarios", "litmus/x.toml", "field 'scenarios' must be a list of strings, got a string"),
    ("also_in", [1], "field 'also_in' must be a list of strings"),
    ("fixed_by", True, "field 'fixed_by' must be a string, got a boolean True"),
    ("scenarios", ["/etc/hostname"], "field 'scenarios': '/etc/hostname'; expected a path litmus/NAME.toml"),
    ("scenarios", ["litmus/../../x.toml"], "expected a path litmus/NAME.toml"),
])
def test_wrong_types_name_entry_and_field(tmp_path, field, value, words):
    data = _data()
    first = data["finding"][0]["id"]
    data["finding"][0][field] = value
    msg = _error(tmp_path, data)
    assert "[[finding]] #1" in msg and words in msg
    if field != "id":
        assert f"({first})" in msg


def test_unknown_top_level_key(tmp_path):
    data = {"zz": 1, **_data()}
    assert "top level: unknown key(s)" in _error(tmp_path, data)


def test_bom_is_accepted(tmp_path):
    bom = tmp_path / "findings.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + GOOD.read_bytes())
    assert [f.id for f in load_findings(bom)] == [f.id for f in load_findings(GOOD)]


def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "findings.toml"
    os.mkfifo(fifo)
    code = ("import sys; from dmabuf_lab.findings.registry import load_findings, FindingsError\n"
            "try:\n    load_findings(sys.argv[1])\nexcept FindingsError as e:\n    print(e)\n")
    r = subprocess.run([sys.executable, "-c", code, str(fifo)], capture_output=True, text=True, timeout=60,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0 and "FIFO" in r.stdout and str(fifo) in r.stdout


def test_device_is_refused():
    with pytest.raises(FindingsError, match="/dev/zero: .*character device"):
        load_findings("/dev/zero")
