"""Address kinds: arithmetic keeps the kind, mixing kinds raises."""
import itertools

import pytest

from dmabuf_lab.addr import (ADDRESS_KINDS, BarAddr, DmaAddr, DpaAddr, GpaAddr, IovaAddr, PhysAddr,
                             kind_by_name)


def test_kind_plus_int_keeps_kind():
    p = PhysAddr(0x40_0000_0000)
    q = p + 0x8000_0000
    assert type(q) is PhysAddr and int(q) == 0x40_8000_0000
    assert type(0x1000 + p) is PhysAddr
    assert type(p - 0x1000) is PhysAddr and int(p - 0x1000) == 0x3F_FFFF_F000


def test_same_kind_difference_is_plain_int():
    d = DmaAddr(0x5000) - DmaAddr(0x1000)
    assert type(d) is int and d == 0x4000


@pytest.mark.parametrize("a,b", list(itertools.permutations(ADDRESS_KINDS, 2)))
@pytest.mark.parametrize("op", ["+", "-", "<", "<=", ">", ">=", "==", "!="])
def test_mixing_kinds_raises_naming_both(a, b, op):
    x, y = a(0x1000), b(0x1000)
    with pytest.raises(TypeError) as e:
        eval(f"x {op} y")  # test-only: the operator under test
    assert a.kind_name in str(e.value) and b.kind_name in str(e.value)


def test_compare_with_plain_int_allowed():
    assert PhysAddr(0x1000) == 0x1000
    assert PhysAddr(0x1000) < 0x2000
    assert sorted([PhysAddr(3), PhysAddr(1)]) == [1, 3]


def test_building_one_kind_from_another_raises():
    with pytest.raises(TypeError, match="PhysAddr"):
        DmaAddr(PhysAddr(0x1000))
    assert DmaAddr(int(PhysAddr(0x1000))) == DmaAddr(0x1000)
    assert PhysAddr(0x1000).reinterpret(BarAddr) == BarAddr(0x1000)


def test_repr_and_range_limits():
    assert repr(PhysAddr(0x4000000000)) == "PhysAddr(0x4000000000)"
    assert repr(GpaAddr(0)) == "GpaAddr(0x0)"
    with pytest.raises(OverflowError):
        IovaAddr(-1)
    with pytest.raises(OverflowError):
        IovaAddr(1 << 64)
    with pytest.raises(OverflowError):
        DpaAddr((1 << 64) - 0x1000) + 0x1000
    with pytest.raises(OverflowError):
        DpaAddr(0x1000) - 0x2000
    with pytest.raises(TypeError):
        PhysAddr(1.5)


def test_hash_distinguishes_kinds():
    s = {PhysAddr(5), DmaAddr(5), PhysAddr(5)}
    assert len(s) == 2
    d = {PhysAddr(0x1000): "p"}
    assert d[PhysAddr(0x1000)] == "p"


def test_kind_by_name():
    assert kind_by_name("BarAddr") is BarAddr
    with pytest.raises(KeyError, match="PhysAddr"):
        kind_by_name("Nope")
