"""The fix history: each change of the release data replayed and classified."""
from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from dmabuf_lab.findings.fix_history import (
    CLASSES, DISAGREES, FOUND, MISSING, NOT_EXPRESSIBLE, Observation, classify, counts, counts_sentence,
    fix_history,
    scenarios_of, shown_by, table_text, targets_of,
)
from dmabuf_lab.litmus.scenario import load_scenario
from dmabuf_lab.revisions.releases import RELEASE_ORDER, load_releases

ROOT = Path(__file__).resolve().parents[2]
TABLE = load_releases()
CHANGES = {c.id: c for c in TABLE.changes}
MOVE_NOTIFY_OFF = ROOT / "litmus" / "mainline-619-move-notify-off.toml"


def _change(**kw):
    """A change of the data with some fields replaced (the shape stays valid)."""
    return dataclasses.replace(CHANGES["609fc8766d68"], **kw)


def test_an_errno_the_fixed_code_does_not_return_is_found():
    sc = load_scenario(MOVE_NOTIFY_OFF)
    row = classify(_change(checkers=("errno",)), [MOVE_NOTIFY_OFF], "mainline-6.19", "mainline-7.1")
    assert row.status == FOUND and row.showing
    rep = row.replays[0]
    # the verdicts are the ones the scenario file states from the sources
    assert rep.before.outcome == sc.expect["mainline-6.19"]
    assert rep.after.outcome == sc.expect["mainline-7.1"]
    assert rep.shown == ("errno",)


def test_the_same_scenario_read_backwards_disagrees():
    row = classify(_change(checkers=("errno",)), [MOVE_NOTIFY_OFF], "mainline-7.1", "mainline-6.19")
    assert row.status == DISAGREES
    assert "mainline-7.1" in row.reason and "mainline-6.19" in row.reason


def test_a_checker_the_scenario_does_not_show_disagrees():
    row = classify(_change(checkers=("use-after-free",)), [MOVE_NOTIFY_OFF], "mainline-6.19", "mainline-7.1")
    assert row.status == DISAGREES and not row.showing


def test_a_target_the_scenario_does_not_check_shows_nothing():
    row = classify(_change(checkers=("errno",)), [MOVE_NOTIFY_OFF], "rfc-v1", "mainline-7.1")
    assert row.status == DISAGREES
    assert not row.replays[0].before.named and "not checked by the scenario" in row.reason


def test_a_concurrent_scenario_is_found_through_its_race_verdicts():
    path = ROOT / "litmus" / "race-vfio-revoke-vs-dma.toml"
    sc = load_scenario(path)
    row = classify(_change(checkers=("use-after-revoke",)), [path], "mainline-6.19", "mainline-7.1")
    assert row.status == FOUND
    before, after = row.replays[0].before, row.replays[0].after
    assert before.outcome == "explored" and before.agrees and after.agrees
    want = {p for p, v in sc.races["mainline-6.19"].items() if v != "never"}
    assert set(before.kinds) == want


def test_not_expressible_carries_the_datas_reason_and_missing_says_what_to_write():
    c = next(c for c in TABLE.changes if not c.expressible)
    row = classify(c, [MOVE_NOTIFY_OFF], "mainline-6.19", "mainline-7.1")
    assert row.status == NOT_EXPRESSIBLE and c.reason in row.reason and not row.replays
    assert MOVE_NOTIFY_OFF.name in row.reason          # a scenario the data cannot judge is named
    row = classify(_change(), [], "mainline-6.19", "mainline-7.1")
    assert row.status == MISSING and "fix-609fc8766d68-" in row.reason


def test_fix_scenarios_are_found_by_name_and_the_data_list(tmp_path):
    shutil.copy(MOVE_NOTIFY_OFF, tmp_path / "fix-609fc8766d68-pin-at-map.toml")
    shutil.copy(MOVE_NOTIFY_OFF, tmp_path / "fix-609fc8766d69-other.toml")
    found = scenarios_of(_change(litmus=("litmus/mainline-619-move-notify-off.toml",)), tmp_path)
    assert [p.name for p in found] == ["mainline-619-move-notify-off.toml", "fix-609fc8766d68-pin-at-map.toml"]
    assert scenarios_of(_change(litmus=()), tmp_path)[0].name == "fix-609fc8766d68-pin-at-map.toml"


def test_targets_are_the_release_before_unless_the_data_names_one():
    assert targets_of(_change(first_release="mainline-7.2"), RELEASE_ORDER) == ("mainline-7.1", "mainline-7.2")
    assert targets_of(_change(first_release="mainline-7.1", defect_target="mainline-7.1:as-merged"),
                      RELEASE_ORDER) == ("mainline-7.1:as-merged", "mainline-7.1")


@pytest.mark.parametrize("checker, before, after, seen", [
    ("refcount", ("warn",), (), True),          # a refcount_t underflow is a kmodel warn
    ("hang", ("deadlock",), (), True),          # an endless wait, as a race property
    ("hang", ("lock",), (), True),
    ("lock", ("lock-assert",), ("lock-assert",), False),
    ("leak", ("leak",), ("leak",), False),      # still there after the fix: not this fix's
    ("double-free", ("use-after-free",), (), False),
])
def test_which_kinds_each_checker_sees(checker, before, after, seen):
    b, a = Observation("x", "sgt", before), Observation("y", "sgt", after)
    assert bool(shown_by([checker], b, a)) is seen


def test_errno_needs_an_errno_before_that_the_fix_changes():
    assert shown_by(["errno"], Observation("a", "-EINVAL"), Observation("b", "sgt-p2p")) == ("errno",)
    assert shown_by(["errno"], Observation("a", "-EINVAL"), Observation("b", "-EINVAL")) == ()
    assert shown_by(["errno"], Observation("a", "sgt-p2p"), Observation("b", "-EINVAL")) == ()


@pytest.fixture(scope="module")
def rows():
    return fix_history()


def test_the_table_covers_every_change_once(rows):
    assert [r.id for r in rows] == [c.id for c in TABLE.changes]
    n = counts(rows)
    assert set(n) == set(CLASSES) and sum(n.values()) == len(TABLE.changes)
    assert n[NOT_EXPRESSIBLE] == sum(1 for c in TABLE.changes if not c.expressible)
    for r in rows:
        if r.status == FOUND:
            assert r.showing and all(set(s.shown) <= set(r.change.checkers) for s in r.showing)
        if r.status == MISSING:
            assert not scenarios_of(r.change)
    text = table_text(rows)
    assert all(len(line) <= 72 for line in text.splitlines())
    assert all(c.id in text for c in TABLE.changes)


def test_the_readme_gives_the_counts_of_the_fix_history(rows):
    """The README's count of found / not expressible / missing fixes is the table's."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = text.split("## What the lab has found", 1)[1].split("\n## ", 1)[0]
    assert counts_sentence(rows) in " ".join(found.split()), \
        "README.md: the fix-history sentence under 'What the lab has found' is stale; it should read: " \
        + counts_sentence(rows)
    n = counts(rows)
    for cls, phrase in ((FOUND, "are found"), (NOT_EXPRESSIBLE, "are not expressible"),
                        (MISSING, "have no scenario yet")):
        assert f"{n[cls]} {phrase}" in " ".join(found.split())
