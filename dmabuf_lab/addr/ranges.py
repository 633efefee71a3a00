"""Range arrays: many ``(start, length)`` pairs in one structured numpy array.

Every container the thread argues about (sg_table, xarray of ``struct range``,
flat ``phys_vec`` arrays, iterators) converts to and from a ``RangeArray`` so
bulk work — validation, translation, counting entries — runs vectorised over
millions of ranges.  A ``RangeArray`` also carries its address kind, so a list
of DMA addresses is never mistaken for a list of physical ones.

Bad input never surfaces as a numpy traceback: it raises ``RangeError`` (a
``LabInputError``) naming the range index, the field and what was expected.
"""
from __future__ import annotations

import operator
from typing import Any, Iterable, Iterator, Mapping, Sequence

import numpy as np

from ..errors import LabInputError
from .consts import PAGE_SIZE
from .kinds import ADDRESS_KINDS, Addr, PhysAddr

RANGE_DTYPE = np.dtype([("start", "<u8"), ("length", "<u8")])

_U64_MAX = (1 << 64) - 1
_LENGTH_KEYS = ("length", "len", "size")


class RangeError(LabInputError):
    """A range list failed validation.

    ``index`` is the offending range (``index2`` the other one for an overlap),
    ``field`` names the field ("start", "length", ...), ``expected`` says what
    would have been accepted.
    """

    def __init__(self, message: str, *, index: int | None = None, index2: int | None = None,
                 range_field: str | None = None, expected: str | None = None,
                 what: str = "ranges", file: str | None = None, line: int | None = None):
        self.index = index
        self.index2 = index2
        self.range_field = range_field
        self.expected = expected
        self.what = what
        if index is not None and range_field is not None:
            field = f"{what}[{index}].{range_field}"
        elif index is not None:
            field = f"{what}[{index}]"
        else:
            field = range_field
        super().__init__(message, file=file, line=line, field=field)


def _is_pow2(x: int) -> bool:
    return x > 0 and (x & (x - 1)) == 0


class RangeArray:
    """An ordered list of address ranges of one kind, backed by ``RANGE_DTYPE``.

    Build it with :meth:`from_pairs`, :meth:`from_arrays`, :meth:`from_dicts`
    or :meth:`from_inclusive`; those validate by default (page alignment, no
    zero length, no 64-bit overflow, no overlap).  ``starts`` and ``lengths``
    are read-only ``uint64`` views.
    """

    __slots__ = ("_data", "kind", "what")

    def __init__(self, data: np.ndarray, kind: type[Addr] = PhysAddr, what: str = "ranges"):
        if not (isinstance(kind, type) and issubclass(kind, Addr)):
            raise TypeError(f"kind must be one of {[k.kind_name for k in ADDRESS_KINDS]}, got {kind!r}")
        if not isinstance(data, np.ndarray) or data.dtype != RANGE_DTYPE or data.ndim != 1:
            raise TypeError("RangeArray wants a 1-D numpy array of RANGE_DTYPE; "
                            "use RangeArray.from_pairs/from_arrays/from_dicts for other input")
        data = np.ascontiguousarray(data)
        data.flags.writeable = False
        self._data = data
        self.kind = kind
        self.what = what

    # ------------------------------------------------------------------ build
    @classmethod
    def empty(cls, kind: type[Addr] = PhysAddr, what: str = "ranges") -> "RangeArray":
        """A range array with no entries."""
        return cls(np.zeros(0, dtype=RANGE_DTYPE), kind=kind, what=what)

    @classmethod
    def from_arrays(cls, starts: Any, lengths: Any, *, kind: type[Addr] = PhysAddr,
                    align: int | None = PAGE_SIZE, what: str = "ranges", validate: bool = True,
                    allow_overlap: bool = False, file: str | None = None,
                    lines: Sequence[int] | None = None) -> "RangeArray":
        """Build from two equally long integer sequences (starts, lengths)."""
        s = _to_u64(starts, "start", what, file, lines)
        n = _to_u64(lengths, "length", what, file, lines)
        if s.shape != n.shape:
            raise RangeError(f"{what}: {s.shape[0]} starts but {n.shape[0]} lengths",
                             expected="as many lengths as starts", what=what, file=file)
        data = np.empty(s.shape[0], dtype=RANGE_DTYPE)
        data["start"] = s
        data["length"] = n
        ra = cls(data, kind=kind, what=what)
        if validate:
            ra.validate(align=align, allow_overlap=allow_overlap, file=file, lines=lines)
        return ra

    @classmethod
    def from_pairs(cls, pairs: Any, *, kind: type[Addr] = PhysAddr, align: int | None = PAGE_SIZE,
                   what: str = "ranges", validate: bool = True, allow_overlap: bool = False,
                   file: str | None = None, lines: Sequence[int] | None = None) -> "RangeArray":
        """Build from ``[(start, length), ...]`` or an ``(n, 2)`` integer array."""
        if isinstance(pairs, RangeArray):
            pairs = np.stack([pairs.starts, pairs.lengths], axis=1)
        if isinstance(pairs, np.ndarray) and pairs.dtype == RANGE_DTYPE:
            return cls.from_arrays(pairs["start"], pairs["length"], kind=kind, align=align,
                                   what=what, validate=validate, allow_overlap=allow_overlap,
                                   file=file, lines=lines)
        arr = _pairs_to_array(pairs, what, file, lines)
        return cls.from_arrays(arr[:, 0], arr[:, 1], kind=kind, align=align, what=what,
                               validate=validate, allow_overlap=allow_overlap, file=file,
                               lines=lines)

    @classmethod
    def from_dicts(cls, rows: Iterable[Mapping[str, Any]], *, kind: type[Addr] = PhysAddr,
                   align: int | None = PAGE_SIZE, what: str = "ranges", validate: bool = True,
                   allow_overlap: bool = False, file: str | None = None,
                   lines: Sequence[int] | None = None) -> "RangeArray":
        """Build from ``[{"start": s, "length": n}, ...]`` (``len``/``size`` also accepted)."""
        if isinstance(rows, (str, bytes)) or not isinstance(rows, Iterable):
            raise RangeError(f"{what}: expected a list of tables with 'start' and 'length', "
                             f"got {type(rows).__name__}", what=what, file=file,
                             expected="list of {start, length}")
        starts: list[Any] = []
        lengths: list[Any] = []
        for i, row in enumerate(rows):
            line = _line(lines, i)
            if not isinstance(row, Mapping):
                raise RangeError(f"range {i}: expected a table with 'start' and 'length', got "
                                 f"{type(row).__name__} {row!r}", index=i, what=what, file=file,
                                 line=line, expected="{start, length}")
            unknown = [k for k in row if k not in ("start", *_LENGTH_KEYS)]
            if unknown:
                raise RangeError(f"range {i}: unknown key {unknown[0]!r}; expected 'start' and "
                                 f"'length'", index=i, range_field=str(unknown[0]), what=what,
                                 file=file, line=line, expected="start, length")
            if "start" not in row:
                raise RangeError(f"range {i}: missing 'start'", index=i, range_field="start",
                                 what=what, file=file, line=line, expected="an integer start")
            given = [k for k in _LENGTH_KEYS if k in row]
            if len(given) != 1:
                raise RangeError(f"range {i}: needs exactly one of 'length'/'len'/'size', got "
                                 f"{given or 'none'}", index=i, range_field="length", what=what,
                                 file=file, line=line, expected="one length key")
            starts.append(_scalar(row["start"], i, "start", what, file, line))
            lengths.append(_scalar(row[given[0]], i, "length", what, file, line))
        return cls.from_arrays(np.array(starts, dtype=np.uint64), np.array(lengths, dtype=np.uint64),
                               kind=kind, align=align, what=what, validate=validate,
                               allow_overlap=allow_overlap, file=file, lines=lines)

    @classmethod
    def from_inclusive(cls, starts: Any, ends: Any, **kw) -> "RangeArray":
        """Build from ``struct range``-style inclusive ``[start, end]`` pairs."""
        what = kw.get("what", "ranges")
        s = _to_u64(starts, "start", what, kw.get("file"), kw.get("lines"))
        e = _to_u64(ends, "end", what, kw.get("file"), kw.get("lines"))
        if s.shape != e.shape:
            raise RangeError(f"{what}: {s.shape[0]} starts but {e.shape[0]} ends", what=what,
                             expected="as many ends as starts")
        bad = np.flatnonzero(e < s)
        if bad.size:
            i = int(bad[0])
            raise RangeError(f"range {i}: end {int(e[i]):#x} is below start {int(s[i]):#x}",
                             index=i, range_field="end", what=what,
                             expected="end >= start (inclusive end)")
        lengths = e - s + np.uint64(1)  # a full 2**64 span wraps to 0 and fails validation
        return cls.from_arrays(s, lengths, **kw)

    # ------------------------------------------------------------------ views
    @property
    def data(self) -> np.ndarray:
        """The read-only structured array."""
        return self._data

    @property
    def starts(self) -> np.ndarray:
        return self._data["start"]

    @property
    def lengths(self) -> np.ndarray:
        return self._data["length"]

    @property
    def lasts(self) -> np.ndarray:
        """Inclusive last byte of each range (``struct range.end``); needs validated input."""
        return self.starts + (self.lengths - np.uint64(1))

    def __len__(self) -> int:
        return int(self._data.shape[0])

    def __iter__(self) -> Iterator[tuple[Addr, int]]:
        kind = self.kind
        for s, n in zip(self.starts.tolist(), self.lengths.tolist()):
            yield kind(s), n

    def __getitem__(self, item):
        if isinstance(item, slice) or isinstance(item, np.ndarray):
            return RangeArray(self._data[item], kind=self.kind, what=self.what)
        i = operator.index(item)
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"range index {i} out of range for {n} {self.what}")
        row = self._data[i]
        return self.kind(int(row["start"])), int(row["length"])

    def __eq__(self, other) -> bool:
        if not isinstance(other, RangeArray):
            return NotImplemented
        return self.kind is other.kind and np.array_equal(self._data, other._data)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        head = ", ".join(f"({self.kind.kind_name}({s:#x}), {n:#x})"
                         for s, n in zip(self.starts[:3].tolist(), self.lengths[:3].tolist()))
        more = f", ... {len(self) - 3} more" if len(self) > 3 else ""
        return f"RangeArray[{self.kind.kind_name}]({len(self)} {self.what}: [{head}{more}])"

    def to_pairs(self) -> list[tuple[Addr, int]]:
        """``[(kind(start), length), ...]`` as Python objects."""
        return list(self)

    def total_bytes(self) -> int:
        """Sum of all lengths as an exact Python int (no 64-bit wrap)."""
        n = self.lengths
        hi = int(np.sum(n >> np.uint64(32), dtype=np.uint64))
        lo = int(np.sum(n & np.uint64(0xFFFFFFFF), dtype=np.uint64))
        return (hi << 32) + lo

    def sorted(self) -> "RangeArray":
        """Ranges ordered by start (stable)."""
        order = np.argsort(self.starts, kind="stable")
        return RangeArray(self._data[order], kind=self.kind, what=self.what)

    def with_kind(self, kind: type[Addr]) -> "RangeArray":
        """The same numbers reinterpreted as another kind (a deliberate act)."""
        return RangeArray(self._data, kind=kind, what=self.what)

    def coalesced(self) -> "RangeArray":
        """Merge neighbours whose end touches the next start (order kept)."""
        if len(self) < 2:
            return self
        s, n = self.starts, self.lengths
        touch = (s[:-1] + n[:-1]) == s[1:]
        head = np.concatenate(([True], ~touch))
        group = np.cumsum(head) - 1
        out = np.zeros(int(group[-1]) + 1, dtype=RANGE_DTYPE)
        out["start"] = s[head]
        np.add.at(out["length"], group, n)
        return RangeArray(out, kind=self.kind, what=self.what)

    # ------------------------------------------------------------- validation
    def validate(self, *, align: int | None = PAGE_SIZE, allow_overlap: bool = False,
                 allow_empty: bool = True, file: str | None = None,
                 lines: Sequence[int] | None = None) -> "RangeArray":
        """Raise ``RangeError`` for the first bad range; return ``self`` when all pass.

        Checks, in order: non-empty list (unless ``allow_empty``), zero length,
        ``start + length > 2**64``, start then length not a multiple of
        ``align`` (a power of two; ``None`` or 1 turns it off), and overlap of
        two ranges after sorting by start (ranges that only touch are fine).
        """
        what = self.what
        n_ranges = len(self)
        if n_ranges == 0:
            if not allow_empty:
                raise RangeError(f"{what}: the list is empty", what=what, file=file,
                                 expected="at least one range")
            return self
        s, n = self.starts, self.lengths

        bad = np.flatnonzero(n == 0)
        if bad.size:
            i = int(bad[0])
            raise RangeError(f"range {i} (start {int(s[i]):#x}): length is 0", index=i,
                             range_field="length", what=what, file=file, line=_line(lines, i),
                             expected="a non-zero length")

        # start + length <= 2**64  <=>  length - 1 <= U64_MAX - start  (length >= 1 here)
        bad = np.flatnonzero((n - np.uint64(1)) > ~s)
        if bad.size:
            i = int(bad[0])
            raise RangeError(
                f"range {i}: start {int(s[i]):#x} + length {int(n[i]):#x} = "
                f"{int(s[i]) + int(n[i]):#x} overflows 64 bits", index=i, range_field="length",
                what=what, file=file, line=_line(lines, i),
                expected="start + length <= 2**64")

        if align is not None and align != 1:
            if not (isinstance(align, (int, np.integer)) and _is_pow2(int(align))):
                raise ValueError(f"align must be a power of two, got {align!r}")
            mask = np.uint64(int(align) - 1)
            bad_s = (s & mask) != 0
            bad_n = (n & mask) != 0
            bad = np.flatnonzero(bad_s | bad_n)
            if bad.size:
                i = int(bad[0])
                fld = "start" if bad_s[i] else "length"
                val = int(s[i]) if fld == "start" else int(n[i])
                raise RangeError(f"range {i}: {fld} {val:#x} is not {int(align):#x}-aligned "
                                 f"(remainder {val % int(align):#x})", index=i, range_field=fld,
                                 what=what, file=file, line=_line(lines, i),
                                 expected=f"a multiple of {int(align):#x}")

        if not allow_overlap and n_ranges > 1:
            order = np.argsort(s, kind="stable")
            ss = s[order]
            last = ss + (n[order] - np.uint64(1))
            hit = np.flatnonzero(ss[1:] <= last[:-1])
            if hit.size:
                k = int(hit[0])
                a, b = int(order[k]), int(order[k + 1])
                a, b = min(a, b), max(a, b)
                raise RangeError(
                    f"ranges {a} [{int(s[a]):#x}, +{int(n[a]):#x}) and {b} "
                    f"[{int(s[b]):#x}, +{int(n[b]):#x}) overlap", index=b, index2=a,
                    range_field="start", what=what, file=file, line=_line(lines, b),
                    expected="non-overlapping ranges")
        return self


# ---------------------------------------------------------------- conversion
def _line(lines: Sequence[int] | None, i: int) -> int | None:
    if lines is None:
        return None
    try:
        return int(lines[i])
    except (IndexError, TypeError, ValueError):
        return None


def _scalar(v: Any, i: int, fld: str, what: str, file: str | None, line: int | None) -> int:
    """One user-supplied integer, checked to fit ``u64``."""
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
        raise RangeError(f"range {i}: {fld} {v!r} is a {type(v).__name__}, not an integer",
                         index=i, range_field=fld, what=what, file=file, line=line,
                         expected="a non-negative integer")
    v = int(v)
    if v < 0:
        raise RangeError(f"range {i}: {fld} {v} is negative", index=i, range_field=fld,
                         what=what, file=file, line=line, expected="a non-negative integer")
    if v > _U64_MAX:
        raise RangeError(f"range {i}: {fld} {v:#x} does not fit in 64 bits", index=i,
                         range_field=fld, what=what, file=file, line=line,
                         expected="a value below 2**64")
    return v


def _to_u64(values: Any, fld: str, what: str, file: str | None,
            lines: Sequence[int] | None) -> np.ndarray:
    """A 1-D uint64 array from user input, or a RangeError naming the bad element."""
    if not isinstance(values, (np.ndarray, list, tuple, str, bytes, Mapping)) \
            and isinstance(values, Iterable):
        values = list(values)      # generators, iterators, ranges, ...
    if isinstance(values, (str, bytes, Mapping)) or np.isscalar(values) or values is None \
            or not isinstance(values, (np.ndarray, list, tuple)):
        raise RangeError(f"{what}: {fld}s must be a sequence of integers, got "
                         f"{type(values).__name__}", range_field=fld, what=what, file=file,
                         expected="a 1-D sequence of integers")
    try:
        arr = np.asarray(values)
    except (ValueError, TypeError, OverflowError):
        arr = np.empty(len(values), dtype=object)      # ragged or odd elements: keep them as-is
        for i, v in enumerate(values):
            arr[i] = v
    if arr.ndim != 1:
        raise RangeError(f"{what}: {fld}s must be one-dimensional, got shape {arr.shape}",
                         range_field=fld, what=what, file=file,
                         expected="a 1-D sequence of integers")
    kind = arr.dtype.kind
    if kind == "u":
        return arr.astype(np.uint64, copy=False)
    if kind == "i":
        neg = np.flatnonzero(arr < 0)
        if neg.size:
            i = int(neg[0])
            raise RangeError(f"range {i}: {fld} {int(arr[i])} is negative", index=i,
                             range_field=fld, what=what, file=file, line=_line(lines, i),
                             expected="a non-negative integer")
        return arr.astype(np.uint64)
    if arr.dtype != object:
        arr = arr.astype(object)  # floats, bools, strings...: find the exact bad element
    # element by element (rare path: huge ints, mixed or bad input)
    out = np.empty(arr.shape[0], dtype=np.uint64)
    for i, v in enumerate(arr.tolist()):
        out[i] = _scalar(v, i, fld, what, file, _line(lines, i))
    return out


def _pairs_to_array(pairs: Any, what: str, file: str | None,
                    lines: Sequence[int] | None) -> np.ndarray:
    """An ``(n, 2)`` array from pair input, or a RangeError naming the bad pair."""
    if isinstance(pairs, (str, bytes, Mapping)) or np.isscalar(pairs):
        raise RangeError(f"{what}: expected a list of (start, length) pairs, got "
                         f"{type(pairs).__name__}", what=what, file=file,
                         expected="a list of (start, length) pairs")
    if isinstance(pairs, np.ndarray):
        arr = pairs
    else:
        pairs = list(pairs)
        if not pairs:
            return np.zeros((0, 2), dtype=np.uint64)
        for i, p in enumerate(pairs):
            if isinstance(p, (str, bytes, Mapping)) or not hasattr(p, "__len__") or len(p) != 2:
                raise RangeError(f"range {i}: expected a (start, length) pair, got {p!r}",
                                 index=i, what=what, file=file, line=_line(lines, i),
                                 expected="exactly two integers")
            if p[0].__class__ is bool or p[1].__class__ is bool:
                fld = "start" if p[0].__class__ is bool else "length"
                raise RangeError(f"range {i}: {fld} is a bool, not an integer", index=i,
                                 range_field=fld, what=what, file=file, line=_line(lines, i),
                                 expected="a non-negative integer")
        try:
            arr = np.asarray(pairs)
        except (ValueError, TypeError, OverflowError):
            arr = None
        if arr is None or arr.dtype.kind not in "ui":
            # keep each element's own Python type so the error names the right field
            arr = np.empty((len(pairs), 2), dtype=object)
            for i, p in enumerate(pairs):
                arr[i, 0], arr[i, 1] = p[0], p[1]
    if arr.size == 0:
        return np.zeros((0, 2), dtype=np.uint64)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise RangeError(f"{what}: expected shape (n, 2) of (start, length) pairs, got shape "
                         f"{arr.shape}", what=what, file=file, expected="shape (n, 2)")
    return arr
