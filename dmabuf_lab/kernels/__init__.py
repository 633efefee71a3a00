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
import importlib

# every public name and the module that defines it; modules load on first use,
# so importing one small piece (``kernels.getorder``) does not start numba.
# ``kernels.iommu_pgsize`` and ``kernels.pt_best_pgsize`` are the modules; their
# functions of the same name are imported from them.
_EXPORTS = {
    "backends": ("BACKENDS", "BackendUnavailable", "Workspace", "available_backends", "resolve"),
    "getorder": ("get_order", "get_order_bulk"),
    "ib_umem": ("ib_umem_find_best_pgsz", "ib_umem_find_best_pgsz_numpy"),
    "iommu_map": ("SplitResult", "iommu_map_split", "iommu_map_split_python"),
    "iommu_pgsize": ("IommuPgsizeBug", "iommu_map_steps"),
    "page_table": ("PageTableSummary", "PtLeaves", "build_page_table", "build_page_table_python"),
    "pt_formats": ("FORMATS", "PtFormat", "get_format"),
    "translate": ("TranslateResult", "TranslateTopology", "drm_pagemap_addr_decode", "drm_pagemap_addr_encode",
                  "translate_bar_to_dpa", "translate_python"),
}
_WHERE = {name: mod for mod, names in _EXPORTS.items() for name in names}
__all__ = list(_WHERE)


def __getattr__(name):
    mod = _WHERE.get(name)
    if mod is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{mod}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
