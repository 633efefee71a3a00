"""The findings registry: complete, checkable against the model, mailable."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dmabuf_lab.findings.email import finding_email
from dmabuf_lab.findings.registry import FindingsError, groups, load_findings
from dmabuf_lab.litmus.runner import run_once
from dmabuf_lab.litmus.scenario import load_scenario
from dmabuf_lab.revisions import available_revisions, get_revision

ROOT = Path(__file__).resolve().parents[2]
FINDINGS = load_findings()


def test_every_bug_a_revision_declares_is_a_finding():
    missing = []
    for name in available_revisions():
        for bug in get_revision(name).bugs:
            if not any(f.variant.split(":", 1)[1] == f"fix-{bug}" and (f.where == name or name in f.also_in)
                       for f in FINDINGS):
                missing.append(f"{name}: {bug}")
    assert not missing, f"revision bugs with no entry in data/findings.toml: {missing}"


def test_every_variant_exists():
    for f in FINDINGS:
        rev, variant = f.variant.split(":", 1)
        assert variant in get_revision(rev).variants, f.id


def test_every_named_unit_test_exists():
    for f in FINDINGS:
        assert f.scenarios or f.tests, f"{f.id} names nothing that shows it"
        for test in f.tests:
            path, _, name = test.partition("::")
            assert (ROOT / path).is_file(), f"{f.id}: {path} does not exist"
            assert f"def {name}(" in (ROOT / path).read_text(encoding="utf-8"), f"{f.id}: no {test}"


def _shows(verdict, kind: str) -> bool:
    if kind == "crash":
        return verdict.outcome == "crash"
    if kind == "error":
        return verdict.outcome.startswith("-E")
    return kind in verdict.finding_kinds


def _explored(sc, target: str) -> set:
    """The properties some interleaving of concurrent scenario ``sc`` fails under ``target``
    (every interleaving up to the scenario's bound, with no time limit)."""
    from dmabuf_lab.litmus.explorer import explore

    result = explore(sc, target, seconds=None)
    assert result.executions and not result.bound_hit, (target, result.executions)
    return set(result.failing)


SCENARIO_CASES = [(f, s) for f in FINDINGS for s in f.scenarios]


@pytest.mark.parametrize("finding, scenario", SCENARIO_CASES,
                         ids=[f"{f.id}-{Path(s).stem}" for f, s in SCENARIO_CASES])
def test_scenario_shows_the_finding_posted_and_not_with_its_fix(finding, scenario):
    sc = load_scenario(ROOT / scenario)
    assert any(t.split(":")[0] == finding.where for t in sc.targets()), \
        f"{scenario} does not check {finding.where}"
    if sc.concurrent:
        # a race: some interleaving shows the finding as posted, none does with the fix
        assert finding.kind in _explored(sc, finding.where)
        assert finding.kind not in _explored(sc, finding.variant)
        return
    posted = run_once(sc.fresh_topology(), sc.exporter, sc.importer, sc.steps, revision=finding.where)
    assert _shows(posted, finding.kind), (posted.outcome, posted.finding_kinds)
    fixed = run_once(sc.fresh_topology(), sc.exporter, sc.importer, sc.steps, revision=finding.variant)
    # the fix removes the finding, or (when a later defect remains) changes the outcome
    assert not _shows(fixed, finding.kind) or fixed.outcome != posted.outcome, \
        (fixed.outcome, fixed.finding_kinds)


def test_mainline_findings_come_first_newest_release_first():
    from dmabuf_lab.revisions import MAINLINE_RELEASES

    order = [g.split(" / ")[0] for g in groups(FINDINGS)]
    n = sum(1 for g in order if g.startswith("mainline-"))
    assert order[:n] == sorted(order[:n], key=lambda r: -MAINLINE_RELEASES.index(r))
    assert all(not g.startswith("mainline-") for g in order[n:])
    newest = [f for f in FINDINGS if f.where == MAINLINE_RELEASES[-1]]
    assert {f.id for f in newest} >= {"sgt-orig-nents-leak", "iova-link-offset-zero",
                                      "iova-span-leak-sg-alloc", "iova-span-leak-first-link"}
    for f in FINDINGS:
        if f.where.startswith("mainline-"):
            assert f.upstream in ("present", "fixed"), f.id


NEWEST_CASES = [(f, s) for f in FINDINGS if f.where.startswith("mainline-") for s in f.scenarios]


@pytest.mark.parametrize("finding, scenario", NEWEST_CASES,
                         ids=[f"{f.id}-{Path(s).stem}" for f, s in NEWEST_CASES])
def test_upstream_status_agrees_with_the_newest_mainline_model(finding, scenario):
    """'still present' must show under the newest mainline the lab models; 'fixed' must not."""
    from dmabuf_lab.revisions import canonical

    newest = canonical("mainline")
    sc = load_scenario(ROOT / scenario)
    if sc.concurrent:
        assert (finding.kind in _explored(sc, newest)) == (finding.upstream == "present"), newest
        return
    v = run_once(sc.fresh_topology(), sc.exporter, sc.importer, sc.steps, revision=newest)
    assert _shows(v, finding.kind) == (finding.upstream == "present"), (newest, v.outcome, v.finding_kinds)


@pytest.mark.parametrize("finding", [f for f in FINDINGS if f.upstream == "present" and not f.scenarios],
                         ids=lambda f: f.id)
def test_present_findings_without_a_scenario_are_tested_on_the_newest_release(finding):
    """Their unit tests must exercise the 7.3 code path too (the helper's faithful mode is release-independent)."""
    from dmabuf_lab.revisions import canonical, get_revision

    assert finding.where == canonical("mainline")
    assert finding.variant.split(":", 1)[1] in get_revision(finding.where).variants


def test_the_vfio_double_free_is_fixed_upstream_and_found_again():
    f = next(f for f in FINDINGS if f.id == "vfio-export-fd-double-free")
    assert f.upstream == "fixed" and f.fixed_by == "e98137f0a874" and f.reported == "upstream-fix"
    text = finding_email(f, "0123456789ab (clean)")
    assert "e98137f0a874" in text and "CVE-2026-31468" in text and "found again by the lab" in text


@pytest.mark.parametrize("finding", FINDINGS, ids=[f.id for f in FINDINGS])
def test_email_form_is_a_self_contained_report(finding):
    text = finding_email(finding, "0123456789ab (clean)")
    lines = text.splitlines()
    # prose fits 72 columns; only commands, pasted whole, may be longer
    commands = [f"  python -m pytest {t}" for t in finding.tests] + [f"  {finding.reproducer}"]
    assert all(len(line) <= 72 or line in commands for line in lines)
    for part in (finding.title, finding.function, "0123456789ab", finding.reproducer):
        assert part in text
    reproduce = lines[lines.index("Reproduce:") + 1]
    assert reproduce.strip() == finding.reproducer
    for test in finding.tests:                       # a pytest node id is never split
        assert f"  python -m pytest {test}" in lines
    # one status line: the upstream state is not said twice
    status = " ".join(text.split("Status:", 1)[1].split("\n\n", 1)[0].split())
    for phrase in ("still present in the newest source found", "never merged", "not merged"):
        assert status.count(phrase) <= 1, (phrase, status)
    # the code at fault: a commit id, a patch number or a Message-ID; where: lines or "lines unknown"
    code = " ".join(text.split("Code:", 1)[1].split("Status:", 1)[0].split())
    assert re.search(r"\b[0-9a-f]{12}\b|\d+/\d+\]|<[^>]+@[^>]+>", code), code
    where = " ".join(text.split("Where:", 1)[1].split("Code:", 1)[0].split())
    assert re.search(r"lines \d+-\d+ at \S+ [0-9a-f]{12}|lines unknown", where), where


def test_line_ranges_name_a_commit_docs_sources_lists():
    sources = (ROOT / "docs" / "sources.md").read_text(encoding="utf-8")
    with_lines = [f for f in FINDINGS if f.lines]
    assert with_lines
    for f in with_lines:
        first, last = map(int, f.lines.split("-"))
        assert first < last and (not f.focus or first <= int(f.focus) <= last), f.id
        assert f.lines_at.split("@")[1][:12] in sources, f.id


def test_bad_entries_name_the_file_entry_and_field(tmp_path):
    good = (ROOT / "data" / "findings.toml").read_text(encoding="utf-8")
    bad = tmp_path / "findings.toml"
    bad.write_text(good.replace('upstream = "present"', 'upstream = "gone"', 1), encoding="utf-8")
    assert 'upstream = "present"' in good.split("[[finding]]")[2]
    with pytest.raises(FindingsError, match=r"findings\.toml: \[\[finding\]\] #1 \(sgt-orig-nents-leak\): upstream"):
        load_findings(bad)
    bad.write_text(good.replace('where = "mainline-7.3-rc6"', 'where = "mainlin"', 1), encoding="utf-8")
    with pytest.raises(FindingsError, match="'mainlin' is not a revision"):
        load_findings(bad)


def test_command_formats(capsys):
    from dmabuf_lab.cli import main

    from dmabuf_lab.findings.fix_findings import all_findings

    every = all_findings()
    assert every[:len(FINDINGS)] == FINDINGS
    assert main(["findings", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [f["id"] for f in data["findings"]] == [f.id for f in every] and data["commit"]
    assert main(["findings", "--where", "mainline", "--format", "email"]) == 0
    out = capsys.readouterr().out
    assert out.count("Reproduce:") == sum(f.where.startswith("mainline-") for f in every)
    assert main(["findings", "no-such-finding"]) == 2
    assert "unknown finding id" in capsys.readouterr().err
