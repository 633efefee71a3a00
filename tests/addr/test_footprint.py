"""Footprints against hand arithmetic from x86-64 struct sizes.

Sizes used (see dmabuf_lab/addr/footprint.py for the headers):
scatterlist 8+4+4+8+4+4 = 32, sg_table 8+4+4 = 16, struct range 8+8 = 16,
phys_vec 8+8 = 16, xa_node 4+4+8+8+16+64*8+3*8 = 576, RFC v1 dma_buf_ranges
16+4(+4 pad) = 24, RFC v2 headers 8+4(+4)+8 = 24, dma_buf_phys_list header 8.
kmalloc classes 8,16,32,64,96,128,192,256,512,...,8192; kvmalloc above 8192 -> vmalloc pages.
"""
import pytest

from dmabuf_lab.addr import (dma_buf_mapping, dma_buf_phys_list, dma_buf_ranges,
                             dma_buf_ranges_v2, footprint, phys_vec, sg_table)


def test_struct_sizes():
    assert footprint.sizeof_scatterlist == 8 + 4 + 4 + 8 + 4 + 4
    assert footprint.sizeof_sg_table == 8 + 4 + 4
    assert footprint.sizeof_range == 8 + 8
    assert footprint.sizeof_phys_vec == 8 + 8
    assert footprint.sizeof_xa_node == 576
    assert footprint.sizeof_xarray == 4 + 4 + 8
    assert footprint.sizeof_dma_buf_ranges_v1 == 24
    assert footprint.SG_MAX_SINGLE_ALLOC == 128


@pytest.mark.parametrize("size,expected", [
    (1, 8), (8, 8), (9, 16), (24, 32), (65, 96), (96, 96), (97, 128), (129, 192), (193, 256),
    (3200, 4096), (8192, 8192), (8193, 16384), (4 << 20, 4 << 20), ((4 << 20) + 1, None)])
def test_kmalloc_rounding(size, expected):
    assert footprint.kmalloc_bytes(size) == expected


def test_kvmalloc_rounding():
    assert footprint.kvmalloc_bytes(4800) == 8192             # slab class
    assert footprint.kvmalloc_bytes(9600) == 3 * 4096         # vmalloc: whole pages
    assert footprint.kvmalloc_bytes(9600, large="buddy") == 4 * 4096   # order-2 block
    assert footprint.kvmalloc_bytes(1 << 31) is None          # > INT_MAX refused


@pytest.mark.parametrize("n,expected", [
    (1, 16 + 32),                 # header kmalloc-16 + kmalloc(32)
    (3, 16 + 96),                 # 3*32 = 96 class
    (5, 16 + 192),                # 160 -> 192
    (100, 16 + 4096),             # 3200 -> 4096
    (128, 16 + 4096),             # one full chunk = one page
    (129, 16 + 4096 + 64),        # 128 (127 used + chain) then 2 entries = 64 bytes
    (1000, 16 + 7 * 4096 + 4096),  # 7 pages, then 111*32 = 3552 -> 4096
])
def test_sg_table_footprint(n, expected):
    assert sg_table.footprint_bytes(n) == expected


def test_sg_table_footprint_million():
    # chunks = ceil((n - 1) / 127): 999999 / 127 = 7874.0079 -> 7875; last holds
    # 1_000_000 - 7874 * 127 = 2 entries = 64 bytes
    n = 1_000_000
    assert sg_table.footprint_bytes(n) == 16 + 7874 * 4096 + 64


@pytest.mark.parametrize("n,nodes", [(1, 0), (2, 1), (64, 1), (65, 3), (4096, 65), (4097, 68)])
def test_xa_node_counts(n, nodes):
    # 65: two leaves + root; 4096: 64 leaves + root; 4097: 65 leaves + 2 mid + root
    assert footprint.xa_nodes_dense(n) == nodes


@pytest.mark.parametrize("n,expected", [
    (1, 32 + 16 + 0),
    (2, 32 + 32 + 576),
    (64, 32 + 1024 + 576),
    (100, 32 + 2048 + 3 * 576),
])
def test_xarray_ranges_footprint(n, expected):
    assert dma_buf_ranges.footprint_bytes(n) == expected


def test_xarray_ranges_per_entry_and_too_big():
    assert dma_buf_ranges.footprint_bytes(100, per_entry=True) == 32 + 100 * 16 + 3 * 576
    # kmalloc_array(262145, 16) is over 4 MiB: the RFC's allocation cannot succeed
    assert dma_buf_ranges.footprint_bytes(262144) is not None
    assert dma_buf_ranges.footprint_bytes(262145) is None


def test_flat_footprints():
    assert phys_vec.footprint_bytes(300) == 8192               # 4800 -> 8192 class
    assert phys_vec.footprint_bytes(1000) == 16384             # 16000 -> 4 pages
    assert dma_buf_mapping.footprint_bytes(600) == 32 + 12288   # 9600 -> 3 pages
    assert dma_buf_ranges_v2.footprint_bytes(600) == 32 + 12288
    assert dma_buf_phys_list.footprint_bytes(10) == 192        # 8 + 160 = 168 -> 192
    assert dma_buf_phys_list.footprint_bytes(511) == 8192      # 8 + 8176 = 8184
    assert dma_buf_phys_list.footprint_bytes(512) == 12288     # 8200 -> 3 pages


def test_flat_beats_xarray_and_sg_for_many_ranges():
    n = 100_000
    flat = phys_vec.footprint_bytes(n)
    assert flat == 1_600_000 // 4096 * 4096 + 4096 * (1_600_000 % 4096 != 0)
    assert dma_buf_ranges.footprint_bytes(n) > flat
    assert sg_table.footprint_bytes(n) > flat
