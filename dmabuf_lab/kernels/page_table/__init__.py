"""Page-table construction for many ranges at once: ``build_page_table``.

Each input range ``(va, oa, size)`` is cut into leaves the way the kernel's
map loops do it (the ``iommu_pgsize`` walk with the format's page sizes;
property tests check it against a page-by-page ``pt_compute_best_pgsize``
walk).  The summary counts

* leaf pages per page size and leaf entries ("slots") per level -- a page
  larger than its level's entry is several entries: AMD v1 replicates the
  entry, ARM uses 16 entries with the contiguous hint, Xe uses 16 PS64
  entries or one entry in a compact 64K table;
* table pages per level: a table at level ``l`` exists for every
  ``2**(shift_l + 9)``-byte VA block that holds a leaf at level ``l`` or
  below (the root always, once anything is mapped);
* bytes of page-table memory (table pages x 4 KiB).

With ``materialize=True`` it also returns every leaf entry (VA, entry bits,
level).  Ranges must not overlap; they are sorted by VA when they are not.

Xe rules (xe_pt.c): a 2M/1G leaf only where the range covers the whole
entry and VA and address are aligned (``xe_pt_hugepte_possible``); a
level-0 table whose whole 2M span is covered and 64K-mappable becomes a
compact table of 32 x 64K entries (``xe_pt_scan_64K``); elsewhere 64K runs
are 16 x 4K entries with ``XE_PTE_PS64``.

``reference`` (page by page in Python, and numpy), ``cpu`` (numba) and
``cuda`` (numba.cuda) compute the same summary; ``device`` holds the
per-range bodies the two compiled backends share.
"""
from __future__ import annotations

import numpy as np

from .. import backends
from ..bitops import __ffs
from ..pt_formats import ENC_XE, PtFormat, get_format
from .device import FormatRecord
from .ranges import prepare, status_np
from .reference import build_page_table_python
from .result import LeafColumns, PageTableSummary, PtLeaves

U64 = np.uint64

__all__ = ["FormatRecord", "LeafColumns", "PageTableSummary", "PtLeaves", "build_page_table",
           "build_page_table_python", "format_record"]


def format_record(fmt: PtFormat, put=np.asarray, stream: bool | None = False) -> FormatRecord:
    """The compiled kernels' view of ``fmt``; ``put`` moves its arrays where they run;
    ``stream``: see :func:`~dmabuf_lab.kernels.streaming.nt_flag`."""
    shifts = np.array(fmt.level_shifts, dtype=np.int64)
    return FormatRecord(U64(fmt.pgsize_bitmap), U64((1 << __ffs(fmt.pgsize_bitmap)) - 1),
                        U64(1 << fmt.va_bits) if fmt.va_bits < 64 else U64(0), put(shifts), put(shifts + 9),
                        put(np.array([fmt.level_of(k) for k in range(64)], dtype=np.int64)),
                        fmt.encoding == ENC_XE, np.int64(fmt.encoding), bool(fmt.device_memory),
                        None if stream is None else bool(stream))


def build_page_table(ranges, fmt, backend: str = "auto", materialize: bool = False,
                     workspace=None, one_pass: bool | None = None) -> PageTableSummary:
    """Summarise (and optionally write out) the page table mapping ``ranges``.

    ``ranges``: ``(va, oa, size)`` uint64 arrays; ``fmt``: a name from
    :data:`dmabuf_lab.kernels.pt_formats.FORMATS` or a :class:`PtFormat`.
    Misaligned ranges get ``-EINVAL`` and ranges beyond the format's VA width
    ``-ERANGE`` in ``status``; they map nothing.  On the ``cuda`` backend the
    summary is computed on the device; ``materialize=True`` entries are still
    written by the numpy path there.  ``workspace``: a
    :class:`backends.Workspace` the numba backend writes its outputs into.
    ``one_pass`` (numba): force the two-thread one-pass kernel or count ->
    emit; by default the first where numba runs two threads.
    """
    fmt = get_format(fmt)
    be = backends.resolve(backend)
    va, oa, size = prepare(ranges, fmt, check=be != "numba")  # the numba kernels check order themselves
    if be == "numba":
        from . import cpu
        bound = cpu.entries_bounds(size, fmt) if materialize else None
        nbytes = 4 * va.shape[0] + (17 * (int(bound[0]) + int(bound[1])) if materialize else 0)
        return cpu.build(va, oa, size, fmt, format_record(fmt, stream=cpu.nt_flag(nbytes)), materialize, workspace,
                         one_pass, bound)
    if be == "cuda":
        from . import cuda, reference
        pages, slots, tables, status = cuda.summary(va, oa, size, fmt, lambda put: format_record(fmt, put))
        leaves = reference.build(va, oa, size, fmt, status, True).leaves if materialize else None
        return PageTableSummary(fmt.name, pages, slots, tables, status, leaves)
    from . import reference
    return reference.build(va, oa, size, fmt, status_np(va, oa, size, fmt), materialize)
