"""A run on the reachable part of a machine answers exactly as a run on the whole machine."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from dmabuf_lab.hw import load_topology, reach
from dmabuf_lab.litmus.ask import fill_in, targets
from dmabuf_lab.litmus.runner import run_once
from dmabuf_lab.litmus.scenario import scenario_from_data

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
from capture_shapes import deep, flat  # noqa: E402

CAPTURES = sorted((ROOT / "data" / "captures").glob("lspci-*.txt"))
PAIRS = [("vfio-pci", "rdma"), ("vfio-pci", "iommufd"), ("xe", "xe")]


def _answers(path: str, exporter: str, importer: str, make_topology):
    data = {"question": "same answer?", "topology": path, "exporter": {"driver": exporter},
            "importer": {"driver": importer}}
    try:
        fill_in(data)
        sc = scenario_from_data(data)
    except ValueError:
        return None                       # no device in this capture that the pair binds
    out = []
    for t in targets(None, False):
        v = run_once(make_topology(sc), sc.exporter, sc.importer, sc.steps, t)
        out.append(json.dumps(v.as_dict(), sort_keys=True, default=str))
    return out


def _check_same(path: str, monkeypatch) -> int:
    monkeypatch.setattr(reach, "WHOLE_UP_TO", 0)
    compared = 0
    for exporter, importer in PAIRS:
        whole = _answers(path, exporter, importer, lambda sc: load_topology(path))
        if whole is None:
            continue
        part = _answers(path, exporter, importer,
                        lambda sc: reach.reach_copy(load_topology(path), (sc.exporter.device, sc.importer.device)))
        assert part == whole, (path, exporter, importer)
        compared += 1
    return compared


def test_reach_copy_answers_as_the_whole_shipped_capture(monkeypatch):
    compared = sum(_check_same(str(capture), monkeypatch) for capture in CAPTURES)
    assert compared >= len(CAPTURES)


@pytest.mark.parametrize("shape", [flat, deep], ids=["flat", "deep"])
def test_reach_copy_answers_as_the_whole_synthetic_capture(shape, tmp_path, monkeypatch):
    p = tmp_path / "lspci.txt"
    p.write_text(shape(160))
    assert _check_same(str(p), monkeypatch) >= 1


def test_reach_copy_holds_only_what_a_run_reaches_and_shares_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(reach, "WHOLE_UP_TO", 0)
    p = tmp_path / "lspci.txt"
    p.write_text(deep(400))
    whole = load_topology(str(p))
    part = reach.reach_copy(whole, ("0000:09:00.0", "0000:09:00.1"))
    assert "0000:09:00.0" in part.devices and len(part.devices) < len(whole.devices) // 4
    dev, orig = part.devices["0000:09:00.0"], whole.devices["0000:09:00.0"]
    assert dev is not orig and dev.topology is part and dev.bars[0] is not orig.bars[0]
    chain = []
    while dev is not None:
        chain.append(dev)
        dev = dev.parent
    assert all(d.topology is part and d.bdf in part.devices for d in chain) and len(chain) == 10
    assert all(id(d) not in {id(x) for x in whole.devices.values()} for d in part.devices.values())
