"""The four mainline releases: names, the retired composite, the trees each file was read at,
and the two differences the release split itself makes (mapping helper, iommufd's unpin lock)."""
from __future__ import annotations

import re

import pytest

from dmabuf_lab.cli import main
from dmabuf_lab.litmus.runner import run_once
from dmabuf_lab.litmus.scenario import default_litmus_dir, load_scenario
from dmabuf_lab.revisions import (ALIASES, MAINLINE_RELEASES, REVISIONS, is_known, revision_module,
                                  unknown_revision)
from dmabuf_lab.revisions.releases import RELEASE_ORDER, files_read_at, load_releases

#: Read off docs/mainline-releases.md by hand: dma-buf-mapping.c's tree per release.
MAPPING_C_READ_AT = {
    "mainline-6.19": "torvalds/linux@b703b31ea8cd",
    "mainline-7.1": "torvalds/linux@b703b31ea8cd",
    "mainline-7.2": "torvalds/linux@b703b31ea8cd",
    "mainline-7.3-rc6": "torvalds/linux@0b9828c7231e",
}


def test_the_releases_are_the_release_table_in_order():
    assert MAINLINE_RELEASES == RELEASE_ORDER == ("mainline-6.19", "mainline-7.1", "mainline-7.2",
                                                  "mainline-7.3-rc6")
    assert all(r in REVISIONS for r in MAINLINE_RELEASES)
    assert ALIASES["mainline"] == "mainline-7.3-rc6"


def test_the_composite_name_is_gone_with_one_line_naming_the_releases(capsys):
    assert not is_known("mainline-7.3")
    msg = unknown_revision("mainline-7.3")
    assert "\n" not in msg
    for r in MAINLINE_RELEASES:
        assert r in msg
    assert main(["litmus", "--revision", "mainline-7.3"]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "mainline-7.3-rc6" in err[0] and "Traceback" not in err[0]


def test_a_scenario_naming_the_composite_fails_on_its_line(tmp_path):
    from dmabuf_lab.errors import LabInputError

    src = (default_litmus_dir() / "vfio-to-iommufd.toml").read_text(encoding="utf-8")
    bad = tmp_path / "old.toml"
    bad.write_text(src.replace('"mainline-7.2" = "phys"', '"mainline-7.3" = "phys"', 1), encoding="utf-8")
    with pytest.raises(LabInputError) as ei:
        load_scenario(bad)
    text = str(ei.value)
    assert "mainline-7.1" in text and "retired" in text


@pytest.mark.parametrize("release", MAINLINE_RELEASES)
def test_files_read_at_follows_the_data(release):
    rows = dict(files_read_at(release))
    assert rows["drivers/dma-buf/dma-buf-mapping.c"] == MAPPING_C_READ_AT[release]
    data = load_releases().release(release)
    assert len(rows) == len(data.files)
    for f in data.files:
        assert rows[f.path] == (f.read or ("absent" if f.absent else "not read"))


def test_files_read_at_refuses_a_name_that_is_no_release():
    with pytest.raises(KeyError):
        files_read_at("rfc-v1")


def test_litmus_list_shows_every_file_of_every_release(capsys):
    assert main(["litmus", "--list"]) == 0
    out = "\n" + capsys.readouterr().out
    for release in MAINLINE_RELEASES:
        block = out.split(f"\n{release}: ", 1)[1].split("\n", 1)[1]
        block = block.split("\n\n", 1)[0]
        block = re.split(r"\n(?=\S)", block, maxsplit=1)[0]
        for path, read in files_read_at(release):
            assert f"file {path}: {read}" in block, (release, path)


@pytest.mark.parametrize("release", MAINLINE_RELEASES)
def test_each_release_docstring_names_the_tree_of_each_file_read(release):
    doc = revision_module(release).__doc__
    for path, read in files_read_at(release):
        if "@" in read:
            repo, commit = read.split("@")
            assert f"{repo} {commit[:12]}" in " ".join(doc.split()), (release, path)


# --- dma-buf-mapping.c: 7.1 and 7.2 still wrap, 7.3-rc6 does not --------------------------

@pytest.mark.parametrize("release, wraps", [("mainline-6.19", True), ("mainline-7.1", True),
                                            ("mainline-7.2", True), ("mainline-7.3-rc6", False)])
def test_mapped_len_wraps_until_7_3(release, wraps):
    sc = load_scenario(default_litmus_dir() / "mainline-mapped-len-wrap.toml")
    v = run_once(sc.fresh_topology(), sc.exporter, sc.importer, sc.steps, release)
    warns = [f for f in v.findings if f.kind == "warn" and "add up to size" in str(f)]
    assert bool(warns) == wraps
    fixed = run_once(sc.fresh_topology(), sc.exporter, sc.importer, sc.steps, release, "fix-sgt-helper")
    assert not [f for f in fixed.findings if f.kind == "warn"]


# --- pages.c: 7.1 unpins without the reservation lock ---------------------------------------

@pytest.mark.parametrize("target, lock", [("mainline-7.1", True), ("mainline-7.1:fix-iommufd-unpin-lock", False),
                                          ("mainline-7.1:fixed", False), ("mainline-7.2", False),
                                          ("mainline-7.3-rc6", False)])
def test_iommufd_release_unpins_under_the_lock_from_7_2(target, lock):
    sc = load_scenario(default_litmus_dir() / "vfio-to-iommufd.toml")
    rev, _, variant = target.partition(":")
    v = run_once(sc.fresh_topology(), sc.exporter, sc.importer, sc.steps, rev, variant or None)
    assert v.outcome == "phys"
    locks = [f for f in v.findings if f.kind == "lock" and "dma_buf_unpin" in str(f)]
    assert bool(locks) == lock
