"""The slab and vmalloc allocators, with KASAN/KMSAN/kmemleak-style checking.

Every ``kmalloc``-family call is recorded with the modelled caller's site.
The objects they return check themselves on every access:

* reading or writing a freed object records ``use-after-free`` (and carries
  on with the stale value, as KASAN does after its report);
* reading a field or element of ``kmalloc``'d memory that was never written
  records ``uninitialised`` (once per field/element) and reads as zero;
* indexing a :class:`KArray` outside ``0..len-1`` records a ``warn``
  finding whose message starts "KASAN: slab-out-of-bounds" (the lab has no
  separate kind for it); a read then yields the zero value, a write is dropped;
* ``kfree`` twice records ``double-free``; ``kfree`` of kvmalloc memory, of a
  pointer into the middle of an allocation, of an ERR_PTR or of memory that
  did not come from the allocator records ``bad-free`` (``kvfree`` of kmalloc
  memory is legal, as in mm/util.c);
* allocations still live when the run ends are ``leak`` findings unless
  marked long-lived with :func:`kmemleak_not_leak` / ``Kernel.keep``.

Modelled C structs subclass :class:`kstruct`::

    class dma_buf_ranges(kstruct):
        fields = ("ranges", ("nranges", int))

    r = kzalloc(dma_buf_ranges)        # r.ranges is None, r.nranges == 0
    r.nranges = 3

A field spec is a name (zeroes to None, i.e. NULL) or ``(name, zero)``:
``zero`` may be a value (``0``, ``False``; lists/dicts are copied per object)
or a class, which gives each object its own instance as an embedded member
(a kstruct class makes an embedded struct that shares the parent's
allocation, so it is checked for use-after-free with it).
A ``shared = ("member", ...)`` tuple names the members that model threads
share without a lock ordering them; in a concurrent run every read and
write of one is an announced action (:mod:`.sched`).
Constructing a kstruct directly (``dma_buf_ranges(nranges=3)``) makes a
zeroed object that is not on the heap (a stack or static struct).
"""
from __future__ import annotations

import copy
import sys

from .resv import might_sleep
from .runtime import Kernel, call_site, current_kernel, kernel_chain
from .sched import shared_access

# -- gfp flags (bit values are the model's own; the names are the kernel's) --
__GFP_HIGH = 0x20
__GFP_IO = 0x40
__GFP_FS = 0x80
__GFP_ZERO = 0x100
__GFP_DIRECT_RECLAIM = 0x400
__GFP_KSWAPD_RECLAIM = 0x800
__GFP_NOWARN = 0x2000
__GFP_NOFAIL = 0x8000
__GFP_RECLAIM = __GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM
GFP_KERNEL = __GFP_RECLAIM | __GFP_IO | __GFP_FS
GFP_ATOMIC = __GFP_HIGH | __GFP_KSWAPD_RECLAIM
GFP_NOWAIT = __GFP_KSWAPD_RECLAIM | __GFP_NOWARN

SIZE_MAX = (1 << 64) - 1
INT_MAX = (1 << 31) - 1
#: Largest kmalloc: 1 << (MAX_PAGE_ORDER + PAGE_SHIFT) with MAX_PAGE_ORDER 10.
KMALLOC_MAX_SIZE = 1 << (10 + 12)


def gfpflags_allow_blocking(flags: int) -> bool:
    """True when the allocation may sleep (include/linux/gfp.h)."""
    return bool(flags & __GFP_DIRECT_RECLAIM)


class Allocation:
    """The allocator's record of one object: who allocated it, how, and
    whether and where it was freed."""

    __slots__ = ("seq", "obj", "family", "fn", "site", "size", "what", "kernel",
                 "freed", "free_site", "kept", "leak_reported", "uaf_reported", "chain")

    def __init__(self, seq, obj, family, fn, site, size, what, kernel):
        self.seq = seq
        self.obj = obj
        self.family = family          # "kmalloc" or "kvmalloc"
        self.fn = fn                  # the allocator called, e.g. "kzalloc"
        self.site = site
        self.size = size
        self.what = what
        self.kernel = kernel
        self.freed = False
        self.free_site = None
        self.kept = False
        self.leak_reported = False
        self.uaf_reported = set()
        self.chain = kernel_chain()       # the kernel call chain that allocated it

    def describe(self) -> str:
        size = f", {self.size} bytes" if self.size is not None else ""
        return f"{self.fn}({self.what}{size})"

    def __repr__(self):
        state = f"freed at {self.free_site}" if self.freed else "live"
        return f"<Allocation #{self.seq} {self.describe()} at {self.site}, {state}>"


def _touch(alloc: Allocation | None, access: str, what: str) -> None:
    """Report a use-after-free once per (allocation, member, access)."""
    if alloc is None or not alloc.freed:
        return
    key = (what, access)
    if key in alloc.uaf_reported:
        return
    alloc.uaf_reported.add(key)
    current_kernel().record(
        "use-after-free",
        f"{access} of {what} in {alloc.describe()} allocated at {alloc.site}, "
        f"freed at {alloc.free_site}")


_SCALARS = (int, float, bool, str, bytes)


def _is_member_class(spec_zero) -> bool:
    """A class (not a scalar type) as a field's zero: an embedded member."""
    return isinstance(spec_zero, type) and spec_zero not in _SCALARS


def _zero_of(spec_zero, parent_alloc, uninit: bool):
    if _is_member_class(spec_zero):
        if issubclass(spec_zero, kstruct):
            return spec_zero._embedded(parent_alloc, uninit)
        return spec_zero()
    if isinstance(spec_zero, type):
        return spec_zero()
    if isinstance(spec_zero, (list, dict, set, bytearray)):
        return copy.copy(spec_zero)
    return spec_zero


class kstruct:
    """Base class for modelled C structs; see the module docstring."""

    fields: tuple = ()
    #: sizeof(struct) in bytes when known (only used for the allocator size limits).
    sizeof: int | None = None
    #: Members shared between model threads: each access is announced (see the module docstring).
    shared: tuple = ()
    _kzero: dict = {}
    _kmembers: frozenset = frozenset()
    _kshared: frozenset = frozenset()

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        zero = {}
        for base in reversed(cls.__mro__[1:]):
            zero.update(getattr(base, "_kzero", {}))
        specs = cls.__dict__.get("fields", ())
        if isinstance(specs, str):
            raise TypeError(f"{cls.__name__}.fields must be a tuple of names, not a string")
        for spec in specs:
            if isinstance(spec, str):
                zero[spec] = None
            else:
                name, z = spec
                zero[name] = z
        cls._kzero = zero
        shared = set()
        for base in reversed(cls.__mro__):
            shared.update(base.__dict__.get("shared", ()))
        unknown = shared - set(zero)
        if unknown:
            raise TypeError(f"{cls.__name__}.shared names no member: {', '.join(sorted(unknown))}")
        cls._kshared = frozenset(shared)
        # Embedded members: naming one (&obj->member) is not a memory access.
        cls._kmembers = frozenset(n for n, z in zero.items() if _is_member_class(z))

    def __init__(self, **values):
        object.__setattr__(self, "_kalloc", None)
        object.__setattr__(self, "_kuninit", set())
        object.__setattr__(self, "_kv", {n: _zero_of(z, None, False)
                                         for n, z in type(self)._kzero.items()})
        for name, value in values.items():
            if name not in type(self)._kzero:
                raise TypeError(f"struct {type(self).__name__} has no member {name!r}")
            self._kv[name] = value

    @classmethod
    def _new(cls, alloc: Allocation | None, uninit: bool):
        obj = cls.__new__(cls)
        object.__setattr__(obj, "_kalloc", alloc)
        object.__setattr__(obj, "_kuninit", set())
        kv = {}
        for name, z in cls._kzero.items():
            kv[name] = _zero_of(z, alloc, uninit)
            if uninit and not _is_member_class(z):
                obj._kuninit.add(name)
        object.__setattr__(obj, "_kv", kv)
        return obj

    @classmethod
    def _embedded(cls, alloc, uninit):
        return cls._new(alloc, uninit)

    def __getattribute__(self, name):
        if name in type(self)._kzero:
            if name in type(self)._kshared:
                shared_access(self, name, False)
            alloc = object.__getattribute__(self, "_kalloc")
            if alloc is not None and alloc.freed and name not in type(self)._kmembers:
                _touch(alloc, "read", f"{type(self).__name__}.{name}")
            uninit = object.__getattribute__(self, "_kuninit")
            if name in uninit:
                uninit.discard(name)
                how = alloc.describe() if alloc is not None else "memory"
                current_kernel().record(
                    "uninitialised",
                    f"read of {type(self).__name__}.{name} never written since {how}"
                    + (f" at {alloc.site}" if alloc is not None else ""))
            return object.__getattribute__(self, "_kv")[name]
        return object.__getattribute__(self, name)

    def __setattr__(self, name, value):
        if name in type(self)._kzero:
            if name in type(self)._kshared:
                shared_access(self, name, True)
            alloc = object.__getattribute__(self, "_kalloc")
            if alloc is not None and alloc.freed:
                _touch(alloc, "write", f"{type(self).__name__}.{name}")
            object.__getattribute__(self, "_kuninit").discard(name)
            object.__getattribute__(self, "_kv")[name] = value
        elif name.startswith("_") or hasattr(type(self), name):
            object.__setattr__(self, name, value)
        else:
            raise AttributeError(f"struct {type(self).__name__} has no member {name!r}")

    def __repr__(self):
        kv = object.__getattribute__(self, "_kv")
        uninit = object.__getattribute__(self, "_kuninit")
        parts = ", ".join(f"{n}={'<uninit>' if n in uninit else _short(v)}" for n, v in kv.items())
        return f"struct {type(self).__name__} {{{parts}}}"

    # identity semantics, as pointers
    __eq__ = object.__eq__
    __hash__ = object.__hash__


def _short(v):
    if isinstance(v, kstruct):
        return f"<struct {type(v).__name__}>"
    r = repr(v)
    return r if len(r) <= 40 else r[:37] + "..."


class KArray:
    """A kmalloc'd array: fixed length, bounds-checked, list-like.

    ``elem`` is the element size in bytes (elements are scalars / pointers,
    zero value ``zero``) or a kstruct class (elements are embedded structs).
    Out-of-bounds access records a ``warn`` finding ("KASAN:
    slab-out-of-bounds"); see the module docstring.
    """

    __slots__ = ("_items", "_kalloc", "_kuninit", "elem", "zero")

    def __init__(self, n: int, elem=8, zero=0, alloc: Allocation | None = None,
                 uninit: bool = False):
        self.elem = elem
        self.zero = zero
        self._kalloc = alloc
        if isinstance(elem, type) and issubclass(elem, kstruct):
            self._items = [elem._embedded(alloc, uninit) for _ in range(n)]
            self._kuninit = None
        else:
            self._items = [zero] * n
            self._kuninit = bytearray(b"\x01" * n) if uninit else None

    @property
    def elem_size(self) -> int | None:
        return self.elem if isinstance(self.elem, int) else getattr(self.elem, "sizeof", None)

    def __len__(self):
        return len(self._items)

    def _oob(self, i, access):
        current_kernel().record(
            "warn", f"KASAN: slab-out-of-bounds {access} at index {i} of a "
                    f"{len(self._items)}-element array"
                    + (f" from {self._kalloc.describe()} at {self._kalloc.site}" if self._kalloc else ""))

    def _read(self, i):
        if not isinstance(i, int):
            raise TypeError(f"array index must be an int, not {type(i).__name__}")
        if not 0 <= i < len(self._items):
            self._oob(i, "read")
            return self.zero
        if self._kalloc is not None and self._kalloc.freed:
            _touch(self._kalloc, "read", "array element")
        if self._kuninit is not None and self._kuninit[i]:
            self._kuninit[i] = 0
            current_kernel().record(
                "uninitialised", f"read of element {i} never written since "
                                 f"{self._kalloc.describe()} at {self._kalloc.site}")
        return self._items[i]

    def _write(self, i, value):
        if not isinstance(i, int):
            raise TypeError(f"array index must be an int, not {type(i).__name__}")
        if not 0 <= i < len(self._items):
            self._oob(i, "write")
            return
        if self._kalloc is not None and self._kalloc.freed:
            _touch(self._kalloc, "write", "array element")
        if self._kuninit is not None:
            self._kuninit[i] = 0
        self._items[i] = value

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self._read(j) for j in range(*i.indices(len(self._items)))]
        return self._read(i)

    def __setitem__(self, i, value):
        if isinstance(i, slice):
            idx = range(*i.indices(len(self._items)))
            values = list(value)
            if len(values) != len(idx):
                raise ValueError("slice assignment cannot change an array's length")
            for j, v in zip(idx, values):
                self._write(j, v)
            return
        self._write(i, value)

    def __iter__(self):
        for i in range(len(self._items)):
            yield self._read(i)

    def __repr__(self):
        n = len(self._items)
        return f"<KArray of {n} x {getattr(self.elem, '__name__', self.elem)}>"

    __eq__ = object.__eq__
    __hash__ = object.__hash__


def _register(k: Kernel, obj, family, fn, site, size, what):
    a = Allocation(k.nr_allocs, obj, family, fn, site, size, what, k)
    k.live[id(a)] = a
    return a


def _callers(limit: int = 64) -> tuple:
    """Names of the functions on the stack, innermost first (for the fault filter)."""
    f, out = sys._getframe(1), []
    while f is not None and len(out) < limit:
        out.append(f.f_code.co_name)
        f = f.f_back
    return tuple(out)


def _attempt(k: Kernel, fn: str, flags: int, site: str) -> bool:
    """Count one allocation attempt; False when fault injection fails it."""
    if gfpflags_allow_blocking(flags):     # might_alloc()
        might_sleep(site=site)
    k.nr_allocs += 1
    k.alloc_sites.append(site)
    if flags & __GFP_NOFAIL:
        return True
    chain = _callers() if k.fault.chain_filters else ()
    return not k.fault.should_fail(k.nr_allocs, site, fn, chain)


def _too_big(k, size, limit, flags, fn, site) -> bool:
    if size is None or size <= limit:
        return False
    if not flags & __GFP_NOWARN and k.once(("too-big", fn, site)):
        k.record("warn", f"{fn}: {size} bytes is over the {limit}-byte limit; returns NULL", site)
    return True


def _sizeof(what) -> int | None:
    if isinstance(what, int):
        return what
    return getattr(what, "sizeof", None)


def _object(what, flags, family, fn, site):
    if isinstance(what, bool) or not (isinstance(what, int) or
                                      (isinstance(what, type) and issubclass(what, kstruct))):
        raise TypeError(f"{fn}() takes a kstruct class or a byte size, not {what!r}")
    if isinstance(what, int) and what < 0:
        raise ValueError(f"{fn}({what}): negative size")
    k = current_kernel()
    if not _attempt(k, fn, flags, site):
        return None
    size = _sizeof(what)
    limit = KMALLOC_MAX_SIZE if family == "kmalloc" else INT_MAX
    if _too_big(k, size, limit, flags, fn, site):
        return None
    uninit = not flags & __GFP_ZERO
    if isinstance(what, int):
        obj = KArray(what, elem=1, zero=0, uninit=uninit)
        desc = "bytes"
    else:
        obj = what._new(None, uninit)
        desc = f"struct {what.__name__}"
    alloc = _register(k, obj, family, fn, site, size, desc)
    _adopt(obj, alloc)
    return obj


def _array(n, elem, flags, family, fn, site, zero):
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"{fn}(n={n!r}): element count must be a non-negative int")
    esize = _sizeof(elem)
    if esize is None:
        esize = 0
    if n * esize > SIZE_MAX:
        # check_mul_overflow(): NULL before any allocation is attempted.
        return None
    k = current_kernel()
    if not _attempt(k, fn, flags, site):
        return None
    limit = KMALLOC_MAX_SIZE if family == "kmalloc" else INT_MAX
    if _too_big(k, n * esize, limit, flags, fn, site):
        return None
    obj = KArray(n, elem=elem, zero=zero, uninit=not flags & __GFP_ZERO)
    name = elem.__name__ if isinstance(elem, type) else f"{elem}-byte"
    alloc = _register(k, obj, family, fn, site, n * esize or None, f"{n} x {name}")
    _adopt(obj, alloc)
    return obj


def _adopt(obj, alloc):
    """Point an object (and its embedded structs) at its allocation."""
    if isinstance(obj, KArray):
        obj._kalloc = alloc
        if isinstance(obj.elem, type) and issubclass(obj.elem, kstruct):
            for e in obj._items:
                _adopt(e, alloc)
    elif isinstance(obj, kstruct):
        object.__setattr__(obj, "_kalloc", alloc)
        for v in object.__getattribute__(obj, "_kv").values():
            if isinstance(v, kstruct) and object.__getattribute__(v, "_kalloc") is None:
                _adopt(v, alloc)


def kmalloc(what, flags: int = GFP_KERNEL):
    """Allocate a struct (kstruct class) or ``what`` bytes; contents uninitialised."""
    return _object(what, flags, "kmalloc", "kmalloc", call_site())


def kzalloc(what, flags: int = GFP_KERNEL):
    """kmalloc() with the memory zeroed."""
    return _object(what, flags | __GFP_ZERO, "kmalloc", "kzalloc", call_site())


def kmalloc_array(n: int, elem, flags: int = GFP_KERNEL, *, zero=0):
    """An ``n``-element array of ``elem`` (byte size or kstruct class), uninitialised;
    NULL without an attempt when ``n * size`` overflows."""
    return _array(n, elem, flags, "kmalloc", "kmalloc_array", call_site(), zero)


def kcalloc(n: int, elem, flags: int = GFP_KERNEL, *, zero=0):
    """kmalloc_array() zeroed (elements read as ``zero``: 0, or None for pointer arrays)."""
    return _array(n, elem, flags | __GFP_ZERO, "kmalloc", "kcalloc", call_site(), zero)


def kvmalloc(what, flags: int = GFP_KERNEL):
    """Like kmalloc() but may fall back to vmalloc: must be freed with kvfree()."""
    return _object(what, flags, "kvmalloc", "kvmalloc", call_site())


def kvzalloc(what, flags: int = GFP_KERNEL):
    """kvmalloc() zeroed."""
    return _object(what, flags | __GFP_ZERO, "kvmalloc", "kvzalloc", call_site())


def kvmalloc_array(n: int, elem, flags: int = GFP_KERNEL, *, zero=0):
    """kmalloc_array() that may fall back to vmalloc; free with kvfree()."""
    return _array(n, elem, flags, "kvmalloc", "kvmalloc_array", call_site(), zero)


def kvcalloc(n: int, elem, flags: int = GFP_KERNEL, *, zero=0):
    """kvmalloc_array() zeroed."""
    return _array(n, elem, flags | __GFP_ZERO, "kvmalloc", "kvcalloc", call_site(), zero)


def allocation_of(obj) -> Allocation | None:
    """The allocator's record for a heap object (None for anything else)."""
    if isinstance(obj, kstruct):
        return object.__getattribute__(obj, "_kalloc")
    if isinstance(obj, KArray):
        return obj._kalloc
    return None


def is_freed(obj) -> bool:
    """True when ``obj`` is heap memory that has been freed."""
    a = allocation_of(obj)
    return a is not None and a.freed


def _free(obj, fn: str, site: str) -> None:
    from .err_ptr import ErrPtr

    if obj is None:
        return
    k = current_kernel()
    if isinstance(obj, ErrPtr):
        k.record("bad-free", f"{fn}() of {obj!r}", site)
        return
    a = allocation_of(obj)
    if a is None:
        k.record("bad-free", f"{fn}() of {type(obj).__name__} memory that no allocator returned", site)
        return
    if a.obj is not obj and _first_element_of(a.obj) is obj:
        obj = a.obj             # &arr[0] is the array's own address
    if a.obj is not obj:
        k.record("bad-free", f"{fn}() of a pointer inside {a.describe()} allocated at {a.site}", site)
        return
    if a.freed:
        k.record("double-free", f"{fn}() of {a.describe()} allocated at {a.site}, "
                                f"already freed at {a.free_site}", site)
        return
    if fn == "kfree" and a.family == "kvmalloc":
        k.record("bad-free", f"kfree() of {a.describe()} allocated at {a.site}: "
                             "kvmalloc memory must be freed with kvfree()", site)
    a.freed = True
    a.free_site = site
    a.kernel.live.pop(id(a), None)


def _first_element_of(arr):
    """Element 0 of an array of embedded structs (its address is the array's), else None."""
    if isinstance(arr, KArray) and arr._items and isinstance(arr._items[0], kstruct):
        return arr._items[0]
    return None


def kfree(obj) -> None:
    """Free kmalloc memory; kfree(None) is a no-op."""
    _free(obj, "kfree", call_site())


def kvfree(obj) -> None:
    """Free kvmalloc or kmalloc memory; kvfree(None) is a no-op."""
    _free(obj, "kvfree", call_site())


def kmemleak_not_leak(obj) -> None:
    """Mark a heap object as long-lived so the leak check skips it."""
    a = allocation_of(obj)
    if a is None:
        raise TypeError(f"kmemleak_not_leak() of {obj!r}: not heap memory")
    a.kept = True
