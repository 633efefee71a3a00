"""`dmabuf-lab litmus`: the shipped scenarios pass; a wrong expectation fails readably."""
from __future__ import annotations

import json
import shutil

from dmabuf_lab.cli import main
from dmabuf_lab.litmus.scenario import default_litmus_dir, find_scenarios

SHIPPED = default_litmus_dir()


def test_shipped_scenarios_all_agree(capsys):
    assert len(find_scenarios([SHIPPED])) >= 15
    rc = main(["litmus"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "MISMATCH" not in out


def test_wrong_expectation_fails_with_a_readable_diff(tmp_path, capsys):
    src = (SHIPPED / "oracle5-vfio-to-iommufd.toml").read_text()
    # revisions.md Oracle 5 says PAL; claim SGT_P2P instead.
    assert 'mapping-types-2026-02 = "pal"' in src
    bad = tmp_path / "wrong.toml"
    bad.write_text(src.replace('mapping-types-2026-02 = "pal"', 'mapping-types-2026-02 = "sgt-p2p"'))
    rc = main(["litmus", str(bad)])
    out = capsys.readouterr().out
    assert rc == 1
    assert "MISMATCH" in out
    assert f"--- {bad} [mapping-types-2026-02]" in out
    assert "-   expected: sgt-p2p" in out
    assert "+   observed: pal" in out
    assert "What does iommufd get" in out          # the question is repeated


def test_unlisted_findings_are_a_mismatch(tmp_path, capsys):
    src = (SHIPPED / "bug-vfio-match-mapping-lock.toml").read_text()
    bad = tmp_path / "nofind.toml"
    bad.write_text(src.replace('mapping-types-2026-02 = ["lock"]', 'mapping-types-2026-02 = []'))
    assert main(["litmus", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "+   findings observed: ['lock']" in out
    assert "vfio_pci_dma_buf_match_mapping" in out   # the finding's site is shown


def test_malformed_scenario_exits_2_naming_the_file(tmp_path, capsys):
    src = (SHIPPED / "oracle5-vfio-to-iommufd.toml").read_text()
    bad = tmp_path / "typo.toml"
    bad.write_text(src.replace('driver = "iommufd"', 'driver = "iommu-fd"'))
    assert main(["litmus", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "importer.driver" in err


def test_revision_filter_and_json(capsys):
    rc = main(["litmus", str(SHIPPED / "oracle5-vfio-to-iommufd.toml"), "--revision", "mainline", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert rc == 0
    # plain "mainline" selects the newest mainline
    assert {c["target"] for c in data["checks"]} == {"mainline-7.3"}
    assert data["checks"][0]["observed"] == "phys"
    rc = main(["litmus", str(SHIPPED / "oracle5-vfio-to-iommufd.toml"), "--revision", "mainline-6.19",
               "--json"])
    data = json.loads(capsys.readouterr().out)
    assert rc == 0 and {c["target"] for c in data["checks"]} == {"mainline-6.19"}


def test_fault_sweep_reports_per_revision(tmp_path, capsys):
    shutil.copy(SHIPPED / "oracle5-vfio-to-iommufd.toml", tmp_path)
    rc = main(["litmus", str(tmp_path), "--faults", "--revision", "mapping-types-2026-02"])
    out = capsys.readouterr().out
    assert rc == 0
    header = out.splitlines()[0].split()
    assert header == ["revision", "injected", "ok", "clean", "leak", "use-after-free", "double-free",
                      "bad-free", "crash"]
    row = [line.split() for line in out.splitlines() if line.startswith("mapping-types-2026-02 ")][0]
    injected = int(row[1])
    assert injected > 0 and sum(map(int, row[2:])) == injected


def test_default_table_fits_100_columns_and_verbose_keeps_full_names(capsys):
    assert main(["litmus"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 100
    # long revision names are shortened in the table and named in the legend
    assert "  mt-2026-02:fixed " in out and "mt-2026-02 = mapping-types-2026-02" in out
    assert main(["litmus", "-v", str(SHIPPED / "oracle5-vfio-to-iommufd.toml")]) == 0
    out = capsys.readouterr().out
    assert "mapping-types-2026-02:fixed" in out and "mt-2026-02" not in out
    assert "# oracle5-vfio-to-iommufd [mapping-types-2026-02]" in out     # the traces


def test_narrow_table_marks_what_differs(tmp_path, capsys):
    src = (SHIPPED / "oracle5-vfio-to-iommufd.toml").read_text()
    bad = tmp_path / "w.toml"
    # R0 bridge: phys, no findings (revisions.md R0); claim a leak instead
    assert '\n"mainline-6.19" = []' in src
    bad.write_text(src.replace('\n"mainline-6.19" = []', '\n"mainline-6.19" = ["leak"]'))
    assert main(["litmus", str(bad)]) == 1
    out = capsys.readouterr().out
    row = [line for line in out.splitlines() if line.startswith("  ml-6.19 ")][0]
    assert row.split() == ["ml-6.19", "phys", "=", "!(none)", "MISMATCH"]
    assert "-   findings expected: ['leak']" in out and "+   findings observed: []" in out
