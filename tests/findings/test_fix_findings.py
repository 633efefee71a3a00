"""Found fixes as findings: status, reproducer and the email form."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from dmabuf_lab.findings.email import finding_email
from dmabuf_lab.findings.fix_findings import finding_id, fix_finding, fix_findings, found_fixes
from dmabuf_lab.findings.fix_history import FOUND, classify
from dmabuf_lab.findings.registry import load_findings
from dmabuf_lab.revisions.releases import load_releases

ROOT = Path(__file__).resolve().parents[2]
CHANGES = {c.id: c for c in load_releases().changes}
REGISTRY = load_findings()


def _found(cid: str, scenario: str, checkers=None):
    change = CHANGES[cid]
    if checkers:
        change = dataclasses.replace(change, checkers=checkers)
    row = classify(change, [ROOT / scenario], "mainline-6.19", "mainline-7.1")
    assert row.status == FOUND, row.reason
    return row


def test_a_found_fix_is_a_finding_of_the_release_before_with_its_upstream_status():
    row = _found("d97708701434", "litmus/race-vfio-close-vs-dma.toml")
    change = row.change
    f = fix_finding(dataclasses.replace(row, after=change.first_release))
    assert f.where == "mainline-6.19" and f.upstream == "fixed" and f.fixed_by == change.id
    assert f"fixed by {change.id} in {change.first_release}" in f.status
    assert change.cve and change.cve in f.status
    assert f.reproducer == "dmabuf-lab litmus litmus/race-vfio-close-vs-dma.toml -v"
    assert (ROOT / f.scenarios[0]).is_file()
    text = finding_email(f, "0123456789ab (clean)")
    assert all(len(line) <= 72 or line.strip() == f.reproducer or line.startswith("  dmabuf-lab litmus ")
               for line in text.splitlines())
    assert change.id in text and change.cve in text and "mainline-6.19" in text
    assert text.splitlines()[-1].strip() == f.reproducer


def test_the_registry_entry_stands_for_a_fix_it_already_describes():
    row = _found("1a8a5227f229", "litmus/race-vfio-revoke-vs-dma.toml")
    assert any(f.fixed_by == "1a8a5227f229" for f in REGISTRY)
    assert fix_findings([row], REGISTRY) == []
    assert found_fixes([row], REGISTRY) == {"1a8a5227f229": "vfio-revoke-no-wait"}
    # without the registry entry the fix gets its own finding
    assert [f.id for f in fix_findings([row], [])] == [finding_id("1a8a5227f229")]


def test_only_found_rows_become_findings():
    row = classify(next(c for c in CHANGES.values() if not c.expressible), [], "mainline-6.19", "mainline-7.1")
    assert fix_findings([row], REGISTRY) == [] and found_fixes([row], REGISTRY) == {}


def test_registry_fixes_name_the_release_and_cve_from_the_release_data():
    f = next(f for f in REGISTRY if f.id == "vfio-export-fd-double-free")
    c = CHANGES[f.fixed_by]
    assert (f.fixed_in, f.cve) == (c.first_release, c.cve)
    assert f"in {c.first_release}" in f.status and c.cve in f.status


def test_the_fixes_option_prints_the_history_and_its_counts(capsys):
    from dmabuf_lab.cli import main
    from dmabuf_lab.findings.fix_history import counts, counts_sentence, fix_history

    rows = fix_history()
    assert main(["findings", "--fixes"]) == 0
    out = capsys.readouterr().out
    assert all(len(line) <= 72 for line in out.splitlines())
    assert " ".join(counts_sentence(rows).split()) in " ".join(out.split())
    assert main(["findings", "--fixes", "--format", "json"]) == 0
    import json
    data = json.loads(capsys.readouterr().out)
    assert data["counts"] == counts(rows)
    assert [f["commit"] for f in data["fixes"]] == [r.id for r in rows]
    for f in data["fixes"]:
        assert (f["finding"] is not None) == (f["status"] == "found")
    assert main(["findings", "--fixes", "sgt-orig-nents-leak"]) == 2
    assert "--fixes" in capsys.readouterr().err


def test_every_found_fix_is_exactly_one_finding_of_the_command():
    from dmabuf_lab.findings.fix_findings import all_findings
    from dmabuf_lab.findings.fix_history import fix_history

    rows = fix_history()
    every = all_findings(rows)
    assert len({f.id for f in every}) == len(every)
    for row in rows:
        registered = [f for f in REGISTRY if f.fixed_by and f.fixed_by[:12] == row.id[:12]]
        generated = [f for f in every if f.id == finding_id(row.id)]
        if row.status == FOUND:
            # the registry's entry stands for the fix, else one generated finding does
            assert len(generated) == (0 if registered else 1), row.id
        else:
            assert not any(f.id == finding_id(row.id) for f in every), row.id
