"""Address kinds, range arrays and the containers compared in the thread.

* ``consts``: PAGE_SIZE, UINT_MAX, SZ_* ...
* ``kinds``: PhysAddr, DmaAddr, DpaAddr, BarAddr, IovaAddr, GpaAddr — distinct
  ``int`` kinds that refuse to mix;
* ``ranges``: RANGE_DTYPE, RangeArray and RangeError (vectorised validation);
* containers, each convertible to/from a RangeArray and with a static
  ``footprint_bytes(n)``: ``sg_table`` (mainline-6.19), ``xarray_ranges`` (RFC v1),
  ``phys_vec`` (flat arrays, RFC v2 shapes, mapping-types-2026-02 phys list), ``iterator``
  (first/next cursor);
* ``footprint``: x86-64 struct sizes with their kernel headers, allocator rounding.
"""
from types import ModuleType as _ModuleType

from . import footprint
from .consts import (DIV_ROUND_UP, INT_MAX, PAGE_ALIGN, PAGE_ALIGNED, PAGE_MASK, PAGE_SHIFT,
                     PAGE_SIZE, PHYS_ADDR_MAX, SIZE_MAX, SZ_1G, SZ_1M, SZ_2G, SZ_2M, SZ_4G, SZ_4K,
                     SZ_4M, SZ_8K, SZ_16K, SZ_16M, SZ_32K, SZ_64K, SZ_128K, SZ_256K, SZ_256M, SZ_512G,
                     SZ_512K, SZ_512M, U64_MAX, UINT_MAX, MAX_SG_ENT_SZ, get_order)
from .kinds import (ADDRESS_KINDS, Addr, BarAddr, DmaAddr, DpaAddr, GpaAddr, IovaAddr, PhysAddr,
                    kind_by_name, kind_of)
from .ranges import RANGE_DTYPE, RangeArray, RangeError
from .lib_scatterlist import (SG_CHAIN, SG_END, SG_MAX_SINGLE_ALLOC, fill_sg_entry, for_each_sg,
                       for_each_sgtable_dma_sg, for_each_sgtable_sg, scatterlist, sg_alloc_table,
                       sg_chunks, sg_dma_address, sg_dma_is_bus_address, sg_dma_len,
                       sg_dma_mark_bus_address, sg_dma_set_address, sg_dma_set_len,
                       sg_entries_needed, sg_free_table, sg_is_chain, sg_is_last, sg_next,
                       sg_set_page, sg_split_ranges, sg_table, sg_table_free, sg_table_from_ranges,
                       sg_table_to_ranges)
from .xarray_ranges import (dma_buf_ranges, dma_buf_ranges_alloc, dma_buf_ranges_destroy,
                            dma_buf_ranges_fill, dma_buf_ranges_unmap, range_len, struct_range,
                            xarray_ranges_free, xarray_ranges_from_ranges, xarray_ranges_live_bytes,
                            xarray_ranges_to_ranges)
from .phys_vec_array import (dma_buf_mapping, dma_buf_mapping_free, dma_buf_mapping_from_ranges,
                       dma_buf_mapping_to_ranges, dma_buf_phys_list, dma_buf_phys_list_alloc,
                       dma_buf_phys_list_free, dma_buf_phys_list_from_ranges,
                       dma_buf_phys_list_to_ranges, dma_buf_ranges_v2, dma_buf_ranges_v2_free,
                       dma_buf_ranges_v2_from_ranges, dma_buf_ranges_v2_to_ranges, phys_vec,
                       phys_vec_array_alloc, phys_vec_array_from_ranges, phys_vec_array_to_ranges,
                       phys_vec_fill)
from .iterator import (consume_sized, consume_streaming, dma_buf_range_iter,
                       dma_buf_range_iter_first, dma_buf_range_iter_next, iter_ranges)

__all__ = [n for n, v in list(globals().items()) if not n.startswith("_") and not isinstance(v, _ModuleType)]
