"""Citations stay inside the repository and use public identifiers.

The lab cites postings by subject, author, date and Message-ID and merged
code by commit id, path and function (``docs/sources.md`` keeps the facts).
A tracked file that names a file outside the repository, or one of the
shorthand labels a list reader cannot look up, fails here with the file,
the line and the text.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "docs" / "sources.md"

# Built from pieces so that this file does not match itself.
_R = "R"
FORBIDDEN = {
    "a fact sheet outside the repository": re.compile(
        r"revisions\.md|address-facts|mainline-after-6\.19|reference/[a-z-]+\.md"),
    "the outside source folder": re.compile(r"shared/(seeds|reference)|\.\./shared|\bseeds/"),
    "a source file by its private name": re.compile(r"\b\d{3}_[0-9a-f]{16}\.txt\b"),
    "a private source number": re.compile(r"\bseeds? ?0\d\d\b", re.IGNORECASE),
    "a private check number": re.compile(r"\bOracle ?\d\b", re.IGNORECASE),
    "a private revision label": re.compile(r"(?<![\w/.-])" + _R + r"[0-6](?![\w])"),
}

#: Binary or generated files, and this test (it spells the patterns).
SKIP_SUFFIXES = {".png", ".parquet", ".svg", ".ipynb"}
#: Raw machine captures quote hardware names ("Xeon D R3 QPI Link"): only the
#: revision-label rule is waived there.
RAW_CAPTURES = "data/captures/"


def tracked_files() -> list[Path]:
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
        names = [n for n in out.decode("utf-8", "replace").split("\0") if n]
    except (OSError, subprocess.CalledProcessError):
        names = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*")
                 if p.is_file() and ".git" not in p.parts and ".venv" not in p.parts
                 and "build" not in p.parts]
    return [ROOT / n for n in names]


def violations(paths) -> list[str]:
    """``file:line: what: text`` for every forbidden citation in ``paths``."""
    bad = []
    for path in paths:
        if path.suffix in SKIP_SUFFIXES or path == Path(__file__).resolve() or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        rel_name = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
        for number, line in enumerate(text.splitlines(), 1):
            for what, pattern in FORBIDDEN.items():
                if what == "a private revision label" and rel_name.startswith(RAW_CAPTURES):
                    continue
                m = pattern.search(line)
                if m:
                    rel = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
                    bad.append(f"{rel}:{number}: {what}: {m.group(0)!r} in {line.strip()[:90]!r}")
    return bad


def test_the_patterns_catch_what_they_should(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('"""From ../shared/reference/revisions.md, seed 004, ' + _R + '6 and Oracle 5."""\n'
                      "x = 1  # see address-facts\n", encoding="utf-8")
    found = violations([sample])
    kinds = {line.split(": ")[1] for line in found}
    assert kinds == set(FORBIDDEN) - {"a source file by its private name"}
    assert all(line.startswith(str(sample)) for line in found)
    clean = tmp_path / "clean.py"
    clean.write_text('"""mapping-types-2026-02 (Message-ID <0-v1-b5cab63049c0+191af-dmabuf_map_type_jgg@'
                     'nvidia.com>), commit e98137f0a874; register R10, seed=3."""\n', encoding="utf-8")
    assert violations([clean]) == []


def test_no_tracked_file_cites_outside_the_repository():
    bad = violations(tracked_files())
    assert not bad, "citations that a reader outside this repository cannot follow:\n" + "\n".join(bad)


def test_every_revision_names_a_source_on_the_sources_page():
    from dmabuf_lab.revisions import available_revisions, get_revision

    page = SOURCES.read_text(encoding="utf-8")
    for name in available_revisions():
        rev = get_revision(name)
        assert rev.source, f"revision {name} names no source"
        assert f"### [{rev.source}]" in page, f"revision {name}: source [{rev.source}] is not on {SOURCES}"
        assert f"`{name}`" in page, f"revision {name} is not in the table on {SOURCES}"
