"""The mainline release table: its shape, its citations, and its error messages."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from dmabuf_lab.errors import LabInputError
from dmabuf_lab.revisions.releases import CHECKER_NAMES, RELEASE_ORDER, load_releases, render_markdown

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "mainline_releases.toml"
SOURCES = ROOT / "docs" / "sources.md"
DOC = ROOT / "docs" / "mainline-releases.md"

#: The files on the modelled paths; every release says what each one is.
MODELLED_FILES = {
    "drivers/dma-buf/dma-buf.c",
    "drivers/dma-buf/dma-buf-mapping.c",
    "drivers/vfio/pci/vfio_pci_dmabuf.c",
    "drivers/vfio/pci/vfio_pci_core.c",
    "drivers/vfio/pci/vfio_pci_config.c",
    "drivers/vfio/pci/vfio_pci_rdwr.c",
    "drivers/iommu/iommufd/pages.c",
    "drivers/gpu/drm/xe/xe_dma_buf.c",
    "drivers/infiniband/core/umem_dmabuf.c",
    "drivers/infiniband/core/uverbs_std_types_dmabuf.c",
}

#: Fixes on the modelled paths the table must carry (the later vfio, iommufd
#: and xe fixes, the double free, the revoke wait and its re-arm fix, the two
#: mapping fixes, and the second caller of the mapping helper).
REQUIRED_CHANGES = {
    "e98137f0a874", "1a8a5227f229", "c64a647c84f3", "702809dabdec", "05f2a68b407a",
    "859dc0f6253b", "d97708701434", "e745cd2c749e", "f2d70dbd3dce", "5f3fc0ad9a41",
    "981bedbbe613", "155a372a1cc5", "0ac6f4056c4a", "06dd5e1ae8ce", "b344ca94e8cc",
}


@pytest.fixture(scope="module")
def table():
    return load_releases(DATA)


def test_every_release_in_order_with_every_modelled_file(table):
    assert tuple(r.name for r in table.releases) == RELEASE_ORDER
    for rel in table.releases:
        assert {f.path for f in rel.files} == MODELLED_FILES, rel.name
        for f in rel.files:
            assert f.at_tag or f.gap.strip(), (rel.name, f.path)
            assert f.absent or f.functions, (rel.name, f.path)


def test_the_required_fixes_are_listed(table):
    assert REQUIRED_CHANGES <= {c.id for c in table.changes}


def test_each_change_is_named_in_the_release_that_first_carries_it(table):
    """A release is written as a patch named after its commits: the state of
    the first release with the change cites the change's id."""
    for c in table.changes:
        rel = table.release(c.first_release)
        text = rel.notes + " " + " ".join(
            f.gap + " " + " ".join(f.functions.values()) for f in rel.files)
        assert c.id in text, f"{c.id} is not cited in {c.first_release}"


def test_fixes_name_a_checker_or_why_not(table):
    for c in table.changes:
        if c.expressible:
            assert c.checkers and set(c.checkers) <= CHECKER_NAMES, c.id
        else:
            assert c.reason.strip(), c.id
        assert c.scenario_sketch.strip(), c.id
        for earlier in c.defect_in:
            assert RELEASE_ORDER.index(earlier) < RELEASE_ORDER.index(c.first_release), c.id


def test_every_commit_id_is_on_the_sources_page(table):
    page = SOURCES.read_text(encoding="utf-8")
    missing = sorted(i for i in table.commit_ids() if i[:12] not in page)
    assert not missing, f"commit ids of {DATA.name} not in docs/sources.md: {missing}"


def test_the_readable_page_carries_the_data_as_it_is(table):
    doc = DOC.read_text(encoding="utf-8")
    assert all(c.id in doc for c in table.changes)
    assert render_markdown(table) in doc, (
        "docs/mainline-releases.md is out of date with the data: regenerate its middle part "
        "with dmabuf_lab.revisions.releases.render_markdown")


# -- bad input: one line naming file, line and field ------------------------

def _broken(tmp_path, old: str, new: str) -> Path:
    text = DATA.read_text(encoding="utf-8")
    assert old in text
    bad = tmp_path / "releases.toml"
    bad.write_text(text.replace(old, new, 1), encoding="utf-8")
    return bad


def _line_of(path: Path, needle: str) -> int:
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return n
    raise AssertionError(needle)


@pytest.mark.parametrize("old,new,field,needle", [
    ('id = "c64a647c84f3"', 'id = "c64a647"', "id", 'id = "c64a647"'),
    ('read = "torvalds/linux@b703b31ea8cd"', 'read = "torvalds/linux@HEAD"', "read",
     'path = "drivers/dma-buf/dma-buf-mapping.c"'),
    ('kinds = ["double-free", "refcount"]', 'kinds = ["double-free", "kasan"]', "kinds",
     'id = "e98137f0a874"'),
    ('first_release = "mainline-7.2"', 'first_release = "mainline-6.19"', "first_release",
     'id = "859dc0f6253b"'),
])
def test_a_bad_field_is_named_with_its_file_and_line(tmp_path, old, new, field, needle):
    bad = _broken(tmp_path, old, new)
    with pytest.raises(LabInputError) as exc:
        load_releases(bad)
    err = exc.value
    assert err.file == str(bad) and err.field == field
    assert err.line is not None and err.line >= _line_of(bad, needle)
    assert "\n" not in str(err) and str(bad) in str(err)


def test_a_copy_not_at_the_tag_needs_a_gap(tmp_path):
    text = DATA.read_text(encoding="utf-8")
    m = re.search(r'  gap = "[^"]*"\n', text)
    bad = tmp_path / "releases.toml"
    bad.write_text(text[:m.start()] + '  gap = ""\n' + text[m.end():], encoding="utf-8")
    with pytest.raises(LabInputError) as exc:
        load_releases(bad)
    assert exc.value.field == "gap"


def test_invalid_toml_names_the_line(tmp_path):
    bad = _broken(tmp_path, "schema = 1", "schema = = 1")
    with pytest.raises(LabInputError) as exc:
        load_releases(bad)
    assert exc.value.line == _line_of(bad, "schema = = 1")


def test_a_missing_file_is_one_line(tmp_path):
    with pytest.raises(LabInputError) as exc:
        load_releases(tmp_path / "nope.toml")
    assert "cannot read" in str(exc.value)
