"""Bulk kernels: range translation, page-size selection, page-table construction.

Each bulk operation is a package of the same shape: ``__init__`` (the
public function and its backend dispatch), ``reference`` (the line-by-line
Python port and the numpy reference), ``device`` (per-range bodies written
once), ``cpu`` (numba) and ``cuda`` (numba.cuda, compiled from the same
bodies; runs on the CUDA simulator with ``NUMBA_ENABLE_CUDASIM=1``).
``backend="auto"`` picks the fastest backend that really runs here.  Scalar
twins of the kernel helpers are exact to the C.

This package imports only numpy, numba and (optionally) CuPy.
"""
from .backends import BACKENDS, BackendUnavailable, Workspace, available_backends, resolve
from .getorder import get_order, get_order_bulk
from .ib_umem import ib_umem_find_best_pgsz, ib_umem_find_best_pgsz_numpy
from .iommu_map import SplitResult, iommu_map_split, iommu_map_split_python
from .iommu_pgsize import IommuPgsizeBug, iommu_map_steps, iommu_pgsize
from .page_table import PageTableSummary, PtLeaves, build_page_table, build_page_table_python
from .pt_best_pgsize import pt_best_pgsize
from .pt_formats import FORMATS, PtFormat, get_format
from .translate import (TranslateResult, TranslateTopology, drm_pagemap_addr_decode, drm_pagemap_addr_encode,
                        translate_bar_to_dpa, translate_python)

__all__ = [
    "BACKENDS", "BackendUnavailable", "Workspace", "available_backends", "resolve",
    "get_order", "get_order_bulk", "ib_umem_find_best_pgsz", "ib_umem_find_best_pgsz_numpy",
    "SplitResult", "iommu_map_split", "iommu_map_split_python", "IommuPgsizeBug", "iommu_map_steps",
    "iommu_pgsize", "PageTableSummary", "PtLeaves", "build_page_table", "build_page_table_python",
    "pt_best_pgsize", "FORMATS", "PtFormat", "get_format", "TranslateResult", "TranslateTopology",
    "drm_pagemap_addr_decode", "drm_pagemap_addr_encode", "translate_bar_to_dpa", "translate_python",
]
