"""The pin grammar, and every pin's commit or posting listed in docs/sources.md."""
from __future__ import annotations

from pathlib import Path

import pytest

from dmabuf_lab.twin_index.table import all_decls, unlisted_pins
from dmabuf_lab.twins import Pin, TwinDecl, mirrors, parse_pin

SOURCES = Path(__file__).resolve().parents[2] / "docs" / "sources.md"


@pytest.mark.parametrize("text, repo, commit, path, function, posting, patch", [
    ("torvalds/linux@0b9828c7231e:drivers/dma-buf/dma-buf-mapping.c:dma_buf_phys_vec_to_sgt",
     "torvalds/linux", "0b9828c7231e", "drivers/dma-buf/dma-buf-mapping.c", "dma_buf_phys_vec_to_sgt", "", ""),
    ("ankita-nv/linux@35fb3d7c07418ce43c5686477dd374fdc52e3ec9:drivers/vfio/pci/nvgrace-gpu/nvgrace_egm_dmabuf.c:"
     "nvgrace_egm_dma_buf_attach", "ankita-nv/linux", "35fb3d7c07418ce43c5686477dd374fdc52e3ec9",
     "drivers/vfio/pci/nvgrace-gpu/nvgrace_egm_dmabuf.c", "nvgrace_egm_dma_buf_attach", "", ""),
    ("posting:interconnects-rfc-v1#4/8:drivers/vfio/pci/vfio_pci_dmabuf.c:vfio_pci_match_iov_interconnect",
     "", "", "drivers/vfio/pci/vfio_pci_dmabuf.c", "vfio_pci_match_iov_interconnect", "interconnects-rfc-v1", "4/8"),
    ("posting:mapping-types-design:include/linux/dma-buf.h:DMA_BUF_EMAPPING_PAL",
     "", "", "include/linux/dma-buf.h", "DMA_BUF_EMAPPING_PAL", "mapping-types-design", ""),
])
def test_pins_that_parse(text, repo, commit, path, function, posting, patch):
    pin = parse_pin(text)
    assert (pin.repo, pin.commit, pin.path, pin.function, pin.posting, pin.patch) == \
        (repo, commit, path, function, posting, patch)
    assert str(pin) == text
    assert pin.is_posting == bool(posting)


@pytest.mark.parametrize("text", [
    "torvalds/linux:drivers/dma-buf/dma-buf.c:dma_buf_attach",            # no commit
    "torvalds/linux@0b9828c723:drivers/dma-buf/dma-buf.c:dma_buf_attach",  # 10 hex digits
    "torvalds/linux@0B9828C7231E:drivers/dma-buf/dma-buf.c:dma_buf_attach",  # upper case
    "torvalds/linux@0b9828c7231e:drivers/dma-buf/dma-buf:dma_buf_attach",  # not a .c/.h file
    "torvalds/linux@0b9828c7231e:drivers/dma-buf/dma-buf.c:dma-buf-attach",  # not a C identifier
    "torvalds/linux@0b9828c7231e:drivers/dma-buf/dma-buf.c",               # no function
    "linux@0b9828c7231e:drivers/dma-buf/dma-buf.c:dma_buf_attach",         # no owner
    "posting:interconnects-rfc-v1#4:drivers/dma-buf/dma-buf.c:dma_buf_attach",  # patch without /M
    "posting::drivers/dma-buf/dma-buf.c:dma_buf_attach",                   # no key
    "posting:Interconnects:drivers/dma-buf/dma-buf.c:dma_buf_attach",      # not a sources.md key
])
def test_pins_that_do_not_parse(text):
    with pytest.raises(ValueError, match="expected owner/repo@commit"):
        parse_pin(text)
    with pytest.raises(ValueError):
        mirrors(text)


def test_every_pin_is_listed_in_sources():
    decls = all_decls()
    assert decls
    bad = unlisted_pins(decls, SOURCES.read_text(encoding="utf-8"))
    assert not bad, "pins whose commit or posting docs/sources.md does not list:\n" + "\n".join(bad)


def _decl(text: str) -> TwinDecl:
    return TwinDecl(parse_pin(text), "dmabuf_lab.core.fixture", "f")


def test_an_unlisted_commit_or_posting_fails():
    text = SOURCES.read_text(encoding="utf-8")
    listed = _decl("torvalds/linux@0b9828c7231e:drivers/dma-buf/dma-buf-mapping.c:dma_buf_free_sgt")
    longer = _decl("torvalds/linux@0b9828c7231e0:drivers/dma-buf/dma-buf-mapping.c:dma_buf_free_sgt")
    other = _decl("torvalds/linux@0b9828c7231f:drivers/dma-buf/dma-buf-mapping.c:dma_buf_free_sgt")
    posting = _decl("posting:interconnects-rfc-v1#1/8:drivers/dma-buf/dma-buf.c:dma_buf_map_interconnect")
    unknown = _decl("posting:no-such-posting#1/8:drivers/dma-buf/dma-buf.c:dma_buf_map_interconnect")
    assert unlisted_pins([listed, posting], text) == []
    assert [b.split(": ", 1)[1] for b in unlisted_pins([listed, longer, other, posting, unknown], text)] == [
        str(other.pin), str(unknown.pin)]


def test_the_decorator_records_where_the_twin_lives():
    from dmabuf_lab.linux.drivers.dma_buf.dma_buf_mapping.common import dma_buf_phys_vec_to_sgt

    decls = dma_buf_phys_vec_to_sgt.__twin_of__
    assert {d.pin.function for d in decls} == {"dma_buf_phys_vec_to_sgt"}
    code = dma_buf_phys_vec_to_sgt.__code__
    for d in decls:
        assert d.file == "dmabuf_lab/linux/drivers/dma_buf/dma_buf_mapping/common.py" and d.line == code.co_firstlineno
        assert isinstance(d.pin, Pin)
