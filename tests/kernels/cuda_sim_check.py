"""Run by test_cuda_sim.py in a subprocess with NUMBA_ENABLE_CUDASIM=1.

The cuda backend of every kernel against the numpy reference, on small
inputs (the simulator runs each GPU thread as a Python thread), plus the
docs/sources.md worked examples.  Prints one line per check, exits non-zero
on the first mismatch.
"""
import os
import sys

import numpy as np

assert os.environ.get("NUMBA_ENABLE_CUDASIM") == "1", "run me under the CUDA simulator"

from dmabuf_lab.kernels import backends  # noqa: E402
from dmabuf_lab.kernels.iommu_map import iommu_map_split  # noqa: E402
from dmabuf_lab.kernels.page_table import build_page_table  # noqa: E402
from dmabuf_lab.kernels.pt_formats import FORMATS  # noqa: E402
from dmabuf_lab.kernels.translate import TranslateTopology, translate_bar_to_dpa  # noqa: E402

K, M, G = 1 << 10, 1 << 20, 1 << 30
X86 = 4 * K | 2 * M | 1 * G
rng = np.random.default_rng(int(os.environ.get("SEED", "7")))


def u64(x):
    return np.asarray(x, dtype=np.uint64)


def check(name, ok):
    print(("ok   " if ok else "FAIL ") + name, flush=True)
    if not ok:
        sys.exit(1)


assert backends.resolve("cuda") == "cuda" and backends.resolve("auto") != "cuda"

# split: test_mixed and random ranges
r = iommu_map_split(u64([0x3FE400000]), u64([0x3FE400000]), u64([0xC2200000]), X86, backend="cuda")
check("split test_mixed", list(zip(r.pgsize.tolist(), r.count.tolist())) == [(2 * M, 14), (1 * G, 3), (2 * M, 3)])
n = 48
v = u64(rng.integers(0, 1 << 24, n) << 12)
p = np.where(rng.random(n) < 0.5, v, u64(rng.integers(0, 1 << 24, n) << 12)).astype(np.uint64)
s = u64(rng.integers(0, 1 << 19, n) << 12)
v[3] |= np.uint64(0x800)  # one misaligned range
for bitmap in (X86, 4 * K | 64 * K | 2 * M, sum(1 << b for b in range(12, 40))):
    a = iommu_map_split(v, p, s, bitmap, backend="cuda")
    b = iommu_map_split(v, p, s, bitmap, backend="reference")
    check(f"split random bitmap={bitmap:#x}", all(np.array_equal(getattr(a, f), getattr(b, f)) for f in
                                                  ("range_index", "iova", "paddr", "pgsize", "count", "status")))

# translate: SR-IOV layout, shuffled 2M blocks, both modes, both lookups
nvf, nb = 4, 8
perm = rng.permutation(nvf * nb)
blocks = [[(int(perm[i * nb + k]) * 2 * M, 2 * M) for k in range(nb)] for i in range(nvf)]
t = TranslateTopology.sriov(0x40_0000_0000, 4 * G, blocks)
starts = u64(0x40_0000_0000 + rng.integers(0, nvf, n).astype(np.uint64) * np.uint64(4 * G)
             + u64(rng.integers(0, 20 * M, n)))
starts[0] = 0x40_0000_0000 + 4 * G - 4096  # the last BAR page
lens = u64(rng.integers(1, 5 * M, n))
r = translate_bar_to_dpa(u64([0x41_0020_1000]), u64([4096]), t, backend="cuda")
check("translate worked example vf", r.vf.tolist() == [1] and int(r.dpa[0]) == blocks[1][1][0] + 0x1000)
for mode in ("correct", "rfc"):
    for lookup in ("sriov", "windows"):
        a = translate_bar_to_dpa(starts, lens, t, mode, lookup, backend="cuda")
        b = translate_bar_to_dpa(starts, lens, t, mode, lookup, backend="reference")
        check(f"translate {mode}/{lookup}", all(np.array_equal(getattr(a, f), getattr(b, f)) for f in
                                                ("status", "vf", "range_index", "dpa", "length")))

# page tables: every format, hand example and random sorted ranges
for fmt in sorted(FORMATS):
    s1 = build_page_table((u64([G]), u64([G]), u64([G])), fmt, backend="cuda")
    check(f"pt {fmt} 1G leaf", s1.leaf_pages == {G: 1})
    m = 16
    sizes = u64(rng.choice([4 * K, 64 * K, 2 * M, 2 * M + 64 * K, 34 * M], m))
    gaps = u64(rng.choice([0, 4 * K, 2 * M], m))
    vas = np.cumsum(sizes + gaps, dtype=np.uint64) - sizes
    oas = vas + u64(rng.choice([0, 64 * K, 4 * K, 2 * M], m))
    a = build_page_table((vas, oas, sizes), fmt, backend="cuda")
    b = build_page_table((vas, oas, sizes), fmt, backend="reference")
    check(f"pt {fmt} random", a.same_as(b))
print("ALL OK")
