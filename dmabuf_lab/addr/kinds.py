"""Address kinds that cannot be mixed by accident.

The thread is, at heart, an argument about *which* address an importer gets:
a CPU physical address, a DMA address valid for one device, a device-physical
address inside VRAM, a PCI bus address behind a BAR, an IOVA, a guest-physical
address.  In C they are all ``u64``-sized integers and the compiler cannot tell
them apart.  Here each kind is its own ``int`` subclass:

* ``kind + int`` and ``kind - int`` keep the kind (an address plus an offset);
* ``kind - same kind`` is a plain ``int`` (a distance);
* ``+``, ``-``, ``<``, ``<=``, ``>``, ``>=``, ``==`` and ``!=`` between two
  *different* kinds raise ``TypeError`` naming both kinds;
* building one kind from another (``DmaAddr(PhysAddr(x))``) raises too; a
  deliberate reinterpretation goes through ``int()`` or ``.reinterpret()``.

Values live in ``[0, 2**64)`` like the C types; leaving that interval raises
``OverflowError`` instead of wrapping silently.  The hash includes the kind, so
``PhysAddr(5)`` and ``DmaAddr(5)`` are distinct set/dict keys.
"""
from __future__ import annotations

_U64_LIMIT = 1 << 64


class Addr(int):
    """Base class of every address kind; never used directly."""

    __slots__ = ()
    kind_name = "Addr"
    #: one-line meaning shown in error messages and docs
    meaning = "address"

    def __new__(cls, value=0):
        if isinstance(value, Addr) and type(value) is not cls:
            raise TypeError(
                f"cannot build {cls.kind_name} from {type(value).kind_name} "
                f"{value!r}: they are different address spaces; use "
                f"{cls.kind_name}(int(x)) or x.reinterpret({cls.kind_name}) if "
                f"the reinterpretation is deliberate")
        if isinstance(value, bool) or not isinstance(value, int):
            # numpy integers and other integral objects
            try:
                import operator
                value = operator.index(value)
            except TypeError:
                raise TypeError(f"{cls.kind_name} needs an integer, got "
                                f"{type(value).__name__} {value!r}") from None
        if value < 0 or value >= _U64_LIMIT:
            raise OverflowError(f"{cls.kind_name} value {int(value):#x} is outside "
                                f"the 64-bit address space [0, 2**64)")
        return super().__new__(cls, value)

    # -- presentation -------------------------------------------------------
    def __repr__(self) -> str:
        return f"{type(self).kind_name}({int(self):#x})"

    __str__ = __repr__

    def __hash__(self) -> int:
        return hash((type(self).kind_name, int(self)))

    def reinterpret(self, kind: type["Addr"]) -> "Addr":
        """Explicitly view this value as another kind (e.g. an identity map)."""
        return kind(int(self))

    # -- helpers ------------------------------------------------------------
    def _check_kind(self, other, op: str) -> None:
        if isinstance(other, Addr) and type(other) is not type(self):
            raise TypeError(
                f"cannot apply '{op}' to {type(self).kind_name} and "
                f"{type(other).kind_name} ({self!r} {op} {other!r}): "
                f"they live in different address spaces")

    def _wrap(self, value: int, op: str, other) -> "Addr":
        if value < 0 or value >= _U64_LIMIT:
            raise OverflowError(f"{self!r} {op} {other!r} = {value:#x} leaves the "
                                f"64-bit address space")
        return type(self)(value)

    # -- arithmetic ---------------------------------------------------------
    def __add__(self, other):
        if not isinstance(other, int):
            return NotImplemented
        self._check_kind(other, "+")
        if isinstance(other, Addr):
            return int(self) + int(other)
        return self._wrap(int(self) + int(other), "+", other)

    def __radd__(self, other):
        if not isinstance(other, int):
            return NotImplemented
        self._check_kind(other, "+")
        return self._wrap(int(other) + int(self), "+", other)

    def __sub__(self, other):
        if not isinstance(other, int):
            return NotImplemented
        self._check_kind(other, "-")
        if isinstance(other, Addr):
            return int(self) - int(other)
        return self._wrap(int(self) - int(other), "-", other)

    def __rsub__(self, other):
        if not isinstance(other, int):
            return NotImplemented
        self._check_kind(other, "-")
        return int(other) - int(self)

    # -- comparisons --------------------------------------------------------
    def __eq__(self, other):
        if isinstance(other, Addr):
            self._check_kind(other, "==")
        if not isinstance(other, int):
            return NotImplemented
        return int(self) == int(other)

    def __ne__(self, other):
        if isinstance(other, Addr):
            self._check_kind(other, "!=")
        if not isinstance(other, int):
            return NotImplemented
        return int(self) != int(other)

    def __lt__(self, other):
        self._check_kind(other, "<")
        return int.__lt__(self, other)

    def __le__(self, other):
        self._check_kind(other, "<=")
        return int.__le__(self, other)

    def __gt__(self, other):
        self._check_kind(other, ">")
        return int.__gt__(self, other)

    def __ge__(self, other):
        self._check_kind(other, ">=")
        return int.__ge__(self, other)


def _kind(name: str, meaning: str) -> type[Addr]:
    cls = type(name, (Addr,), {"__slots__": (), "kind_name": name, "meaning": meaning,
                               "__doc__": f"{meaning.capitalize()} ({name})."})
    cls.__module__ = __name__
    return cls


PhysAddr = _kind("PhysAddr", "CPU physical address (phys_addr_t)")
DmaAddr = _kind("DmaAddr", "DMA address valid for one device (dma_addr_t)")
DpaAddr = _kind("DpaAddr", "device-physical address inside device memory (VRAM DPA)")
BarAddr = _kind("BarAddr", "PCI bus address behind a BAR (pci_bus_addr_t)")
IovaAddr = _kind("IovaAddr", "I/O virtual address in an IOMMU domain")
GpaAddr = _kind("GpaAddr", "guest-physical address seen by a VM (gpa_t)")

ADDRESS_KINDS: tuple[type[Addr], ...] = (PhysAddr, DmaAddr, DpaAddr, BarAddr, IovaAddr, GpaAddr)
KINDS_BY_NAME: dict[str, type[Addr]] = {k.kind_name: k for k in ADDRESS_KINDS}


def kind_of(value) -> type[Addr] | None:
    """The address kind of ``value``, or None for a plain integer."""
    return type(value) if isinstance(value, Addr) else None


def kind_by_name(name: str) -> type[Addr]:
    """Look a kind up by its name ("PhysAddr", "DmaAddr", ...)."""
    try:
        return KINDS_BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown address kind {name!r}; known: "
                       f"{', '.join(KINDS_BY_NAME)}") from None
