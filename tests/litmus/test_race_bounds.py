"""A search cut by its bound proves no ``never``: text, JSON, frames and the check say so."""
from __future__ import annotations

import json

from dmabuf_lab.cli import main
from dmabuf_lab.experiments.race_frames import verdict_rows
from dmabuf_lab.litmus.explorer import NOT_SEEN, explore
from dmabuf_lab.litmus.race_check import check_races
from dmabuf_lab.litmus.scenario import load_scenario

# the 6.19 revoke returns without waiting for the job's fence: use-after-revoke is "sometimes"
# (Linux 6.19 vfio_pci_dma_buf_move(), no wait); the file below claims "never" for it
BODY = '''question = "q"
topology = "xe-sriov-8vf"
max_interleavings = {bound}

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

[threads]
importer = ["attach", "map", "use", "unmap", "detach"]
vfio = ["revoke"]

[races."mainline-6.19:fixed"]
'''


def _scenario(tmp_path, bound: int):
    p = tmp_path / f"bounded-{bound}.toml"
    p.write_text(BODY.format(bound=bound))
    return load_scenario(p)


def test_a_bounded_search_never_says_never(tmp_path):
    sc = _scenario(tmp_path, 5)
    res = explore(sc, "mainline-6.19:fixed")
    assert res.executions == 5 and res.bound_hit
    assert "never" not in {res.verdict(p) for p in ("use-after-revoke", "deadlock", "no-such-property")}
    assert res.verdict("deadlock") == NOT_SEEN
    assert res.verdict_text("deadlock") == "not seen in 5+"


def test_a_bounded_check_that_expects_never_fails_with_a_clear_line(tmp_path, capsys):
    sc = _scenario(tmp_path, 5)
    (c,) = check_races(sc)
    assert c.bounded and not c.ok
    assert ("deadlock", "never", "not seen in 5+") in c.differences()
    assert "cannot show" in c.bound_note() and "max_interleavings" in c.bound_note()
    rc = main(["litmus", str(sc.path)])
    out = capsys.readouterr().out
    assert rc == 1
    assert "all checks agree" not in out and "MISMATCH" in out
    assert "5+" in out and "not seen in 5+" in out and "cannot show" in out


def test_a_bounded_check_in_json_and_frames_says_not_seen(tmp_path, capsys):
    sc = _scenario(tmp_path, 5)
    rc = main(["litmus", str(sc.path), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert rc == 1
    (race,) = data["races"]
    assert race["bound_hit"] and not race["ok"]
    assert "never" not in race["observed"].values()
    assert race["observed"]["deadlock"] == NOT_SEEN
    frame = verdict_rows(check_races(sc))
    assert "never" not in frame["verdict"].to_list()


def test_the_complete_search_still_proves_never_and_sometimes(tmp_path):
    sc = _scenario(tmp_path, 100000)
    res = explore(sc, "mainline-6.19:fixed")
    assert not res.bound_hit
    assert res.verdict("use-after-revoke") == "sometimes"
    assert res.verdict("deadlock") == "never"
