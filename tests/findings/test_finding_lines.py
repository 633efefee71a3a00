"""Every finding names the code at fault so a reader can open it.

A finding whose `code` names a commit of a public tree carries the
function's line range at a commit (`lines`, `lines_at`); a finding in a
posting carries the patch's Message-ID and its patch number. The few
entries that cannot are listed below with the reason, so that a new entry
without a location fails here instead of printing "lines unknown".
"""
from __future__ import annotations

import re
from pathlib import Path

from dmabuf_lab.findings.email import finding_email
from dmabuf_lab.findings.registry import load_findings

ROOT = Path(__file__).resolve().parents[2]
FINDINGS = load_findings()
BY_ID = {f.id: f for f in FINDINGS}

#: Findings in a tree whose line range is not recorded yet, and why.
NO_LINES = {
    "vfio-close-disable-before-cleanup":
        "no stored drivers/vfio/pci/vfio_pci_core.c carries the close order 5d74781ebc86 "
        "added: the stored mainline copies predate the dma-buf export and the stored "
        "vfio tree already has the order swapped, so no line range can be cited",
    "iommufd-release-unpin-unlocked":
        "no stored drivers/iommu/iommufd/pages.c at 7.1 or at 8c5f9645c389: the release path "
        "is known from the posted diffs of 8c5f9645c389 and e745cd2c749e only",
}

_COMMIT = re.compile(r"\b[0-9a-f]{12,40}\b")
_PATCH = re.compile(r"\[(?:PATCH )?RFC(?: PATCH)? (\d+)/(\d+)\]")


def _in_tree(f) -> bool:
    """The code at fault is a commit of a tree, not a posting."""
    return bool(_COMMIT.search(f.code)) and not _PATCH.search(f.code)


def test_every_finding_in_a_tree_has_a_line_range_or_a_stated_reason():
    missing = [f.id for f in FINDINGS if _in_tree(f) and not f.lines and f.id not in NO_LINES]
    assert not missing, f"findings in a tree without lines: {missing}"


def test_the_exceptions_are_real_and_still_needed():
    for fid, reason in NO_LINES.items():
        assert fid in BY_ID, fid
        assert reason
        assert not BY_ID[fid].lines, f"{fid} has lines now: drop it from NO_LINES"


def test_every_posting_names_its_patch_and_message_id():
    postings = [f for f in FINDINGS if _PATCH.search(f.code)]
    assert postings
    for f in postings:
        number, total = map(int, _PATCH.search(f.code).groups())
        assert 1 <= number <= total, f.id          # a patch, not the cover letter
        assert re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", f.message_id), f.id


def test_mapping_types_message_ids_follow_the_patch_number():
    for f in FINDINGS:
        m = _PATCH.search(f.code)
        if m and m.group(2) == "26":
            assert f.message_id.startswith(f"<{int(m.group(1))}-v1-"), f.id


def test_lines_at_is_a_commit_the_finding_or_sources_names():
    sources = (ROOT / "docs" / "sources.md").read_text(encoding="utf-8")
    for f in FINDINGS:
        if f.lines:
            commit = f.lines_at.split("@")[1][:12]
            assert commit in sources, f.id


def test_a_finding_with_lines_prints_them_and_one_without_says_unknown():
    with_lines = next(f for f in FINDINGS if f.lines)
    text = finding_email(with_lines, "0123456789ab")
    assert f"lines {with_lines.lines} at" in " ".join(text.split())
    without = BY_ID[next(iter(NO_LINES))]
    assert "lines unknown" in " ".join(finding_email(without, "0123456789ab").split())
