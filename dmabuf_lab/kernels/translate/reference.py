"""Translation as a line-by-line Python port of the RFC's loop (the oracle) and in numpy."""
from __future__ import annotations

import numpy as np

from ..errno import EINVAL, ENODEV, ERANGE
from ..getorder import get_order, get_order_bulk
from .result import TranslateResult
from .topology import TranslateTopology

U64 = np.uint64


def translate_python(starts, lengths, topo: TranslateTopology, mode: str = "correct") -> TranslateResult:
    """Line-by-line port of the RFC's per-range loop (``xe_find_vf_dev()`` scanning
    the VFs, ``xe_bo_addr()`` walking the object's blocks, ``get_order()``), with
    the fixes applied when ``mode="correct"``.  Slow on purpose: the benchmark's
    baseline and a second oracle."""
    page = topo.page_size
    by_vf = sorted(range(topo.win_base.size), key=lambda w: int(topo.win_vf[w]))
    wins = [(int(topo.win_base[w]), int(topo.win_size[w]), int(topo.win_vf[w])) for w in by_vf]
    blocks = [list(zip(topo.blk_dpa[topo.blk_ptr[v]:topo.blk_ptr[v + 1]].tolist(),
                       topo.blk_len[topo.blk_ptr[v]:topo.blk_ptr[v + 1]].tolist())) for v in range(topo.num_vfs)]
    quota = topo.quota.tolist()
    n = len(starts)
    status, vfs, ri, dpa, ln, order = [0] * n, [-1] * n, [], [], [], []
    rfc = mode == "rfc"
    for i in range(n):
        phys, length = int(starts[i]), int(lengths[i])
        io_start = vf = -1
        for base, size, v in wins:  # list_for_each_entry(pdev, &bus->devices, bus_list)
            end = base + size - page if rfc else base + size
            if base <= phys < end:
                io_start, io_size, vf = base, size, v
                break
        if vf < 0:
            status[i] = -ENODEV
            if rfc:
                ri.append(i), dpa.append(0), ln.append(length), order.append(get_order(length))
            continue
        vfs[i] = vf
        offset = phys - io_start
        if rfc:
            if offset >= quota[vf]:
                status[i] = -ERANGE
                addr = 0
            else:
                pos = 0  # xe_res_cursor: skip whole blocks, then the offset inside one
                for bdpa, blen in blocks[vf]:
                    if offset < pos + blen:
                        addr = bdpa + offset - pos
                        break
                    pos += blen
            ri.append(i), dpa.append(addr), ln.append(length), order.append(get_order(length))
            continue
        if length == 0:
            status[i] = -EINVAL
            continue
        if offset + length > io_size or offset + length > quota[vf]:
            status[i] = -ERANGE
            continue
        pos, end = 0, offset + length
        for bdpa, blen in blocks[vf]:
            lo, hi = max(offset, pos), min(end, pos + blen)
            if lo < hi:
                ri.append(i), dpa.append(bdpa + lo - pos), ln.append(hi - lo)
            pos += blen
            if pos >= end:
                break
    return TranslateResult(mode, np.array(status, dtype=np.int32), np.array(vfs, dtype=np.int32),
                           np.array(ri, dtype=np.int64), np.array(dpa, dtype=U64), np.array(ln, dtype=U64),
                           np.array(order, dtype=np.uint8) if rfc else None)


# ------------------------------------------------------------ numpy reference
def _search_windows_np(t: TranslateTopology, starts):
    """Window index per range by binary search over the sorted bases (-1: below all)."""
    return np.searchsorted(t.win_base, starts, side="right").astype(np.int64) - 1


def _table_windows_np(t: TranslateTopology, starts, lookup: str):
    """Window index per range as the compiled kernels find it: SR-IOV arithmetic,
    else the window granule table, else the search (-1: none)."""
    if lookup == "sriov":
        size = t.sriov_size
        rel = starts - U64(t.sriov_base)
        q = rel >> U64(size.bit_length() - 1) if size & (size - 1) == 0 else rel // U64(size)
        return np.where((starts >= U64(t.sriov_base)) & (q < U64(t.sriov_count)), q.astype(np.int64), -1)
    if t.wshift < 0 or not t.win_base.size:
        return _search_windows_np(t, starts)
    g = ((starts - t.win_base[0]) >> U64(t.wshift)).astype(np.int64)
    ok = (starts >= t.win_base[0]) & (g < t.wtab.size)
    return np.where(ok, t.wtab[np.where(ok, g, 0)], -1).astype(np.int64)


def _lookup_windows_np(t: TranslateTopology, starts, rfc: bool, lookup: str | None):
    """Window index per range (-1: none): by binary search (``lookup`` None) or
    as the compiled kernels look it up; then the end-of-window test."""
    w = _search_windows_np(t, starts) if lookup is None else _table_windows_np(t, starts, lookup)
    ok = w >= 0
    wc = np.where(ok, w, 0)
    if t.win_base.size == 0:
        return np.full(starts.shape, -1, dtype=np.int64)
    end = t.win_base[wc] + t.win_size[wc]
    if rfc:
        ok &= starts < end - U64(t.page_size)
    else:
        ok &= starts < end
    return np.where(ok, w, -1)


def _block_at_np(t: TranslateTopology, vf, off, tables: bool = False):
    """Global block index holding object offset ``off`` of VF ``vf`` (both arrays):
    by binary search, or with ``tables`` as the compiled kernels find it (a shift
    for one power-of-two block size, else the granule table)."""
    if tables and t.block_shift > 0:
        return t.blk_ptr[vf] + (off >> U64(t.block_shift)).astype(np.int64)
    if tables and t.gshift >= 0:
        return t.gtab[t.gptr[vf] + (off >> U64(t.gshift)).astype(np.int64)].astype(np.int64)
    lo = t.blk_ptr[vf]
    hi = t.blk_ptr[vf + 1]
    # every VF's blocks are consecutive in the CSR arrays: search the running
    # total of all block lengths, starting from where VF ``vf``'s object begins
    gstart = np.cumsum(t.blk_len, dtype=U64) - t.blk_len
    vf_start = np.where(hi > lo, gstart[np.minimum(lo, max(gstart.size - 1, 0))], U64(0)) if gstart.size \
        else np.zeros(vf.shape, dtype=U64)
    k = np.searchsorted(gstart, vf_start + off, side="right").astype(np.int64) - 1
    return np.clip(k, lo, np.maximum(hi - 1, lo))


def translate(starts, lengths, t: TranslateTopology, mode: str, lookup: str | None = None) -> TranslateResult:
    """The numpy reference: count -> repeat -> emit.  Windows and blocks are
    found by binary search (the generic algorithm) when ``lookup`` is None, or
    with the compiled kernels' arithmetic and tables for ``lookup`` ("sriov" or
    "windows"): the same algorithm as theirs, vectorised."""
    n = starts.shape[0]
    rfc = mode == "rfc"
    tables = lookup is not None
    w = _lookup_windows_np(t, starts, rfc, lookup)
    found = w >= 0
    wc = np.where(found, w, 0)
    vf = np.where(found, t.win_vf[wc] if t.win_vf.size else 0, -1).astype(np.int32)
    status = np.where(found, 0, -ENODEV).astype(np.int32)
    off = np.where(found, starts - (t.win_base[wc] if t.win_base.size else U64(0)), U64(0))
    vfc = np.where(found, vf, 0).astype(np.int64)
    quota = t.quota[vfc] if t.quota.size else np.zeros(n, dtype=U64)
    if rfc:
        # only the start is translated; past the object the cursor would WARN
        inq = found & (off < quota)
        status = np.where(found & ~inq, -ERANGE, status).astype(np.int32)
        dpa = np.zeros(n, dtype=U64)
        idx = np.nonzero(inq)[0]
        k = _block_at_np(t, vfc[idx], off[idx], tables)
        dpa[idx] = t.blk_dpa[k] + (off[idx] - t.blk_off[k])
        return TranslateResult("rfc", status, vf, np.arange(n, dtype=np.int64), dpa, lengths,
                               get_order_bulk(lengths).astype(np.uint8))
    wsize = t.win_size[wc] if t.win_size.size else np.zeros(n, dtype=U64)
    over = found & ((lengths > wsize - off) | (lengths > quota - np.minimum(off, quota)) | (off >= quota))
    status = np.where(over, -ERANGE, status)
    status = np.where(found & (lengths == 0), -EINVAL, status).astype(np.int32)
    good = np.nonzero(status == 0)[0]
    # count -> prefix sum -> emit, in numpy: first and last block per range
    g_vf = vfc[good]
    g_off = off[good]
    g_end = g_off + lengths[good] - U64(1)
    k0 = _block_at_np(t, g_vf, g_off, tables)
    k1 = _block_at_np(t, g_vf, g_end, tables)
    if np.array_equal(k0, k1):  # no range crosses a block: one segment each
        return TranslateResult("correct", status, vf, good.astype(np.int64),
                               t.blk_dpa[k0] + (g_off - t.blk_off[k0]), lengths[good])
    cnt = (k1 - k0 + 1).astype(np.int64)
    total = int(cnt.sum())
    rep = np.repeat(np.arange(good.size), cnt)
    first = np.repeat(np.cumsum(cnt) - cnt, cnt)
    k = np.repeat(k0, cnt) + (np.arange(total) - first)
    seg_lo = np.maximum(t.blk_off[k], np.repeat(g_off, cnt))
    seg_hi = np.minimum(t.blk_off[k] + t.blk_len[k] - U64(1), np.repeat(g_end, cnt))
    dpa = t.blk_dpa[k] + (seg_lo - t.blk_off[k])
    return TranslateResult("correct", status, vf, good[rep].astype(np.int64), dpa, seg_hi - seg_lo + U64(1))


