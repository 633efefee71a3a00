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
    src = (SHIPPED / "vfio-to-iommufd.toml").read_text()
    # docs/sources.md matching check 5 says PAL; claim SGT_P2P instead.
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
    src = (SHIPPED / "vfio-to-iommufd.toml").read_text()
    bad = tmp_path / "typo.toml"
    bad.write_text(src.replace('driver = "iommufd"', 'driver = "iommu-fd"'))
    assert main(["litmus", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "importer.driver" in err


def test_revision_filter_and_json(capsys):
    rc = main(["litmus", str(SHIPPED / "vfio-to-iommufd.toml"), "--revision", "mainline", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert rc == 0
    # plain "mainline" selects the newest mainline
    assert {c["target"] for c in data["checks"]} == {"mainline-7.3-rc6"}
    assert data["checks"][0]["observed"] == "phys"
    rc = main(["litmus", str(SHIPPED / "vfio-to-iommufd.toml"), "--revision", "mainline-6.19",
               "--json"])
    data = json.loads(capsys.readouterr().out)
    assert rc == 0 and {c["target"] for c in data["checks"]} == {"mainline-6.19"}


def test_fault_sweep_reports_per_revision(tmp_path, capsys):
    shutil.copy(SHIPPED / "vfio-to-iommufd.toml", tmp_path)
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
    assert main(["litmus", "-v", str(SHIPPED / "vfio-to-iommufd.toml")]) == 0
    out = capsys.readouterr().out
    assert "mapping-types-2026-02:fixed" in out and "mt-2026-02" not in out
    assert "# vfio-to-iommufd [mapping-types-2026-02]" in out     # the traces


def test_narrow_table_marks_what_differs(tmp_path, capsys):
    src = (SHIPPED / "vfio-to-iommufd.toml").read_text()
    bad = tmp_path / "w.toml"
    # mainline-6.19 bridge: phys, no findings (docs/sources.md mainline-6.19); claim a leak instead
    assert '\n"mainline-6.19" = []' in src
    bad.write_text(src.replace('\n"mainline-6.19" = []', '\n"mainline-6.19" = ["leak"]'))
    assert main(["litmus", str(bad)]) == 1
    out = capsys.readouterr().out
    row = [line for line in out.splitlines() if line.startswith("  ml-6.19 ")][0]
    assert row.split() == ["ml-6.19", "phys", "=", "!(none)", "MISMATCH"]
    assert "-   findings expected: ['leak']" in out and "+   findings observed: []" in out


def test_verbose_explains_the_path_addresses_and_call_chains(capsys):
    from dmabuf_lab.cli import main

    rc = main(["litmus", "litmus/mainline-sgt-helper-leak.toml", "--revision", "mainline-6.19", "-v"])
    out = capsys.readouterr().out
    assert rc == 0
    block = out.split("# mainline-sgt-helper-leak [mainline-6.19]")[1].split("# mainline-sgt-helper-leak [")[0]
    assert "kernel: Mainline dma-buf (Linux 6.19) (posted)" in block
    assert "config: CONFIG_DMABUF_MOVE_NOTIFY=y" in block        # the scenario sets it
    path = block.split("path (modelled kernel functions, nesting by indent):")[1].split("addresses")[0]
    names = [line.strip() for line in path.splitlines() if line.strip()]
    for fn in ("vfio_pci_core_feature_dma_buf", "dma_buf_map_attachment", "vfio_pci_dma_buf_map",
               "dma_buf_phys_vec_to_sgt", "sg_alloc_table", "dma_buf_free_sgt", "sg_free_table"):
        assert fn in names, fn
    assert names.index("dma_buf_map_attachment") < names.index("dma_buf_unmap_attachment")
    assert "sg_table (1 DMA entries): dma 0x4000000000+0x200000" in block
    assert "phys 0x4000000000+0x200000" in block
    lines = block.splitlines()
    at = next(i for i, line in enumerate(lines) if "call chain:" in line)
    lead = len(lines[at]) - len(lines[at].lstrip())
    more = [x.strip() for x in lines[at + 1:at + 4] if len(x) - len(x.lstrip()) > lead]   # wrapped, never cut
    chain = " ".join([lines[at]] + more)
    assert chain.split("call chain: ")[1] == ("kmalloc_array <- sg_kmalloc <- sg_alloc_table <- "
                                             "dma_buf_phys_vec_to_sgt <- vfio_pci_dma_buf_map <- "
                                             "dma_buf_map_attachment")
    assert ".py" not in block
    assert "Assumes:" in out
    assert max(len(line) for line in out.splitlines()) <= 100
    # the topology is built before the run: its construction is not part of the kernel path
    assert "parse_bdf" not in names and "virtfn_add" not in " ".join(names)


def test_explaining_a_run_does_not_change_its_verdict():
    from dmabuf_lab.litmus.explain import explain_run
    from dmabuf_lab.litmus.runner import run_once
    from dmabuf_lab.litmus.scenario import load_scenario

    for name, rev in (("rfc-v1-block-boundary", "rfc-v1"), ("bug-xe-match-len-uninitialised",
                                                           "mapping-types-2026-02")):
        sc = load_scenario(f"litmus/{name}.toml")
        plain = run_once(sc.fresh_topology(), sc.exporter, sc.importer, sc.steps, rev)
        explained, ex = explain_run(lambda: run_once(sc.fresh_topology(), sc.exporter, sc.importer,
                                                     sc.steps, rev))
        assert (explained.outcome, [(f.kind, f.message) for f in explained.findings]) == \
            (plain.outcome, [(f.kind, f.message) for f in plain.findings])
        assert ex.calls
