"""`dmabuf-lab diff REV_A REV_B`: the scenarios whose answers differ, and why.

Checked against the scenario files' own [expect] and [findings] tables
(written from the facts, not from the models): where a file states
different verdicts for the two revisions, the diff must list it.
"""
from __future__ import annotations

import json

from dmabuf_lab import cli
from dmabuf_lab.litmus.scenario import find_scenarios, load_scenario

A, B = "mainline-6.19", "mainline-7.3-rc6"


def _diff(capsys, *argv) -> dict:
    assert cli.main(["diff", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_every_scenario_whose_stated_verdicts_differ_is_listed(capsys):
    data = _diff(capsys, A, B)
    listed = {d["scenario"] for d in data["differences"]}
    stated = set()
    for path in find_scenarios():
        sc = load_scenario(path)
        if sc.concurrent:
            if A in sc.races and B in sc.races and sc.races[A] != sc.races[B]:
                stated.add(sc.name)
            continue
        if A in sc.expect and B in sc.expect and sc.expect[A] != sc.expect[B]:
            stated.add(sc.name)
        if A in sc.findings and B in sc.findings and sorted(sc.findings[A]) != sorted(sc.findings[B]):
            stated.add(sc.name)
    assert stated, "the shipped scenarios state some difference between the two releases"
    assert stated <= listed, sorted(stated - listed)
    assert "mainline-619-move-notify-off" in listed


def test_each_difference_says_what_explains_it(capsys):
    data = _diff(capsys, A, B)
    assert data["differences"]
    for d in data["differences"]:
        assert d["explanation"], d["scenario"]
    pinned = next(d for d in data["differences"] if d["scenario"] == "mainline-619-move-notify-off")
    assert pinned["a"]["outcome"] == "-EOPNOTSUPP"
    assert "vfio_pci_dma_buf_pin()" in pinned["a"]["why"]


def test_text_form_fits_100_columns_and_names_both_sides(capsys):
    assert cli.main(["diff", A, B]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"A = {A}, B = {B}: ")
    assert max(len(line) for line in out.splitlines()) <= 100


def test_the_same_revision_twice_differs_nowhere(capsys):
    data = _diff(capsys, B, B, "litmus/mainline-sgt-helper-leak.toml")
    assert data["differences"] == [] and data["scenarios"] == 1


def test_an_unknown_revision_suggests_the_near_one(capsys):
    assert cli.main(["diff", "mainline-6.1", B]) == 2
    err = capsys.readouterr().err
    assert "did you mean 'mainline-6.19'" in err and "Traceback" not in err


def test_a_stated_cannot_express_is_an_answer_an_unstated_one_is_not(capsys):
    # the file states cannot-express for mainline-6.19 (no uverbs dma-buf exporter before 7.0)
    # and no verdict at all for rfc-v1
    path = "litmus/rdma-uverbs-static-importer.toml"
    sc = load_scenario(path)
    assert sc.expect[A] == "cannot-express" and sc.expect[B] != "cannot-express" and "rfc-v1" not in sc.expect

    data = _diff(capsys, A, B, path)
    assert [d["scenario"] for d in data["differences"]] == [sc.name] and data["not_expressed_by_one"] == []
    d = data["differences"][0]
    assert (d["a"]["outcome"], d["b"]["outcome"]) == ("cannot-express", sc.expect[B])
    assert any(item.startswith("A cannot-express: ") and "rdma-uverbs" in item for item in d["explanation"])

    data = _diff(capsys, "rfc-v1", B, path)
    assert data["differences"] == [] and data["not_expressed_by_one"] == [sc.name]
