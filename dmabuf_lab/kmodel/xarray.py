"""The XArray (include/linux/xarray.h, lib/xarray.c): a radix tree of
64-slot nodes that stores pointers.

Entries, as the kernel tags them in the two low bits of a slot word:

* a Python object (not an int) is a pointer; None is NULL;
* a raw Python int is taken as the 64-bit word itself (negatives wrap):
  - low bits ``00``: an aligned "pointer" — stored and returned unchanged;
  - low bit ``1``: a **value entry**.  ``xa_mk_value(v)`` makes one; a raw odd
    int is silently a value entry too, so ``xa_to_value(xa_load(..))`` of a
    stored ``7`` reads 3 — the kernel has no way to tell;
  - low bits ``10``: an **internal entry** (node pointers, retry/zero/sibling
    markers, errors).  ``xa_store`` refuses those the normal API may not store
    (``xa_is_advanced``: up to ``XA_RETRY_ENTRY``) with WARN_ON_ONCE and an
    ``XA_ERROR(-EINVAL)`` result.  Larger internal words are accepted, as in
    the kernel: ``XA_ZERO_ENTRY`` then loads as NULL, and a word above 4096
    (``xa_is_node``) is later followed as a node pointer — iteration,
    ``xa_destroy`` or a load at the head raise :class:`XaCorruption` (a crash).
* an ``ERR_PTR`` is judged by its word: ``ERR_PTR(-EINVAL)`` ends in ``10``
  and is above 4096, so it is one of those corrupting node-like words.

Nodes are allocated with the modelled slab allocator (``kzalloc`` of
``struct xa_node``; the kernel uses the radix_tree_node cache), so fault
injection reaches ``xa_store``.  The kernel tries each node first with
GFP_NOWAIT under the lock and then again with the caller's gfp (``__xas_nomem``);
the model makes one attempt per node, so failing it gives
``XA_ERROR(-ENOMEM)`` as a persistent allocation failure would, after
freeing any nodes that store allocated.
"""
from __future__ import annotations

from .alloc import GFP_KERNEL, kfree, kstruct, kzalloc
from .err_ptr import ErrPtr
from .errno import EINVAL, ENOMEM, MAX_ERRNO
from .resv import WARN_ON_ONCE

XA_CHUNK_SHIFT = 6
XA_CHUNK_SIZE = 1 << XA_CHUNK_SHIFT
XA_CHUNK_MASK = XA_CHUNK_SIZE - 1
_WORD = (1 << 64) - 1
LONG_MAX = (1 << 63) - 1


class XaCorruption(RuntimeError):
    """The tree met a stored word it would follow as an xa_node: a kernel crash."""


# -- entry encoding -----------------------------------------------------------
def xa_mk_internal(v: int) -> int:
    """``(v << 2) | 2`` as a 64-bit word."""
    return ((v << 2) | 2) & _WORD


def xa_to_internal(entry) -> int:
    """The value inside an internal entry."""
    return _word(entry) >> 2


XA_RETRY_ENTRY = xa_mk_internal(256)
XA_ZERO_ENTRY = xa_mk_internal(257)


def XA_ERROR(err: int) -> int:
    """The internal entry that carries a negative errno."""
    return xa_mk_internal(err)


def _word(entry) -> int | None:
    """The slot word of a raw entry (int or ERR_PTR); None for a pointer object."""
    if isinstance(entry, ErrPtr):
        return entry.word
    if isinstance(entry, int) and not isinstance(entry, bool):
        if not -(1 << 63) <= entry <= _WORD:
            raise ValueError(f"xarray entry {entry} does not fit a 64-bit word")
        return entry & _WORD
    return None


def xa_mk_value(v: int) -> int:
    """Encode a non-negative integer as a value entry: ``(v << 1) | 1``."""
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= LONG_MAX:
        raise ValueError(f"xa_mk_value({v!r}): value must be in 0..LONG_MAX")
    return (v << 1) | 1


def xa_to_value(entry) -> int:
    """The integer inside a value entry."""
    w = _word(entry)
    if w is None:
        raise TypeError(f"xa_to_value() of a pointer entry {entry!r}")
    return w >> 1


def xa_is_value(entry) -> bool:
    """True for a word with its low bit set."""
    w = _word(entry)
    return w is not None and bool(w & 1)


def xa_is_internal(entry) -> bool:
    """True for a word whose low two bits are ``10``."""
    w = _word(entry)
    return w is not None and (w & 3) == 2


def xa_is_err(entry) -> bool:
    """True for an internal entry at or above ``xa_mk_internal(-MAX_ERRNO)``."""
    return xa_is_internal(entry) and _word(entry) >= xa_mk_internal(-MAX_ERRNO)


def xa_err(entry) -> int:
    """The negative errno in an error entry, else 0 (arithmetic shift, as the C)."""
    if not xa_is_err(entry):
        return 0
    w = _word(entry)
    return (w - (1 << 64)) >> 2


def xa_is_zero(entry) -> bool:
    """True for XA_ZERO_ENTRY (reserved; loads as NULL)."""
    return _word(entry) == XA_ZERO_ENTRY


def xa_is_advanced(entry) -> bool:
    """True for an entry only the advanced API may store (internal, <= XA_RETRY_ENTRY)."""
    return xa_is_internal(entry) and _word(entry) <= XA_RETRY_ENTRY


def _is_fake_node(entry) -> bool:
    """A raw word the kernel would take for a node pointer (internal, > 4096)."""
    return xa_is_internal(entry) and _word(entry) > 4096


# -- the tree -----------------------------------------------------------------
class xa_node(kstruct):
    """One 64-slot node; ``shift`` is 0 for a leaf."""

    fields = (("shift", 0), ("offset", 0), ("count", 0), "parent",
              ("slots", [None] * XA_CHUNK_SIZE))
    sizeof = 576        # struct xa_node on 64-bit (XA_CHUNK_SHIFT 6)


class xarray(kstruct):
    """The array head: a single entry at index 0, or a pointer to the root node."""

    fields = ("xa_head", ("xa_flags", 0))


def DEFINE_XARRAY() -> xarray:
    """A new, empty xarray (a static or embedded one)."""
    return xarray()


def xa_init(xa: xarray) -> xarray:
    """Initialise an empty xarray."""
    xa.xa_head = None
    xa.xa_flags = 0
    return xa


def xa_empty(xa: xarray) -> bool:
    """True when nothing is stored."""
    return xa.xa_head is None


def _max_index(head) -> int:
    return (XA_CHUNK_SIZE << head.shift) - 1 if isinstance(head, xa_node) else 0


def _shift_for(index: int) -> int:
    """Shift of the smallest root that covers ``index``."""
    shift = 0
    while (index >> shift) >= XA_CHUNK_SIZE:
        shift += XA_CHUNK_SHIFT
    return shift


def _node_exists(xa: xarray, shift: int, index: int) -> bool:
    """Is there a node at ``shift`` on the path to ``index``?"""
    node = xa.xa_head
    if not isinstance(node, xa_node) or index > _max_index(node) or node.shift < shift:
        return False
    while node.shift > shift:
        node = node.slots[(index >> node.shift) & XA_CHUNK_MASK]
        if not isinstance(node, xa_node):
            return False
    return True


def _nodes_to_add(xa: xarray, index: int) -> int:
    head = xa.xa_head
    top = max(_shift_for(index), head.shift if isinstance(head, xa_node) else 0)
    need = {(s, index >> (s + XA_CHUNK_SHIFT)) for s in range(0, top + 1, XA_CHUNK_SHIFT)}
    if isinstance(head, xa_node):           # new roots above the old one (xas_expand)
        need |= {(s, 0) for s in range(head.shift + XA_CHUNK_SHIFT, top + 1, XA_CHUNK_SHIFT)}
    elif head is not None:                  # the lone entry at index 0 moves into a leaf
        need |= {(s, 0) for s in range(0, top + 1, XA_CHUNK_SHIFT)}
    return sum(1 for s, prefix in need
               if not _node_exists(xa, s, prefix << (s + XA_CHUNK_SHIFT)))


def _check_entry(entry) -> bool:
    """False (after WARN_ON_ONCE) for an entry the normal API may not store."""
    if not xa_is_advanced(entry):
        return True
    WARN_ON_ONCE(True, f"xa_store of internal entry {_word(entry):#x} (<= XA_RETRY_ENTRY)")
    return False


def xa_store(xa: xarray, index: int, entry, gfp: int = GFP_KERNEL):
    """Store ``entry`` at ``index``; return the old entry, or an error entry
    (``xa_is_err``): -EINVAL for an internal entry, -ENOMEM when a node
    allocation fails.  Storing None erases."""
    if index < 0 or index > _WORD:
        raise ValueError(f"xa_store: index {index} is not an unsigned long")
    if entry is None:
        return xa_erase(xa, index)
    if not _check_entry(entry):
        return XA_ERROR(-EINVAL)
    head = xa.xa_head
    if head is None and index == 0:
        xa.xa_head = entry
        return None
    if head is not None and not isinstance(head, xa_node) and index == 0:
        xa.xa_head = entry
        return None if xa_is_zero(head) else head

    pool = []
    for _ in range(_nodes_to_add(xa, index)):
        node = kzalloc(xa_node, gfp)
        if node is None:
            for n in pool:
                kfree(n)
            return XA_ERROR(-ENOMEM)
        pool.append(node)

    top = max(_shift_for(index), head.shift if isinstance(head, xa_node) else 0)
    if head is None:
        head = pool.pop()
        head.shift = top
        xa.xa_head = head
    elif not isinstance(head, xa_node):     # a lone entry at index 0 moves into a leaf
        leaf = pool.pop()
        leaf.slots[0] = head
        leaf.count = 1
        xa.xa_head = head = leaf
    while head.shift < top:                 # xas_expand: grow a new root above
        root = pool.pop()
        root.shift = head.shift + XA_CHUNK_SHIFT
        root.slots[0] = head
        root.count = 1
        head.parent, head.offset = root, 0
        xa.xa_head = head = root
    node = head
    while node.shift > 0:                   # xas_create: fill in the path down
        off = (index >> node.shift) & XA_CHUNK_MASK
        child = node.slots[off]
        if child is None:
            child = pool.pop()
            child.shift = node.shift - XA_CHUNK_SHIFT
            child.parent, child.offset = node, off
            node.slots[off] = child
            node.count += 1
        node = child
    assert not pool, "xa_store allocated nodes it did not use"
    off = index & XA_CHUNK_MASK
    old = node.slots[off]
    node.slots[off] = entry
    if old is None:
        node.count += 1
    return None if xa_is_zero(old) else old


def _leaf_for(xa: xarray, index: int):
    node = xa.xa_head
    if not isinstance(node, xa_node) or index > _max_index(node):
        return None
    while node.shift > 0:
        node = node.slots[(index >> node.shift) & XA_CHUNK_MASK]
        if not isinstance(node, xa_node):
            return None
    return node


def xa_load(xa: xarray, index: int):
    """The entry at ``index``, or None."""
    head = xa.xa_head
    if not isinstance(head, xa_node):
        if _is_fake_node(head):
            raise XaCorruption(f"xa_load: head word {_word(head):#x} followed as an xa_node")
        entry = head if index == 0 else None
    else:
        leaf = _leaf_for(xa, index)
        entry = None if leaf is None else leaf.slots[index & XA_CHUNK_MASK]
    return None if xa_is_zero(entry) else entry


def xa_erase(xa: xarray, index: int):
    """Remove the entry at ``index`` and return it; empty nodes are freed and
    the tree shrinks, as xas_delete_node / xas_shrink do."""
    head = xa.xa_head
    if not isinstance(head, xa_node):
        if index != 0 or head is None:
            return None
        xa.xa_head = None
        return None if xa_is_zero(head) else head
    node = _leaf_for(xa, index)
    if node is None:
        return None
    off = index & XA_CHUNK_MASK
    old = node.slots[off]
    if old is None:
        return None
    node.slots[off] = None
    node.count -= 1
    while node is not None and node.count == 0:   # xas_delete_node
        parent = node.parent
        if parent is None:
            xa.xa_head = None
        else:
            parent.slots[node.offset] = None
            parent.count -= 1
        kfree(node)
        node = parent
    _shrink(xa)
    return None if xa_is_zero(old) else old


def _shrink(xa: xarray) -> None:
    """xas_shrink: drop a root whose only entry sits in slot 0."""
    while True:
        node = xa.xa_head
        if not isinstance(node, xa_node) or node.count != 1:
            return
        entry = node.slots[0]
        if entry is None or (not isinstance(entry, xa_node) and node.shift):
            return
        xa.xa_head = entry
        if isinstance(entry, xa_node):
            entry.parent = None
        kfree(node)


def xa_for_each(xa: xarray, start: int = 0):
    """Yield ``(index, entry)`` for every present entry in index order
    (NULL and zero entries skipped)."""
    head = xa.xa_head
    if not isinstance(head, xa_node):
        if _is_fake_node(head):
            raise XaCorruption(f"xa_for_each: head word {_word(head):#x} followed as an xa_node")
        if head is not None and not xa_is_zero(head) and start == 0:
            yield 0, head
        return
    yield from _walk(head, 0, start)


def _walk(node, base: int, start: int):
    for off in range(XA_CHUNK_SIZE):
        entry = node.slots[off]
        if entry is None:
            continue
        index = base + (off << node.shift)
        if node.shift:
            if index + (XA_CHUNK_SIZE << (node.shift - XA_CHUNK_SHIFT)) - 1 < start:
                continue
            yield from _walk(entry, index, start)
        elif _is_fake_node(entry):
            raise XaCorruption(f"xa_for_each: entry {_word(entry):#x} at {index} "
                               "followed as an xa_node")
        elif index >= start and not xa_is_zero(entry):
            yield index, entry


def xa_destroy(xa: xarray) -> None:
    """Free every node; the entries themselves are the caller's to free."""
    head = xa.xa_head
    xa.xa_head = None
    if isinstance(head, xa_node):
        _free_nodes(head)
    elif _is_fake_node(head):
        raise XaCorruption(f"xa_destroy: head word {_word(head):#x} freed as an xa_node")


def _free_nodes(node) -> None:
    for entry in node.slots:
        if isinstance(entry, xa_node):
            _free_nodes(entry)
        elif node.shift == 0 and _is_fake_node(entry):
            raise XaCorruption(f"xa_destroy: entry {_word(entry):#x} freed as an xa_node")
    kfree(node)


def xa_count_nodes(xa: xarray) -> int:
    """Nodes in the tree now (walks it)."""
    def count(node):
        return 1 + sum(count(e) for e in node.slots if isinstance(e, xa_node))
    return count(xa.xa_head) if isinstance(xa.xa_head, xa_node) else 0


def xa_nodes_for(n: int, first: int = 0) -> int:
    """xa_node count after storing ``n`` consecutive indices ``first..first+n-1``
    into an empty xarray: one node per occupied 64-aligned block at each level
    from the leaves up to a single root; none when only index 0 is used (it
    lives in the head)."""
    if n <= 0:
        return 0
    last = first + n - 1
    if last == 0:
        return 0
    top = _shift_for(last)
    return sum((last >> (s + XA_CHUNK_SHIFT)) - (first >> (s + XA_CHUNK_SHIFT)) + 1
               for s in range(0, top + 1, XA_CHUNK_SHIFT))
